import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig, bind, Dialect, migrateDatabase } from '@app/platform';
import { createValkeyClient } from '@app/cache';
import { isDatabaseEmpty, seedDatabase } from '../tools/seed/seed';
import { deleteKeysWithPrefix, freePort, waitForPort } from '../test/support/redis-server';

/** What the benches share: their own database, the services they start from dist/, and how they print figures. */

/** A file of the build (dist/), from its path in the source tree. */
export const dist = (p: string) => resolve(__dirname, '..', p);

/** BENCH_DB_NAME or the bench's default; never the large shared database (a bench writes into its own). */
export function benchDatabaseName(defaultName: string, refusal = 'seeds its own database'): string {
  const dbName = process.env.BENCH_DB_NAME ?? defaultName;
  if (dbName === 'flughafendb_large') throw new Error(`The bench ${refusal}; pick another BENCH_DB_NAME`);
  return dbName;
}

/**
 * The configuration of a bench that runs a query-service and a gateway: its database and key prefix, both
 * services on free local ports, warnings only.
 */
export async function servicesConfig(base: AppConfig, dbName: string, keyPrefix: string): Promise<AppConfig> {
  const [qsPort, gwPort] = [await freePort(), await freePort()];
  return {
    ...base,
    db: { ...base.db, name: dbName },
    cache: { ...base.cache, keyPrefix },
    queryService: { host: '127.0.0.1', port: qsPort },
    gateway: { host: '127.0.0.1', port: gwPort },
    logLevel: 'warn',
  };
}

/**
 * Brings the bench's database up to date (a database kept from an earlier run gets the migrations added since)
 * and seeds it at `scale` when it is empty.
 */
export async function prepareBenchDatabase(
  db: AppConfig['db'],
  scale: 'tiny' | 'small',
  opts: { reportRows?: boolean } = {},
): Promise<void> {
  await migrateDatabase(db);
  if (await isDatabaseEmpty(db)) {
    console.log(`Seeding ${db.engine} database ${db.name} at ${scale} scale (once; reused by later runs)...`);
    const summary = await seedDatabase(db, { scale });
    if (opts.reportRows)
      console.log(`  seeded ${summary.totalRows} rows in ${Math.round(summary.seconds)} s`);
  }
}

/** The child processes a bench starts: all stopped by stopAll(), and when this process exits. */
export class BenchProcesses {
  private readonly children: ChildProcess[] = [];

  constructor() {
    process.on('exit', () => this.stopAll());
  }

  add(child: ChildProcess): ChildProcess {
    this.children.push(child);
    return child;
  }

  /** Runs a script of dist/ with `env` and waits until it listens on `port`. */
  async startNode(script: string, env: NodeJS.ProcessEnv, port: number): Promise<void> {
    this.add(
      spawn(
        process.execPath,
        [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), dist(script)],
        { env, stdio: 'inherit' },
      ),
    );
    await waitForPort(port, 30000);
  }

  /** Starts the query-service, then the gateway, of `config`; the gateway's base URL. */
  async startQueryServiceAndGateway(config: AppConfig, env: NodeJS.ProcessEnv): Promise<string> {
    await this.startNode('apps/query-service/src/main.js', env, config.queryService.port);
    await this.startNode('apps/gateway/src/main.js', env, config.gateway.port);
    return `http://127.0.0.1:${config.gateway.port}`;
  }

  stopAll(): void {
    this.children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  }
}

/** Removes the bench's keys from Valkey. */
export async function deleteBenchKeys(cache: AppConfig['cache']): Promise<void> {
  const valkey = createValkeyClient(cache);
  await deleteKeysWithPrefix(valkey, cache.keyPrefix);
  valkey.disconnect();
}

/** The value at quantile `p` of ascending `sorted` (nearest rank). */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** The median (the upper one of an even count); NaN without values. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

export const pad = (s: string, n: number) => s.padEnd(n);

/** Fresh flights of `capacity` seats (one aircraft), so every run books free seats. */
export async function createBenchFlights(ds: DataSource, n: number, capacity: number): Promise<number[]> {
  const d = Dialect.of(ds);
  const q = (sql: string, named: Record<string, unknown> = {}) => ds.query(...bind(d, sql, named));
  const [t] = await q(
    `SELECT ${d.id('from')} AS f, ${d.id('to')} AS t, airline_id FROM flight ORDER BY flight_id LIMIT 1`,
  );
  const [type] = await q('SELECT type_id FROM airplane_type ORDER BY type_id LIMIT 1');
  const ret = (col: string) => (d.isPostgres ? ` RETURNING ${col}` : '');
  const idOf = (r: unknown, col: string) =>
    Number(d.isPostgres ? (r as Record<string, unknown>[])[0][col] : (r as { insertId: number }).insertId);
  const plane = idOf(
    await q(
      `INSERT INTO airplane (capacity, type_id, airline_id) VALUES (:c, :type, :airline)${ret('airplane_id')}`,
      {
        c: capacity,
        type: type.type_id,
        airline: t.airline_id,
      },
    ),
    'airplane_id',
  );
  const ids: number[] = [];
  const dep = new Date(Date.now() + 7 * 86_400_000);
  const ts = (x: Date) => x.toISOString().replace('T', ' ').replace('Z', '');
  for (let i = 0; i < n; i++) {
    const r = await q(
      `INSERT INTO flight (flightno, ${d.id('from')}, ${d.id('to')}, departure, arrival, airline_id, airplane_id)
       VALUES ('BENCH', :f, :t, :dep, :arr, :airline, :plane)${ret('flight_id')}`,
      {
        f: t.f,
        t: t.t,
        dep: ts(dep),
        arr: ts(new Date(dep.getTime() + 3600_000)),
        airline: t.airline_id,
        plane,
      },
    );
    ids.push(idOf(r, 'flight_id'));
  }
  return ids;
}
