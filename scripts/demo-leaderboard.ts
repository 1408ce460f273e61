import type { AirportLeaderboard, AirportRank, FlightDetails, LeaderboardKind } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { GatewayClient } from './demo/http';
import { banner, c, info, ms, ok, pause, printTable, speedup, step, summarize, warn } from './demo/output';

const USAGE = `
npm run demo:leaderboard -- [--date YYYY-MM-DD] [--airport JFK] [--rounds 5] [-i]

The original workshop's leaderboard demo through the gateway: the same questions asked of the database (SQL, a
GROUP BY over the day's flights: ?refresh=true makes the query-service run it) and of Valkey sorted sets
(ZREVRANGE / ZREVRANK on the boards that SQL built), each several times; the table shows the median of each.

  --date D        the day (default: the day flight 115 departs)
  --airport CODE  the airport whose rank is asked (IATA or ICAO, default JFK)
  --rounds N      times each question is asked of each side (default 5)
  -i              pause between steps
`;

interface Question {
  title: string;
  path: string;
}

export async function leaderboardDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      date: { type: 'string' },
      airport: { type: 'string', default: 'JFK' },
      rounds: { type: 'string', default: '5' },
      interactive: { type: 'boolean', short: 'i', default: false },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const rounds = intFlag('rounds', values.rounds, 1, 100);
  const airport = String(values.airport).toUpperCase();
  const interactive = values.interactive === true;
  const date = values.date ? String(values.date) : await defaultDay(client);
  banner(
    'Leaderboard demo',
    `gateway ${client.baseUrl}: the same questions of SQL and of sorted sets, ${date}`,
  );

  const board = (by: LeaderboardKind, limit = 10) =>
    `/api/leaderboards/airports?date=${date}&by=${by}&limit=${limit}`;
  const questions: Question[] = [
    {
      title: `Flights at ${airport}: departures, arrivals, total (and rank)`,
      path: `/api/leaderboards/airports/${airport}/rank?date=${date}`,
    },
    { title: 'Top 10 airports by flights (departures + arrivals)', path: board('flights') },
    { title: 'Top 10 airports by passengers', path: board('passengers') },
    { title: 'Top 10 airports by departures', path: board('departures') },
    { title: 'Top 10 airports by arrivals', path: board('arrivals') },
  ];

  step(1, `What the boards say on ${date}`);
  const rank = await client.read<AirportRank>(questions[0].path);
  const r = rank.data;
  info(
    `${c.bold(r.code)} ${r.name ?? ''}: ${r.departures.count} departures (#${r.departures.rank ?? '–'}), ` +
      `${r.arrivals.count} arrivals (#${r.arrivals.rank ?? '–'}), ${r.flights.count} flights in all ` +
      `(#${r.flights.rank ?? '–'} of ${r.flights.of}), ${r.passengers.count} passengers (#${r.passengers.rank ?? '–'})`,
  );
  for (const by of ['flights', 'passengers'] as const) {
    const top = (await client.read<AirportLeaderboard>(board(by, 5))).data;
    info(
      `top by ${by}: ${top.top.map((e) => `${e.rank}. ${e.code} ${e.count}`).join(' · ')} (${top.airports} airports)`,
    );
  }
  await pause(interactive);

  step(
    2,
    `Each question ${rounds}× from SQL (?refresh=true rebuilds the board) and ${rounds}× from the sorted set`,
  );
  const rows: Array<Array<string | number>> = [];
  for (const q of questions) {
    const sql: number[] = [];
    const zset: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const fromDb = await client.read<unknown>(q.path, { refresh: true });
      if (fromDb.meta.source !== 'cache') sql.push(fromDb.meta.latencyMs);
      const fromSet = await client.read<unknown>(q.path);
      if (fromSet.meta.source === 'cache') zset.push(fromSet.meta.latencyMs);
    }
    const s = summarize(sql);
    const z = summarize(zset);
    rows.push([q.title, ms(s?.p50), ms(z?.p50), speedup(s?.p50, z?.p50)]);
  }
  printTable(['question', 'SQL (median)', 'sorted set (median)', 'speedup'], rows);
  info(
    c.dim(
      'Latencies as measured inside the query-service (meta.latencyMs): SQL = the GROUP BY plus storing the board; ' +
        'sorted set = ZREVRANGE/ZREVRANK and the names, one round trip.',
    ),
  );
  ok(
    'the boards stay current by themselves: every booking and cancellation moves the passengers board (+1/-1, once)',
  );
  if (rows.some((row) => row[3] === 'n/a')) warn('some answers did not come from where they were asked');
}

/** The day flight 115 departs (the guided path's flight), else today. */
async function defaultDay(client: GatewayClient): Promise<string> {
  try {
    return (await client.read<FlightDetails>('/api/flights/115')).data.departure.slice(0, 10);
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

if (require.main === module) runMain(leaderboardDemo);
