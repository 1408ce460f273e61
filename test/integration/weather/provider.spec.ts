import { WeatherProviderHandle } from '../../../apps/weather-service/src/provider/weather-provider.server';
import { CITIES } from '../../../apps/weather-service/src/provider/cities';
import { eventually } from '../../support/eventually';
import { startTestProvider } from './helpers';

/** The mock provider alone: a real HTTP server with latency, a call counter and failure injection. */
describe('mock weather provider', () => {
  let provider: WeatherProviderHandle;
  const get = (path: string, init?: RequestInit) => fetch(`${provider.url}${path}`, init);

  beforeEach(async () => {
    provider = await startTestProvider({ minDelayMs: 5, maxDelayMs: 10 });
  });
  afterEach(() => provider.close());

  it('knows 100 distinct cities: five per G20 country plus five EU capitals', async () => {
    const res = await get('/cities');
    const cities = (await res.json()) as Array<{ country: string; zip: string; name: string }>;
    expect(cities).toHaveLength(100);
    expect(new Set(cities.map((c) => `${c.country}:${c.zip}`)).size).toBe(100);
    const perCountry = new Map<string, number>();
    for (const c of CITIES) perCountry.set(c.country, (perCountry.get(c.country) ?? 0) + 1);
    expect([...perCountry.values()].filter((n) => n === 5)).toHaveLength(19);
    expect(perCountry.get('DE')).toBe(5);
  });

  it('answers in the OpenWeatherMap "current weather" shape, case-insensitively', async () => {
    const res = await get('/data/2.5/weather?zip=10115,de');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      name: 'Berlin',
      cod: 200,
      sys: { country: 'DE' },
      coord: { lat: expect.any(Number), lon: expect.any(Number) },
      main: { temp: expect.any(Number), humidity: expect.any(Number), pressure: expect.any(Number) },
      weather: [{ id: expect.any(Number), main: expect.any(String), description: expect.any(String) }],
      wind: { speed: expect.any(Number) },
    });
  });

  it('404s an unknown city and counts every call, per city', async () => {
    expect((await get('/data/2.5/weather?zip=99999,DE')).status).toBe(404);
    await get('/data/2.5/weather?zip=10115,DE');
    await get('/data/2.5/weather?zip=10115,DE');
    const stats = await (await get('/admin/stats')).json();
    expect(stats).toMatchObject({ calls: 3, ok: 2, notFound: 1, byCity: { 'DE:10115': 2, 'DE:99999': 1 } });
    await get('/admin/stats', { method: 'DELETE' });
    expect(provider.stats()).toMatchObject({ calls: 0, byCity: {} });
  });

  it('injects errors at runtime over HTTP and rejects bad settings naming the field', async () => {
    const put = (body: unknown) =>
      get('/admin/faults', {
        method: 'PUT',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    expect((await put({ errorRate: 1 })).status).toBe(200);
    expect((await get('/data/2.5/weather?zip=10115,DE')).status).toBe(500);
    const bad = await put({ errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/errorRate/);
    expect((await put({ sometimes: 1 })).status).toBe(400);
    expect((await put({ errorRate: 0 })).status).toBe(200);
    expect((await get('/data/2.5/weather?zip=10115,DE')).status).toBe(200);
    expect(provider.stats()).toMatchObject({ errors: 1, ok: 1 });
  });

  it('injected timeouts never answer: the client gives up', async () => {
    provider.setFaults({ timeoutRate: 1 });
    const giveUp = new AbortController();
    const outcome = get('/data/2.5/weather?zip=10115,DE', { signal: giveUp.signal }).then(
      (res) => `answered ${res.status}`,
      (e: Error) => e.name,
    );
    // Only once the provider has the request and chose to hang: on a busy machine it may take a while to arrive.
    await eventually(async () => (provider.stats().timeouts === 1 ? true : undefined));
    giveUp.abort();
    expect(await outcome).toBe('AbortError');
    expect(provider.stats()).toMatchObject({ calls: 1, timeouts: 1 });
  });
});
