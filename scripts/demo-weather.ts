import type { CurrentWeather, WeatherCity } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { banner, c, info, ok, printTable, speedup, step, warn } from './demo/output';
import { GatewayClient, Meta } from './demo/http';
import { evictWeather, readWeather } from './demo/weather';

const USAGE = `
npm run demo:weather -- [--cities 10] [--ttl 15]

Caching a slow external API (the mock weather provider: 250–750 ms per call) through the gateway:
  1. every city without the cache (?cache=false: straight to the provider),
  2. with the cache, first run: misses, each fills Valkey,
  3. with the cache, second run: hits,
then time saved, speedup and the average per city.

  --cities N   how many of the provider's 100 cities (default 10)
  --ttl MIN    the TTL in minutes you expect the service to cache for (default 15, WEATHER_CACHE_TTL=900):
               the demo checks it against the TTL of the entries it created and says so if they differ
`;

interface Timed {
  city: WeatherCity;
  ms: number;
  meta: Meta;
  data: CurrentWeather;
}

async function main(argv: string[]) {
  const cli = parseDemoArgs(
    argv,
    { cities: { type: 'string', default: '10' }, ttl: { type: 'string', default: '15' } },
    USAGE,
  );
  if (!cli) return;
  const count = intFlag('cities', cli.values.cities, 1, 100);
  const ttlMinutes = intFlag('ttl', cli.values.ttl, 1, 30 * 24 * 60);
  const { client } = cli;

  banner('Weather API cache', `${count} cities, gateway ${client.baseUrl}`);
  const all = (await client.read<WeatherCity[]>('/api/weather/cities')).data;
  // Spread over the list so that the sample covers many countries.
  const cities = Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]);
  // Start the cache runs cold.
  for (const city of cities) await evictWeather(client, cli.values, city);

  step(1, 'Without cache: every lookup calls the provider');
  const direct = await runAll(client, cities, '?cache=false');
  step(2, 'With cache, first run: misses fill Valkey');
  const first = await runAll(client, cities, '');
  step(3, 'With cache, second run: hits');
  const second = await runAll(client, cities, '');

  step(4, 'Results');
  printTable(
    ['city', 'no cache', 'cache run 1', 'source', 'cache run 2', 'source', 'weather'],
    cities.map((city, i) => [
      `${city.name} (${city.country} ${city.zip})`,
      `${direct[i].ms.toFixed(1)} ms`,
      `${first[i].ms.toFixed(1)} ms`,
      first[i].meta.source,
      `${second[i].ms.toFixed(1)} ms`,
      second[i].meta.source,
      `${second[i].data.main.temp.toFixed(1)} °C, ${second[i].data.weather[0]?.description ?? ''}`,
    ]),
  );
  const total = (runs: Timed[]) => runs.reduce((s, r) => s + r.ms, 0);
  const [tDirect, tFirst, tSecond] = [total(direct), total(first), total(second)];
  console.log();
  printTable(
    ['run', 'total', 'avg per city', 'from cache'],
    [
      ['without cache', `${tDirect.toFixed(1)} ms`, `${(tDirect / count).toFixed(1)} ms`, hits(direct)],
      ['cache run 1', `${tFirst.toFixed(1)} ms`, `${(tFirst / count).toFixed(1)} ms`, hits(first)],
      ['cache run 2', `${tSecond.toFixed(1)} ms`, `${(tSecond / count).toFixed(1)} ms`, hits(second)],
    ],
  );
  console.log();
  ok(`time saved by the cache (run 2 vs no cache): ${c.bold(`${(tDirect - tSecond).toFixed(1)} ms`)}`);
  ok(
    `speedup: ${c.bold(speedup(tDirect, tSecond))}  (average ${(tDirect / count).toFixed(1)} ms → ${(tSecond / count).toFixed(2)} ms per city)`,
  );
  if (second.some((r) => r.meta.source !== 'cache'))
    warn('some second-run lookups were not served from the cache');

  const ttls = first.map((r) => r.meta.expiresInSeconds).filter((v): v is number => typeof v === 'number');
  const serviceTtl = first.find((r) => typeof r.meta.ttlSeconds === 'number')?.meta.ttlSeconds as
    number | undefined;
  if (serviceTtl !== undefined) {
    const minutes = serviceTtl / 60;
    info(
      `entries stay fresh for ${minutes.toFixed(minutes % 1 ? 1 : 0)} min (WEATHER_CACHE_TTL=${serviceTtl}); now ${Math.min(...ttls)} s left`,
    );
    if (serviceTtl !== ttlMinutes * 60) {
      warn(
        `--ttl ${ttlMinutes} min differs from the service's TTL: restart the weather-service with WEATHER_CACHE_TTL=${ttlMinutes * 60}`,
      );
    }
  }
}

async function runAll(client: GatewayClient, cities: WeatherCity[], query: string): Promise<Timed[]> {
  const out: Timed[] = [];
  for (const city of cities) {
    const r = await readWeather(client, city, query);
    out.push({ city, ms: r.roundTripMs, meta: r.meta, data: r.data });
    info(`${city.name.padEnd(18)} ${r.roundTripMs.toFixed(1).padStart(8)} ms  ${r.meta.source}`);
  }
  return out;
}

const hits = (runs: Timed[]) => `${runs.filter((r) => r.meta.source === 'cache').length}/${runs.length}`;

runMain(main);
