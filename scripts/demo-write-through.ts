import type { FlightDetails } from '@app/contracts';
import type { FlightUpdateView } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { airportCode, flightDetails } from './demo/fixtures';
import { GatewayClient, payload } from './demo/http';
import {
  banner,
  c,
  fail,
  info,
  ms,
  ok,
  pause,
  printTable,
  sourceLabel,
  speedup,
  step,
  summarize,
} from './demo/output';

const USAGE = `
npm run demo:write-through -- [--flight-id 115] [--rounds 5] [-i]

Write-through through the gateway: read a flight (miss, then hit), move it 2 hours later with PATCH
/api/flights/:id (one transaction: the flight row and a flight_log row; the cached flight is refreshed, not just
dropped), check that the cache and the database agree, restore the original times, then compare the first read
after a write under cache-aside (delete on write: the next reader loads from the database) and write-through.

  --flight-id N    the flight to move (default 115)
  --rounds N       write/read rounds in the comparison (default 5)
  -i, --interactive   pause between steps
`;

const TWO_HOURS = 2 * 3600 * 1000;
const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

export async function writeThroughDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      'flight-id': { type: 'string', default: '115' },
      rounds: { type: 'string', default: '5' },
      interactive: { type: 'boolean', short: 'i', default: false },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const flightId = intFlag('flight-id', values['flight-id'], 1);
  const rounds = intFlag('rounds', values.rounds, 1, 1000);
  const interactive = values.interactive === true;
  const path = `/api/flights/${flightId}`;

  banner('Write-through demo', `gateway ${client.baseUrl}: writes go to the database and the cache together`);
  const original = await flightDetails(client, flightId);

  step(1, `Read flight ${flightId} from the database (a miss: ?refresh=true loads it and fills the cache)`);
  const miss = await client.read<FlightDetails>(path, { refresh: true });
  info(
    `${sourceLabel(miss.meta.source)} ${ms(miss.meta.latencyMs)}  key ${c.cyan(miss.meta.cacheKey ?? '-')}`,
  );
  info(
    `${original.flightno} ${airportCode(original.from)} → ${airportCode(original.to)}  departs ${original.departure}, arrives ${original.arrival}`,
  );

  step(2, 'Read it again: served from Valkey');
  const hit = await client.read<FlightDetails>(path);
  info(
    `${sourceLabel(hit.meta.source)} ${ms(hit.meta.latencyMs)}  (${speedup(miss.meta.latencyMs, hit.meta.latencyMs)} faster)`,
  );

  await pause(interactive);
  step(3, `Move the flight 2 hours later: PATCH ${path}`);
  const moved = await update(
    client,
    flightId,
    shift(original.departure, TWO_HOURS),
    shift(original.arrival, TWO_HOURS),
    'demo: moved 2 hours later',
  );
  info(
    `one transaction: UPDATE flight + INSERT flight_log ("${moved.view.comment}") in ${ms(moved.roundTripMs)} round trip`,
  );
  info(`departure ${moved.view.previous.departure} → ${c.bold(moved.view.departure)}`);

  step(4, 'Cache and database agree?');
  await verify(client, path, moved.view);

  await pause(interactive);
  step(5, 'Restore the original times');
  const restored = await update(
    client,
    flightId,
    original.departure,
    original.arrival,
    'demo: restored original times',
  );
  info(`departure back to ${restored.view.departure}`);
  await verify(client, path, restored.view);

  await pause(interactive);
  step(6, `Cache-aside vs write-through: the first read after a write (${rounds} rounds)`);
  await compare(client, flightId, original, rounds);
}

async function update(
  client: GatewayClient,
  flightId: number,
  departure: string,
  arrival: string,
  comment: string,
) {
  const reply = await client.patch<unknown>(`/api/flights/${flightId}`, { departure, arrival, comment });
  return { view: payload<FlightUpdateView>(reply.body), roundTripMs: reply.roundTripMs };
}

/** The cached entry (no refresh) and a fresh database read must show the same times. */
async function verify(client: GatewayClient, path: string, expected: FlightUpdateView): Promise<void> {
  const cached = await client.read<FlightDetails>(path);
  const fresh = await client.read<FlightDetails>(path, { refresh: true });
  printTable(
    ['read', 'source', 'latency', 'departure', 'arrival'],
    [
      [
        'cached read',
        cached.meta.source,
        ms(cached.meta.latencyMs),
        cached.data.departure,
        cached.data.arrival,
      ],
      [
        '?refresh=true',
        fresh.meta.source,
        ms(fresh.meta.latencyMs),
        fresh.data.departure,
        fresh.data.arrival,
      ],
    ],
  );
  const agree =
    sameInstant(cached.data.departure, fresh.data.departure) &&
    sameInstant(cached.data.arrival, fresh.data.arrival) &&
    sameInstant(fresh.data.departure, expected.departure);
  if (agree && cached.meta.source === 'cache')
    ok('cache and database agree, and the cached read was a hit (write-through kept it warm)');
  else if (agree) ok('cache and database agree (the entry had been dropped, so the read loaded it again)');
  else fail('cache and database DISAGREE: the write did not reach the cache');
}

/**
 * Each round writes (move / restore alternately) and reads once. Write-through: the read right after the write
 * is a hit. Cache-aside deletes the entry on a write, so that reader pays a database load, which is exactly what
 * ?refresh=true measures.
 */
async function compare(client: GatewayClient, flightId: number, original: FlightDetails, rounds: number) {
  const path = `/api/flights/${flightId}`;
  const writes: number[] = [];
  const throughReads: number[] = [];
  const asideReads: number[] = [];
  let throughHits = 0;
  for (let i = 0; i < rounds * 2; i++) {
    const offset = i % 2 === 0 ? TWO_HOURS : 0;
    const w = await update(
      client,
      flightId,
      shift(original.departure, offset),
      shift(original.arrival, offset),
      `demo: comparison round ${i + 1}`,
    );
    writes.push(w.roundTripMs);
    const afterWrite = await client.read<FlightDetails>(path);
    throughReads.push(afterWrite.meta.latencyMs);
    if (afterWrite.meta.source === 'cache') throughHits++;
    const reload = await client.read<FlightDetails>(path, { refresh: true });
    asideReads.push(reload.meta.latencyMs);
  }
  const w = summarize(writes)!;
  const t = summarize(throughReads)!;
  const a = summarize(asideReads)!;
  printTable(
    ['pattern', 'on a write', 'first read after the write', 'avg latency', 'max'],
    [
      ['cache-aside', 'DB write, DEL key', 'miss: loads from the database', ms(a.avg), ms(a.max)],
      ['write-through', 'DB write, SET key', `${throughHits}/${t.count} cache hits`, ms(t.avg), ms(t.max)],
    ],
  );
  info(`PATCH round trip (transaction + flight_log + cache update): avg ${ms(w.avg)}`);
  console.log(
    `\n  ${c.bold('Read after write')}: write-through is ${c.green(speedup(a.avg, t.avg))} faster than cache-aside`,
  );
  info(
    c.dim(
      `flight ${flightId} is back at its original times (${original.departure}); flight_log keeps the history`,
    ),
  );
}

if (require.main === module) runMain(writeThroughDemo);
