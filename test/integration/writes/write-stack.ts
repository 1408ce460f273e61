import { INestApplicationContext, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppConfig, Dialect, bind, startMicroservice } from '@app/platform';
import { CacheService, isCluster, masterConnections } from '@app/cache';
import { seatName } from '@app/contracts';
import { deleteKeysWithPrefix, freePort } from '../../support/redis-server';
import { startListeningNode, stopProcess } from '../../support/child-process';
import { CacheWarmerModule } from '../../../apps/cache-warmer/src/app.module';
import { WriterOptions, WriterServiceModule } from '../../../apps/writer-service/src/app.module';
import { configEnv } from '../../../bench/env';
import { startQueryService } from '../reads/read-stack';
import { reportIfSlow } from '../../support/slow-step';

const GATEWAY_MAIN = resolve(__dirname, '../../../dist/apps/gateway/src/main.js');

/**
 * The write path end to end: a gateway from dist/ (as in production; jest cannot load its ESM-only static-file
 * dependency in-process), and in-process writer-service, query-service and cache-warmer on ephemeral ports.
 */
export interface WriteStack {
  config: AppConfig;
  writer: INestMicroservice;
  warmer?: INestApplicationContext;
  query?: INestMicroservice;
  http: () => ReturnType<typeof request>;
  /** The writer's cache primitives and database. */
  cache: CacheService;
  ds: DataSource;
  close: () => Promise<void>;
}

export interface WriteStackOptions extends WriterOptions {
  warmer?: boolean;
  query?: boolean;
  gateway?: boolean;
}

export async function startWriter(config: AppConfig, options: WriterOptions = {}) {
  const port = await freePort();
  const app = await startMicroservice(
    WriterServiceModule.forRoot({ ...config, writerService: { host: '127.0.0.1', port } }, options),
    { host: '127.0.0.1', port },
    config,
    'writer-service',
  );
  return { app, port };
}

/**
 * A writer-service without a TCP listener: an accepting process with `flusher: false`, or a flusher of its own
 * (a second one to take over, or one whose database link the test controls).
 */
export async function startWriterContext(
  config: AppConfig,
  options: WriterOptions = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WriterServiceModule.forRoot(config, options), {
    logger: ['error'],
  });
  await app.init();
  return app;
}

export async function startWarmer(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(CacheWarmerModule.forRoot(config), {
    logger: ['error'],
  });
  await app.init();
  return app;
}

export async function startWriteStack(config: AppConfig, opts: WriteStackOptions = {}): Promise<WriteStack> {
  const query = opts.query === false ? undefined : await startQueryService(config);
  const withQuery = query ? { ...config, queryService: { host: '127.0.0.1', port: query.port } } : config;
  const { app: writer, port: writerPort } = await startWriter(withQuery, opts);
  const warmer = opts.warmer === false ? undefined : await startWarmer(withQuery);
  const gateway =
    opts.gateway === false
      ? undefined
      : await spawnGateway({ ...withQuery, writerService: { host: '127.0.0.1', port: writerPort } }).catch(
          async (e) => {
            // A failed start leaves nothing running.
            await warmer?.close();
            await writer.close();
            await query?.app.close();
            throw e;
          },
        );
  return {
    config: withQuery,
    writer,
    warmer,
    query: query?.app,
    http: () => request(gateway!.url),
    cache: writer.get(CacheService),
    ds: writer.get(DataSource),
    close: async () => {
      await reportIfSlow('write stack: stopping the gateway', async () => gateway?.close());
      await reportIfSlow('write stack: stopping the cache-warmer', async () => warmer?.close());
      await reportIfSlow('write stack: stopping the writer-service', () => writer.close());
      await reportIfSlow('write stack: stopping the query-service', async () => query?.app.close());
    },
  };
}

async function spawnGateway(config: AppConfig) {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const env = {
    ...process.env,
    ...configEnv({ ...config, gateway: { host: '127.0.0.1', port } }),
    WRITER_SERVICE_HOST: config.writerService.host,
    WRITER_SERVICE_PORT: String(config.writerService.port),
  };
  // A gateway that misses the deadline (or exits first) is stopped, not left running.
  const proc = await startListeningNode(GATEWAY_MAIN, env, port, 20000);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => stopProcess(proc),
  };
}

/** A 100-seat aircraft and a flight on it (tomorrow), on an existing route/airline; returns the flight id. */
export async function createHundredSeatFlight(
  ds: DataSource,
): Promise<{ flightId: number; capacity: number }> {
  const d = Dialect.of(ds);
  const q = (sql: string, named: Record<string, unknown> = {}) => ds.query(...bind(d, sql, named));
  const [template] = await q(
    `SELECT ${d.id('from')} AS from_id, ${d.id('to')} AS to_id, airline_id FROM flight ORDER BY flight_id LIMIT 1`,
  );
  const [type] = await q(`SELECT type_id FROM airplane_type ORDER BY type_id LIMIT 1`);
  const capacity = 100;
  const returning = d.isPostgres ? ' RETURNING airplane_id' : '';
  const planeResult = await q(
    `INSERT INTO airplane (capacity, type_id, airline_id) VALUES (:capacity, :typeId, :airlineId)${returning}`,
    { capacity, typeId: type.type_id, airlineId: template.airline_id },
  );
  const airplaneId = d.isPostgres ? planeResult[0].airplane_id : planeResult.insertId;
  const dep = new Date(Date.now() + 86_400_000);
  const arr = new Date(dep.getTime() + 3 * 3600_000);
  const ts = (x: Date) => x.toISOString().replace('T', ' ').replace('Z', '');
  const flightResult = await q(
    `INSERT INTO flight (flightno, ${d.id('from')}, ${d.id('to')}, departure, arrival, airline_id, airplane_id)
     VALUES ('TST0100', :from, :to, :dep, :arr, :airlineId, :airplaneId)${d.isPostgres ? ' RETURNING flight_id' : ''}`,
    {
      from: template.from_id,
      to: template.to_id,
      dep: ts(dep),
      arr: ts(arr),
      airlineId: template.airline_id,
      airplaneId,
    },
  );
  const flightId = Number(d.isPostgres ? flightResult[0].flight_id : flightResult.insertId);
  return { flightId, capacity };
}

/** A query with :named parameters on a stack's database. */
export type Sql = (text: string, named?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;

/** A free seat of the flight (the highest-numbered one), from the database; throws when the flight is full. */
export async function freeSeat(sql: Sql, flightId: number): Promise<string> {
  const [f] = await sql(
    'SELECT ap.capacity FROM flight f JOIN airplane ap ON ap.airplane_id = f.airplane_id WHERE f.flight_id = :flightId',
    { flightId },
  );
  const taken = new Set(
    (await sql('SELECT seat FROM booking WHERE flight_id = :flightId', { flightId })).map((r) =>
      String(r.seat).trim(),
    ),
  );
  const capacity = Number(f.capacity);
  for (let i = capacity - 1; i >= 0; i--) if (!taken.has(seatName(i, capacity))) return seatName(i, capacity);
  throw new Error(`flight ${flightId} is full`);
}

/** A passenger with no booking departing after this flight (so a booking of it heads their history). */
export async function passengerWithNothingAfter(
  sql: Sql,
  flightId: number,
): Promise<{ passengerId: number; passportNo: string }> {
  const [r] = await sql(
    `SELECT p.passenger_id, p.passportno FROM passenger p
     WHERE NOT EXISTS (SELECT 1 FROM booking b JOIN flight f ON f.flight_id = b.flight_id
                       WHERE b.passenger_id = p.passenger_id
                         AND f.departure >= (SELECT departure FROM flight WHERE flight_id = :flightId))
     ORDER BY p.passenger_id LIMIT 1`,
    { flightId },
  );
  return { passengerId: Number(r.passenger_id), passportNo: String(r.passportno).trim() };
}

export { eventually } from '../../support/eventually';

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The 'wb:' state of record and the queues survive purgeCachedEntries; a suite removes all of its own keys. */
export async function cleanDurableKeys(cache: CacheService | undefined): Promise<void> {
  if (!cache) return;
  // Every master of a cluster (one UNLINK per key there: a batch spans slots), or the one server.
  await cache.guard((c) =>
    Promise.all(
      masterConnections(c).map((server) => deleteKeysWithPrefix(server, cache.keySpace.prefix, isCluster(c))),
    ),
  );
}
