import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig, Dialect, bind, createDataSource } from '@app/platform';
import { DurableWriteKeys } from '@app/cache';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { HEALTH_PATTERN, HealthReport, seatName } from '@app/contracts';
import { TEST_ENGINES, removeTestKeys, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { freePort } from '../../support/redis-server';
import { oneShotValkey } from '../../support/one-shot-valkey';
import { startListeningNode, stopProcess } from '../../support/child-process';
import { AppProcess } from '../../support/app-process';
import { TcpProxy } from '../../support/tcp-proxy';
import { eventually } from '../../support/eventually';
import { configEnv } from '../../../bench/env';
import { createHundredSeatFlight } from '../writes/write-stack';
import { startProviderFromConfig } from '../../../apps/weather-service/src/provider/provider.config';
import { WeatherProviderHandle } from '../../../apps/weather-service/src/provider/weather-provider.server';

/**
 * SERVICE_TRANSPORT=nats end to end: two instances each of query-, writer- and weather-service (from dist/, as in
 * production) behind one gateway, on the machine's NATS with subjects of this run's own. A steady load of reads,
 * weather and bookings (write-through and write-behind) runs while one instance of each service is SIGKILLed, and
 * goes on. Then: only requests in flight at the kill failed (504: no answer; never a 500), each is safe to retry
 * with its Idempotency-Key, every accepted booking is in the database exactly once, and the write-behind bookings
 * the killed writer had taken but not flushed were claimed and flushed by the survivor. Build first.
 */
const DIST = resolve(__dirname, '../../../dist/apps');
const main = (app: string) => `${DIST}/${app}/src/main.js`;
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const READY = /listening on NATS/;
/** Bookings the load may make: six 100-seat flights. */
const FLIGHTS = 6;
const WORKERS = 4;
/** Successful requests of each kind wanted before the kill, and again after it. */
const EACH_BEFORE = 8;
const EACH_AFTER = 15;

type Kind = 'read' | 'weather' | 'write-through' | 'write-behind' | 'flight-change';
const KINDS: Kind[] = ['read', 'weather', 'write-through', 'write-behind', 'flight-change'];

interface Sent {
  kind: Kind;
  method?: 'PATCH';
  path: string;
  body?: Record<string, unknown>;
  key?: string;
  start: number;
  end?: number;
  status?: number;
  answer?: { data?: Record<string, unknown>; message?: string | string[] };
}

jest.setTimeout(300_000);

describe.each(TEST_ENGINES)('replicated services over NATS (%s)', (engine) => {
  let config: AppConfig;
  let env: NodeJS.ProcessEnv;
  let dropDb: () => Promise<void>;
  let ds: DataSource;
  let provider: WeatherProviderHandle;
  let slowDb: TcpProxy;
  const apps: AppProcess[] = [];
  let gateway: { url: string; close: () => Promise<void> } | undefined;
  const flights: number[] = [];
  let passengers: number[] = [];

  const sql = (text: string, named: Record<string, unknown> = {}) =>
    ds.query(...bind(Dialect.of(ds), text, named)) as Promise<Array<Record<string, unknown>>>;

  /** TCP ports of the instances: each also answers on one of its own (its container health check). */
  const tcpPorts = new Map<string, number>();
  const PORT_VARIABLE: Record<string, string> = {
    'query-service': 'QUERY_SERVICE_PORT',
    'writer-service': 'WRITER_SERVICE_PORT',
    'weather-service': 'WEATHER_SERVICE_PORT',
  };

  const startApp = async (name: string, app: string, extra: NodeJS.ProcessEnv = {}, sharePortOf?: string) => {
    const port = sharePortOf ? tcpPorts.get(sharePortOf)! : await freePort();
    tcpPorts.set(name, port);
    const started = await AppProcess.start(
      name,
      main(app),
      { ...env, ...extra, [PORT_VARIABLE[app]]: String(port) },
      READY,
      60_000,
    );
    apps.push(started);
    return started;
  };

  beforeAll(async () => {
    if (!existsSync(main('gateway'))) throw new Error(`${main('gateway')} is missing: run \`npm run build\``);
    const providerPort = await freePort();
    const overrides: NodeJS.ProcessEnv = {
      SERVICE_TRANSPORT: 'nats',
      NATS_URL,
      WEATHER_PROVIDER_EMBEDDED: 'false',
      WEATHER_PROVIDER_PORT: String(providerPort),
      WEATHER_PROVIDER_MIN_DELAY_MS: '5',
      WEATHER_PROVIDER_MAX_DELAY_MS: '20',
      WRITE_BEHIND_BLOCK_MS: '50',
      // Longer than a batch of the slow writer takes, so only a dead flusher's entries are claimed.
      WRITE_BEHIND_CLAIM_IDLE_MS: '4000',
      WARM_EVERY_MS: '600000',
    };
    const probe = testConfig(engine, overrides);
    // This run's subjects and queue groups: parallel suites on the same NATS never answer each other.
    const subjects = probe.cache.keyPrefix.replace(/[^A-Za-z0-9_-]/g, '.');
    config = testConfig(engine, { ...overrides, NATS_SUBJECT_PREFIX: subjects });
    env = {
      ...process.env,
      ...configEnv(config),
      ...overrides,
      NATS_SUBJECT_PREFIX: subjects,
      // The "listening on NATS" line tells a started instance; JSON lines on the pipe.
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
    };
    dropDb = await createSeededTestDatabase(config);
    ds = createDataSource(config.db);
    await ds.initialize();
    for (let i = 0; i < FLIGHTS; i++) flights.push((await createHundredSeatFlight(ds)).flightId);
    passengers = (await sql('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 120')).map((r) =>
      Number(r.passenger_id),
    );
    provider = await startProviderFromConfig(config);
    // The writer that will be killed reaches the database through a slow link: its batches stay pending a while,
    // so the kill finds some taken and not yet flushed.
    slowDb = await TcpProxy.start({ host: config.db.host, port: config.db.port });
    await Promise.all([
      startApp('query-service#1', 'query-service'),
      startApp('query-service#2', 'query-service'),
      startApp('writer-service#1', 'writer-service', { DB_HOST: '127.0.0.1', DB_PORT: String(slowDb.port) }),
      startApp('writer-service#2', 'writer-service'),
      startApp('weather-service#1', 'weather-service'),
    ]);
    // As on one machine with the same settings: the second finds the TCP port taken and serves over NATS only.
    const second = await startApp('weather-service#2', 'weather-service', {}, 'weather-service#1');
    expect(second.said('is taken')).toBe(true);
    const port = await freePort();
    const proc = await startListeningNode(
      main('gateway'),
      { ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), LOG_LEVEL: 'warn' },
      port,
      60_000,
    );
    gateway = { url: `http://127.0.0.1:${port}`, close: () => stopProcess(proc) };
    slowDb.delayReplies(60);
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(apps.map((a) => a.stop()));
    await slowDb?.close();
    await provider?.close();
    await ds?.destroy();
    await dropDb?.();
  });

  const fetchJson = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${gateway!.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
    const text = await res.text();
    return { status: res.status, answer: text ? JSON.parse(text) : undefined };
  };

  const send = async (s: Omit<Sent, 'start'>): Promise<Sent> => {
    const sent: Sent = { ...s, start: performance.now() };
    try {
      const { status, answer } = await fetchJson(sent.path, {
        method: sent.method ?? (sent.body ? 'POST' : 'GET'),
        body: sent.body ? JSON.stringify(sent.body) : undefined,
        headers: sent.key ? { 'idempotency-key': sent.key } : {},
      });
      Object.assign(sent, { status, answer });
    } catch (e) {
      sent.status = 0; // the gateway itself did not answer: counted as a failure
      sent.answer = { message: (e as Error).message };
    }
    sent.end = performance.now();
    return sent;
  };

  it('serves a steady load while one instance of each service is killed; only requests in flight fail, none twice', async () => {
    const victims = ['query-service#1', 'writer-service#1', 'weather-service#1'].map((n) =>
      apps.find((a) => a.name === n)!,
    );
    const survivorWriter = apps.find((a) => a.name === 'writer-service#2')!;
    const done: Sent[] = [];
    let seat = 0;
    let change = 0;
    let stop = false;
    let turn = 0;
    const moveFrom = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 2 * 86_400_000;
    const next = (): Omit<Sent, 'start'> => {
      const kind = KINDS[turn++ % KINDS.length];
      if (kind === 'read') return { kind, path: `/api/flights/${flights[turn % FLIGHTS]}?refresh=true` };
      if (kind === 'weather') return { kind, path: '/api/weather/US/94102' };
      if (kind === 'flight-change') {
        // Write-behind flight changes, flushed by the same kind of consumer group as the bookings.
        const n = change++;
        const departure = new Date(moveFrom + n * 60_000);
        const body = {
          departure: departure.toISOString(),
          arrival: new Date(departure.getTime() + 3 * 3_600_000).toISOString(),
          comment: `replicated ${n}`,
          mode: 'write-behind',
        };
        return {
          kind,
          method: 'PATCH',
          path: `/api/flights/${flights[n % FLIGHTS]}`,
          body,
          key: randomUUID(),
        };
      }
      const n = seat++;
      if (n >= FLIGHTS * 100) throw new Error('the load ran out of seats');
      const body = {
        flightId: flights[Math.floor(n / 100)],
        passengerId: passengers[n % passengers.length],
        seat: seatName(n % 100, 100),
        price: 100 + (n % 50),
        mode: kind,
      };
      return { kind, path: '/api/bookings', body, key: randomUUID() };
    };
    const workers = Array.from({ length: WORKERS }, async () => {
      while (!stop) done.push(await send(next()));
    });
    const ok = (s: Sent) => s.status !== undefined && s.status >= 200 && s.status < 300;
    const okSince = (kind: Kind, t: number) =>
      done.filter((s) => s.kind === kind && s.start > t && ok(s)).length;

    // Warm: every kind answered through NATS.
    await eventually(
      async () => (KINDS.every((k) => okSince(k, 0) >= EACH_BEFORE) ? true : undefined),
      120_000,
    );

    // The slow writer holds write-behind entries it has read and not yet acknowledged: kill then.
    const valkey = oneShotValkey(config.cache);
    await valkey.connect();
    const stream = `${config.cache.keyPrefix}${DurableWriteKeys.writeBehindStream()}`;
    const group = DurableWriteKeys.writeBehindGroup();
    const victimWriter = victims[1];
    const pendingOf = async (pid: number) =>
      (
        (await valkey.xpending(stream, group, '-', '+', 1000)) as Array<[string, string, number, number]>
      ).filter(([, consumer]) => consumer.includes(`-${pid}-`));
    const heldByVictim = await eventually(
      async () => {
        const held = await pendingOf(victimWriter.pid);
        return held.length > 0 ? held : undefined;
      },
      60_000,
      10,
    );
    const killStart = performance.now();
    await Promise.all(victims.map((v) => v.kill()));
    const killEnd = performance.now();
    // The references of what the dead writer held (still pending, so still in the stream).
    const orphaned = new Set<string>();
    for (const [id] of heldByVictim) {
      const entries = (await valkey.xrange(stream, id, id)) as Array<[string, string[]]>;
      for (const [, fields] of entries) {
        const i = fields.indexOf('reference');
        if (i >= 0) orphaned.add(fields[i + 1]);
      }
    }

    // The load goes on: every kind keeps answering, through the survivors.
    await eventually(
      async () => (KINDS.every((k) => okSince(k, killEnd) >= EACH_AFTER) ? true : undefined),
      120_000,
    );
    stop = true;
    await Promise.all(workers);

    // Failures: only requests in flight while the victims died, no more of them than were in flight, each an
    // honest "no answer" (504; 503 if a kill was seen at once), never a 500.
    const inFlight = done.filter((s) => s.start <= killEnd && s.end! >= killStart);
    const failed = done.filter((s) => !ok(s));
    expect(failed.filter((s) => !inFlight.includes(s))).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(inFlight.length);
    for (const f of failed) expect([503, 504]).toContain(f.status);
    expect(done.filter((s) => s.start > killEnd && ok(s)).length).toBeGreaterThan(0);
    console.log(
      `${engine}: ${done.length} requests, ${inFlight.length} in flight at the kill, ${failed.length} failed ` +
        `(${failed.map((f) => `${f.kind} ${f.status}`).join(', ') || 'none'}); ` +
        `${orphaned.size} write-behind bookings held by the killed writer`,
    );

    // Safe to retry: the same request with the same Idempotency-Key either does it now or finds it done (the seat
    // is this booking's: 409); a read simply answers.
    const retried: Sent[] = [];
    for (const f of failed)
      retried.push(await send({ kind: f.kind, method: f.method, path: f.path, body: f.body, key: f.key }));
    for (const r of retried) expect([200, 201, 202, 409]).toContain(r.status);

    // Every accepted booking is in the database once; no seat is booked twice.
    const isBooking = (s: Sent) => s.kind === 'write-through' || s.kind === 'write-behind';
    const accepted = [...done, ...retried].filter((s) => isBooking(s) && ok(s));
    const references = accepted
      .filter((s) => s.kind === 'write-behind')
      .map((s) => String(s.answer!.data!.reference));
    expect(references.length).toBeGreaterThan(0);
    for (const reference of orphaned) expect(references).toContain(reference);
    // The survivor claims what the dead writer held (after WRITE_BEHIND_CLAIM_IDLE_MS) and flushes everything.
    await eventually(
      async () => {
        for (const reference of references) {
          const { answer } = await fetchJson(`/api/bookings/${reference}`);
          if (answer?.data?.status !== 'persisted') return undefined;
        }
        return true;
      },
      60_000,
      200,
    );
    expect(await pendingOf(victimWriter.pid)).toEqual([]);
    expect(survivorWriter.said('left pending by a flusher that stopped')).toBe(true);
    const rows = await sql(
      `SELECT flight_id, seat, COUNT(*) AS n FROM booking WHERE flight_id IN (${flights.join(',')}) GROUP BY flight_id, seat`,
    );
    const count = new Map(rows.map((r) => [`${r.flight_id}/${String(r.seat).trim()}`, Number(r.n)]));
    expect([...count.values()].filter((n) => n !== 1)).toEqual([]);
    for (const s of accepted) expect(count.get(`${s.body!.flightId}/${s.body!.seat}`)).toBe(1);

    // Every accepted flight change is persisted once, by whichever writer flushed it; one flight_log row each (a
    // change retried after a 504 may have been carried out by its first attempt too: not counted).
    const changes = [...done, ...retried].filter((s) => s.kind === 'flight-change' && ok(s));
    const changeRefs = changes.map((s) => String(s.answer!.data!.reference));
    expect(changeRefs.length).toBeGreaterThan(0);
    await eventually(
      async () => {
        for (const reference of changeRefs) {
          const { answer } = await fetchJson(`/api/flight-changes/${reference}`);
          if (answer?.data?.status !== 'persisted') return undefined;
        }
        return true;
      },
      60_000,
      200,
    );
    const stored = await sql(
      `SELECT reference, COUNT(*) AS n FROM flight_change WHERE flight_id IN (${flights.join(',')}) GROUP BY reference`,
    );
    const storedCount = new Map(stored.map((r) => [String(r.reference), Number(r.n)]));
    for (const reference of changeRefs)
      expect({ reference, n: storedCount.get(reference) }).toEqual({ reference, n: 1 });
    const logs = await sql(
      `SELECT comment, COUNT(*) AS n FROM flight_log WHERE flight_id IN (${flights.join(',')}) GROUP BY comment`,
    );
    const logCount = new Map(logs.map((r) => [String(r.comment), Number(r.n)]));
    const retriedComments = new Set(retried.map((r) => r.body?.comment));
    for (const s of changes.filter((c) => !retriedComments.has(c.body!.comment)))
      expect({ comment: s.body!.comment, n: logCount.get(String(s.body!.comment)) }).toEqual({
        comment: s.body!.comment,
        n: 1,
      });
    valkey.disconnect();
  });

  it('an instance stopped the ordinary way (SIGTERM) drains: no request fails', async () => {
    const third = await startApp('query-service#3', 'query-service');
    const stopping = apps.find((a) => a.name === 'query-service#2')!;
    const done: Sent[] = [];
    let stop = false;
    const readers = Array.from({ length: 2 }, async () => {
      while (!stop) done.push(await send({ kind: 'read', path: `/api/flights/${flights[0]}?refresh=true` }));
    });
    const okAfter = (t: number) => done.filter((s) => s.start > t && s.status === 200).length;
    await eventually(async () => (okAfter(0) >= 10 ? true : undefined), 60_000);
    // However slow the machine, it ends by itself (SIGKILL only if it has not after 60 s).
    await stopping.stop(60_000);
    expect(stopping.proc.signalCode).toBe('SIGTERM');
    const stopped = performance.now();
    await eventually(async () => (okAfter(stopped) >= 10 ? true : undefined), 60_000);
    stop = true;
    await Promise.all(readers);
    expect(done.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.answer?.message}`)).toEqual([]);
    expect(third.alive).toBe(true);
    expect(stopping.said('stopping: out of the queue group')).toBe(true);
  });

  it('/health: each service is up while one instance answers; a service with none is a 503 naming it, at once', async () => {
    const health = await fetchJson('/health');
    const details = health.answer.details as Record<string, { status: string; message?: string }>;
    for (const service of ['query-service', 'writer-service', 'weather-service'])
      expect(details[service]?.status).toBe('up');
    // No cache-warmer runs here: NATS says nobody listens, and /health says which.
    expect(details['cache-warmer']).toMatchObject({ status: 'down' });
    expect(details['cache-warmer'].message).toContain('cache-warmer is not reachable: no instance');

    // The internal token travels in the payload: an admin eviction reaches a weather-service and is accepted.
    const auth = `Basic ${Buffer.from(`${config.admin.user}:${config.admin.password}`).toString('base64')}`;
    const evict = await fetch(`${gateway!.url}/api/weather/US/94102`, {
      method: 'DELETE',
      headers: { authorization: auth },
    });
    expect(evict.status).toBe(200);

    // Each instance also answers on its own TCP port: the container health check asks that one.
    const own = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPorts.get('query-service#3')! },
    });
    try {
      const report = await firstValueFrom(own.send<HealthReport>(HEALTH_PATTERN, {}));
      expect(report).toMatchObject({ service: 'query-service', status: 'up' });
    } finally {
      own.close();
    }

    for (const a of apps.filter((x) => x.name.startsWith('weather-service'))) await a.kill();
    const weather = await fetchJson('/api/weather/US/94102');
    expect(weather.status).toBe(503);
    expect(String(weather.answer.message)).toContain(
      'weather-service is not reachable: no instance is listening on NATS',
    );
  });
});

describe('a gateway whose NATS cannot be reached', () => {
  it('answers 503 naming the service and NATS, at once (never a hang)', async () => {
    const config = testConfig('mysql');
    const port = await freePort();
    const nowhere = await freePort(); // nothing listens there
    const proc = await startListeningNode(
      main('gateway'),
      {
        ...process.env,
        ...configEnv(config),
        SERVICE_TRANSPORT: 'nats',
        NATS_URL: `nats://127.0.0.1:${nowhere}`,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
      },
      port,
      60_000,
    );
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/flights/115`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { message: string };
      expect(body.message).toContain('query-service is not reachable: NATS (nats://127.0.0.1:');
      expect(body.message).toContain('cannot be reached');
    } finally {
      await stopProcess(proc);
      await removeTestKeys(config); // the gateway's queues
    }
  });
});
