import { SessionKeys, createValkeyClient } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, storedKey } from '../../support/test-env';
import { FullStack, startFullStack } from '../dashboard/full-stack';
import { rawRows } from '../seed/db-helpers';

jest.setTimeout(120_000);

interface Reply<T = any> {
  status: number;
  body: { data: T; message?: string | string[] };
  setCookie: string | null;
}

/**
 * The session store over the whole system (seeded database of each engine, real Valkey): login by passport or
 * id with a signed HttpOnly cookie rotated at login, a sliding TTL, a basket that two tabs change at once without
 * losing anything, weather lookups remembered, logout, and 401s that say why.
 */
describe.each(TEST_ENGINES)('sessions on %s', (engine) => {
  let stack: FullStack;
  let passport: string;
  let passengerId: number;

  const call = async <T = any>(method: string, path: string, cookie?: string, body?: unknown) => {
    const res = await fetch(stack.baseUrl + path, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      setCookie: res.headers.get('set-cookie'),
    } as Reply<T>;
  };
  /** "name=value" of a Set-Cookie header, as a browser sends it back. */
  const cookieOf = (r: Reply) => r.setCookie!.split(';')[0];
  const login = async () => {
    const r = await call('POST', '/api/session/login', undefined, { passportNo: passport });
    expect(r.status).toBe(200);
    return cookieOf(r);
  };
  const sessionKeyTtl = async (cookie: string) => {
    const id = decodeURIComponent(cookie.split('=')[1]).split('.')[0];
    const c = createValkeyClient(stack.config.cache);
    try {
      return await c.ttl(storedKey(stack.config, SessionKeys.session(id)));
    } finally {
      c.disconnect();
    }
  };

  beforeAll(async () => {
    stack = await startFullStack(engine, { SESSION_SECRET: 'a-test-secret-of-32-characters!!' });
    const [row] = await rawRows(
      stack.config.db,
      'SELECT passenger_id, passportno FROM passenger ORDER BY passenger_id LIMIT 1',
    );
    passengerId = Number(row[0]);
    passport = String(row[1]).trim();
  });
  afterAll(() => stack?.close());

  it('logs in by passport number: a signed, HttpOnly session cookie and the passenger', async () => {
    const r = await call('POST', '/api/session/login', undefined, { passportNo: passport });
    expect(r.status).toBe(200);
    expect(r.setCookie).toMatch(/^cmiyc_session=[^;]+\.[^;]+;/);
    expect(r.setCookie).toContain('HttpOnly');
    expect(r.setCookie).toContain('SameSite=Lax');
    expect(r.setCookie).toContain('Path=/api/session');
    expect(r.body.data.passenger).toMatchObject({ passengerId, passportNo: passport });
    expect(r.body.data.basket).toEqual([]);
    expect(r.body.data.expiresInSeconds).toBe(1800);
    // The body never carries the session id.
    expect(JSON.stringify(r.body)).not.toContain(decodeURIComponent(cookieOf(r).split('=')[1]).split('.')[0]);
    const me = await call('GET', '/api/session', cookieOf(r));
    expect(me.status).toBe(200);
    expect(me.body.data.passenger.passportNo).toBe(passport);
  });

  it('logs in by passenger id too, and 404s an unknown passenger', async () => {
    const r = await call('POST', '/api/session/login', undefined, { passengerId });
    expect(r.status).toBe(200);
    expect(r.body.data.passenger.passportNo).toBe(passport);
    expect((await call('POST', '/api/session/login', undefined, { passportNo: 'ZZ9999999' })).status).toBe(
      404,
    );
    const both = await call('POST', '/api/session/login', undefined, { passportNo: passport, passengerId });
    expect(both.status).toBe(400);
  });

  it('starts the TTL again on every request (sliding expiry)', async () => {
    const cookie = await login();
    const c = createValkeyClient(stack.config.cache);
    try {
      const id = decodeURIComponent(cookie.split('=')[1]).split('.')[0];
      const key = storedKey(stack.config, SessionKeys.session(id));
      await c.expire(key, 100);
      expect(await c.ttl(key)).toBeLessThanOrEqual(100);
      expect((await call('GET', '/api/session', cookie)).status).toBe(200);
      expect(await c.ttl(key)).toBeGreaterThan(1700);
    } finally {
      c.disconnect();
    }
  });

  it('keeps every flight two tabs add at the same time, and lists them with live seat availability', async () => {
    const cookie = await login();
    const flights = Array.from({ length: 20 }, (_, i) => SEED_FIXTURES.dashboardFlightId + i);
    const added = await Promise.all(flights.map((f) => call('PUT', `/api/session/basket/${f}`, cookie)));
    expect(added.map((r) => r.status)).toEqual(flights.map(() => 200));
    const me = await call('GET', '/api/session', cookie);
    expect(me.body.data.basket).toEqual(flights);
    // Removing from one tab while the other adds: both land.
    await Promise.all([
      call('DELETE', `/api/session/basket/${flights[0]}`, cookie),
      call('PUT', `/api/session/basket/1`, cookie),
    ]);
    const basket = await call<Array<{ flightId: number; available: number; capacity: number; from: string }>>(
      'GET',
      '/api/session/basket',
      cookie,
    );
    expect(basket.status).toBe(200);
    expect(basket.body.data.map((b) => b.flightId)).toEqual([1, ...flights.slice(1)]);
    const first = basket.body.data.find((b) => b.flightId === SEED_FIXTURES.dashboardFlightId + 1)!;
    expect(first.available).toBeGreaterThan(0);
    expect(first.available).toBeLessThanOrEqual(first.capacity);
    expect(first.from).toMatch(/^[A-Z0-9]{3,4}$/);
    // An unknown flight does not go in.
    expect((await call('PUT', '/api/session/basket/999999999', cookie)).status).toBe(404);
  });

  it('remembers the weather lookups made with the session, newest first', async () => {
    const cookie = await login();
    expect((await call('GET', '/api/session/weather/DE/10115', cookie)).status).toBe(200);
    const w = await call('GET', '/api/session/weather/US/10001', cookie);
    expect(w.status).toBe(200);
    const me = await call('GET', '/api/session', cookie);
    expect(me.body.data.recentWeather.map((x: { zip: string }) => x.zip)).toEqual(['10001', '10115']);
    expect(typeof me.body.data.recentWeather[0].temp).toBe('number');
  });

  it('rotates the session id at login: the one the browser had before is gone', async () => {
    const before = await login();
    await call('PUT', `/api/session/basket/${SEED_FIXTURES.dashboardFlightId}`, before);
    const again = await call('POST', '/api/session/login', before, { passportNo: passport });
    expect(cookieOf(again)).not.toBe(before);
    expect(again.body.data.basket).toEqual([]);
    const old = await call('GET', '/api/session', before);
    expect(old.status).toBe(401);
    expect(JSON.stringify(old.body.message)).toContain('expired');
  });

  it('answers 401 with a clear message for no cookie, a forged cookie, an expired session and after logout', async () => {
    const none = await call('GET', '/api/session');
    expect(none.status).toBe(401);
    expect(JSON.stringify(none.body.message)).toContain('Not logged in');

    const cookie = await login();
    const [name, value] = cookie.split('=');
    const forgedId = `${name}=${encodeURIComponent(`someone-else.${decodeURIComponent(value).split('.')[1]}`)}`;
    const forged = await call('GET', '/api/session/basket', forgedId);
    expect(forged.status).toBe(401);
    expect(JSON.stringify(forged.body.message)).toContain('signature');
    expect(forged.setCookie).toContain('Max-Age=0');

    // Expiry: the session's keys are gone from Valkey (as its TTL would make them).
    expect(await sessionKeyTtl(cookie)).toBeGreaterThan(0);
    const c = createValkeyClient(stack.config.cache);
    try {
      const id = decodeURIComponent(value).split('.')[0];
      await c.del(storedKey(stack.config, SessionKeys.session(id)));
    } finally {
      c.disconnect();
    }
    const expired = await call('GET', '/api/session', cookie);
    expect(expired.status).toBe(401);
    expect(JSON.stringify(expired.body.message)).toContain('expired');

    const fresh = await login();
    const out = await call('POST', '/api/session/logout', fresh);
    expect(out.status).toBe(200);
    expect(out.setCookie).toContain('Max-Age=0');
    expect((await call('GET', '/api/session', fresh)).status).toBe(401);
    expect(await sessionKeyTtl(fresh)).toBe(-2);
  });
});
