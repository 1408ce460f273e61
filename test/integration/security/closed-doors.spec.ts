import { INestMicroservice } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { AppConfig, startMicroservice } from '@app/platform';
import { DurableWriteKeys, createValkeyClient } from '@app/cache';
import { HEALTH_PATTERN, INTERNAL_TOKEN_FIELD, READS, RpcErrorBody, WEATHER, WRITES } from '@app/contracts';
import { startListeningNode, stopProcess } from '../../support/child-process';
import { freePort } from '../../support/redis-server';
import { createSeededTestDatabase } from '../../support/seeded';
import { testConfig } from '../../support/test-env';
import { configEnv } from '../../../bench/env';
import { WeatherServiceModule } from '../../../apps/weather-service/src/app.module';
import { startProviderFromConfig } from '../../../apps/weather-service/src/provider/provider.config';
import { WeatherProviderHandle } from '../../../apps/weather-service/src/provider/weather-provider.server';
import { startQueryService } from '../reads/read-stack';
import { startWriter } from '../writes/write-stack';
import { startTestProvider, weatherEnv } from '../weather/helpers';
import { launchBrowser } from '../dashboard/browser';
import { Child, deleteKeysWithPrefix, distPath, spawnNode, stopAll, waitFor } from '../foundation/support';

/**
 * Closed doors (MariaDB; nothing here depends on the engine): services listen where their configuration says,
 * refuse malformed messages and admin messages without INTERNAL_TOKEN, and the gateway brakes password guessing
 * and sends security headers its own pages live with. The services run in process on ports of their own, the
 * gateway from dist/ as in production; the TCP ports are also spoken to directly, as an intruder would.
 */
jest.setTimeout(120_000);

/** A loopback address other than 127.0.0.1: a service bound to it is not reachable on 127.0.0.1. */
const OTHER_LOOPBACK = '127.0.0.2';
const MAX_FAILURES = 5;
const admin = (password = 'admin') => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

/** Whether something accepts TCP connections at host:port. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/** The RPC error a message is answered with (fails if it is answered with a result). */
async function refusal(client: ClientProxy, pattern: object, payload: unknown): Promise<RpcErrorBody> {
  try {
    const reply = await firstValueFrom(client.send(pattern, payload).pipe(timeout(10_000)));
    throw new Error(`answered instead of refused: ${JSON.stringify(reply).slice(0, 300)}`);
  } catch (e) {
    if (e instanceof Error) throw e;
    return e as RpcErrorBody;
  }
}

/**
 * One request in Nest's TCP framing (`<length>#<json>`), with the payload's JSON as given; resolves with the
 * reply packet (`{err}` for a refusal, `{response}` for an answer).
 */
function rawRequest(
  host: string,
  port: number,
  pattern: object,
  dataJson: string,
): Promise<{ err?: unknown; response?: unknown }> {
  return new Promise((resolveReply, fail) => {
    const message = `{"pattern":${JSON.stringify(pattern)},"id":"raw-1","data":${dataJson}}`;
    const socket = connect({ host, port }, () => socket.write(`${message.length}#${message}`));
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const hash = buffer.indexOf('#');
      if (hash < 0) return;
      const length = Number(buffer.slice(0, hash));
      if (buffer.length - hash - 1 < length) return;
      socket.destroy();
      resolveReply(JSON.parse(buffer.slice(hash + 1, hash + 1 + length)));
    });
    socket.once('error', fail);
    socket.setTimeout(10_000, () => {
      socket.destroy();
      fail(new Error(`no reply from ${host}:${port} within 10 s`));
    });
  });
}

describe('closed doors', () => {
  let config: AppConfig;
  let dropDatabase: () => Promise<void>;
  let provider: WeatherProviderHandle;
  let weather: INestMicroservice;
  let writer: INestMicroservice;
  let query: INestMicroservice;
  let gateway: ChildProcess;
  let base: string;
  const ports = { weather: 0, writer: 0, query: 0 };
  const clients: ClientProxy[] = [];
  const client = (host: string, port: number) => {
    const c = ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port } });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    provider = await startTestProvider();
    ports.weather = await freePort();
    config = testConfig('mysql', {
      ...weatherEnv(provider),
      WEATHER_SERVICE_HOST: OTHER_LOOPBACK,
      WEATHER_SERVICE_PORT: String(ports.weather),
      ADMIN_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
    });
    dropDatabase = await createSeededTestDatabase(config);
    weather = await startMicroservice(
      WeatherServiceModule.forRoot(config),
      config.weatherService,
      config,
      'weather-service',
    );
    const q = await startQueryService(config);
    query = q.app;
    ports.query = q.port;
    const w = await startWriter(config);
    writer = w.app;
    ports.writer = w.port;
    const port = await freePort();
    gateway = await startListeningNode(
      resolve(__dirname, '../../../dist/apps/gateway/src/main.js'),
      {
        ...process.env,
        ...configEnv({ ...config, gateway: { host: '127.0.0.1', port } }),
        QUERY_SERVICE_PORT: String(ports.query),
        WRITER_SERVICE_PORT: String(ports.writer),
        WEATHER_SERVICE_HOST: OTHER_LOOPBACK,
        WEATHER_SERVICE_PORT: String(ports.weather),
        ADMIN_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      },
      port,
      30_000,
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (gateway) await stopProcess(gateway);
    await writer?.close();
    await query?.close();
    await weather?.close();
    await provider?.close();
    await dropDatabase?.();
  });

  describe('services listen where their configuration says (loopback by default), not on every interface', () => {
    it('a service configured for 127.0.0.2 answers there and is not reachable on 127.0.0.1', async () => {
      expect(await accepts(OTHER_LOOPBACK, ports.weather)).toBe(true);
      expect(await accepts('127.0.0.1', ports.weather)).toBe(false);
      const report = await firstValueFrom(
        client(OTHER_LOOPBACK, ports.weather).send(HEALTH_PATTERN, {}).pipe(timeout(5000)),
      );
      expect(report).toMatchObject({ service: 'weather-service' });
    });

    it('the mock provider (fault injection under /admin) listens only on WEATHER_PROVIDER_HOST', async () => {
      const port = await freePort();
      const own = await startProviderFromConfig(
        { ...config, weather: { ...config.weather, provider: { host: OTHER_LOOPBACK, port } } },
        port,
      );
      try {
        expect(await accepts(OTHER_LOOPBACK, port)).toBe(true);
        expect(await accepts('127.0.0.1', port)).toBe(false);
      } finally {
        await own.close();
      }
    });
  });

  describe('every service validates its payloads against the contract before touching anything', () => {
    const bookingsAndKeys = async () => {
      const ds = writer.get(DataSource);
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM booking');
      const valkey = createValkeyClient(config.cache);
      try {
        const keys = await valkey.keys(`${config.cache.keyPrefix}*`);
        const stream = await valkey.xlen(`${config.cache.keyPrefix}${DurableWriteKeys.writeBehindStream()}`);
        // Statistics are counted per message, answered or not, and queues keep their own bookkeeping: the rest
        // is data (seat maps, reservations, the write-behind stream).
        const data = keys.filter((k) => !k.includes(':stats:') && !k.includes(':bull:')).sort();
        return { bookings: Number(n), keys: data, stream };
      } finally {
        valkey.disconnect();
      }
    };

    it('bookings.create with a negative price, a missing field, a wrong type or an unknown field: 400, nothing written', async () => {
      const writerClient = client('127.0.0.1', ports.writer);
      const before = await bookingsAndKeys();
      const good = { flightId: 115, passengerId: 1000, seat: '12C', price: 199.99, mode: 'write-through' };
      const cases: Array<[unknown, RegExp]> = [
        [{ ...good, price: -500 }, /price must not be less than 0/],
        [{ flightId: 115, passengerId: 1000, seat: '12C' }, /price must be a number/],
        [{ ...good, flightId: 'one hundred' }, /flightId must be an integer number/],
        [{ ...good, seat: 12 }, /seat must be a string/],
        [{ ...good, mode: 'write-sideways' }, /mode must be one of the following values/],
        [{ ...good, isAdmin: true }, /property isAdmin should not exist/],
        ['a string', /bookings.create payload must be an object/],
        [[good], /bookings.create payload must be an object/],
      ];
      for (const [payload, message] of cases) {
        const error = await refusal(writerClient, WRITES.createBooking.pattern, payload);
        expect({ payload, statusCode: error.statusCode, error: error.error }).toEqual({
          payload,
          statusCode: 400,
          error: 'Bad Request',
        });
        expect([error.message].flat().join('; ')).toMatch(message);
      }
      expect(await bookingsAndKeys()).toEqual(before);
    });

    it('a 10,000-level payload is a 400 naming the limit (not a 500 from a stack overflow), on every service', async () => {
      // Written by hand in Nest's TCP framing: JSON.stringify itself overflows on it (JSON.parse does not).
      const deep = '{"flightId":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      const targets: Array<[string, number, object, string]> = [
        ['127.0.0.1', ports.query, READS.flight.pattern, 'reads.flight'],
        ['127.0.0.1', ports.writer, WRITES.cancelBooking.pattern, 'bookings.cancel'],
        [OTHER_LOOPBACK, ports.weather, WEATHER.current.pattern, 'weather.current'],
      ];
      for (const [host, port, pattern, cmd] of targets) {
        const reply = await rawRequest(host, port, pattern, deep);
        expect({ cmd, err: reply.err }).toEqual({
          cmd,
          err: {
            statusCode: 400,
            error: 'Bad Request',
            message: `${cmd} payload is nested more than 16 levels deep (limit: 16 levels)`,
          },
        });
      }
    });

    it('reads and weather calls with wrong fields are 400s naming them (the same rules as the gateway)', async () => {
      const reads = client('127.0.0.1', ports.query);
      expect(await refusal(reads, READS.flight.pattern, { flightId: -1 })).toMatchObject({
        statusCode: 400,
        message: ['flightId must be a positive integer'],
      });
      expect(await refusal(reads, READS.flight.pattern, { flightId: 115, refresh: 'yes' })).toMatchObject({
        statusCode: 400,
        message: ['refresh must be true or false'],
      });
      const weatherClient = client(OTHER_LOOPBACK, ports.weather);
      expect(
        await refusal(weatherClient, WEATHER.current.pattern, { country: 'Germany', zip: '10115' }),
      ).toMatchObject({
        statusCode: 400,
        message: ['country must be a two-letter ISO 3166 country code such as DE'],
      });
      // The same service answers a good message.
      const ok = await firstValueFrom(
        reads.send(READS.flight.pattern, { flightId: 115 }).pipe(timeout(10_000)),
      );
      expect(ok).toMatchObject({ value: { flightId: 115 } });
    });
  });

  describe('admin-only messages need INTERNAL_TOKEN', () => {
    it('weather.evict straight to the service: 401 without the token, 403 with a wrong one, nothing evicted; the gateway path with admin credentials evicts', async () => {
      const first = await fetch(`${base}/api/weather/DE/10115`);
      expect(first.status).toBe(200);
      const weatherClient = client(OTHER_LOOPBACK, ports.weather);
      const city = { country: 'DE', zip: '10115' };

      expect(await refusal(weatherClient, WEATHER.evict.pattern, city)).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message:
          'weather.evict is an admin operation: the message must carry the internal token (INTERNAL_TOKEN)',
      });
      const wrong = await refusal(weatherClient, WEATHER.evict.pattern, {
        ...city,
        [INTERNAL_TOKEN_FIELD]: 'a-guess-of-the-right-length-0000000000000000',
      });
      expect(wrong).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      // Still cached: neither message touched it.
      const cached = (await (await fetch(`${base}/api/weather/DE/10115`)).json()) as {
        meta: { source: string };
      };
      expect(cached.meta.source).toBe('cache');

      expect((await fetch(`${base}/api/weather/DE/10115`, { method: 'DELETE' })).status).toBe(401);
      const evicted = await fetch(`${base}/api/weather/DE/10115`, {
        method: 'DELETE',
        headers: { authorization: admin() },
      });
      expect(evicted.status).toBe(200);
      expect(await evicted.json()).toMatchObject({ data: { deleted: 1 } });
    });

    it('the token check comes before validation: a bad admin payload without the token is refused as unauthorised', async () => {
      const error = await refusal(client(OTHER_LOOPBACK, ports.weather), WEATHER.evict.pattern, { bad: 1 });
      expect(error.statusCode).toBe(401);
    });
  });

  describe('security headers', () => {
    it('every answer carries them: the dashboard, the API, the docs, errors', async () => {
      for (const path of ['/', '/api/stats', '/docs', '/api/no-such-route']) {
        const res = await fetch(base + path);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect({ path, csp }).toEqual({ path, csp: expect.stringContaining("script-src 'self'") });
        expect(csp).toContain("object-src 'none'");
        expect(csp).toContain("frame-ancestors 'self'");
        expect(csp).not.toContain('upgrade-insecure-requests');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        // Plain HTTP: no HSTS promise the gateway cannot keep.
        expect(res.headers.get('strict-transport-security')).toBeNull();
      }
    });

    it('Swagger UI at /docs and Bull Board at /queues still work in a browser under that policy', async () => {
      const browser = await launchBrowser();
      const violations: string[] = [];
      browser.page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      try {
        await browser.page.goto(`${base}/docs`);
        await browser.page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
        expect(await browser.page.locator('.opblock').count()).toBeGreaterThan(10);
        await browser.page.setExtraHTTPHeaders({ authorization: admin() });
        await browser.page.goto(`${base}/queues`);
        await browser.page.getByText('cmiyc-events', { exact: false }).first().waitFor({ timeout: 30_000 });
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });

  describe('failed admin logins are throttled per client', () => {
    // The gateway counts X-Forwarded-For only from a proxy on its own machine: the test is that proxy.
    const from = (ip: string, authorization?: string): Record<string, string> => ({
      'x-forwarded-for': ip,
      ...(authorization ? { authorization } : {}),
    });

    it(`after ${MAX_FAILURES} wrong passwords: 429 with Retry-After, right password or not, on every admin door; other clients are not affected`, async () => {
      const guesser = '203.0.113.7';
      const evict = (headers: Record<string, string>) =>
        fetch(`${base}/api/weather/FR/75001`, { method: 'DELETE', headers });
      const statuses: number[] = [];
      for (let i = 0; i < MAX_FAILURES; i++)
        statuses.push((await evict(from(guesser, admin(`guess${i}`)))).status);
      expect(statuses).toEqual(Array(MAX_FAILURES).fill(401));

      const throttled = await evict(from(guesser, admin('guess-again')));
      expect(throttled.status).toBe(429);
      const retryAfter = Number(throttled.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900).toBe(true);
      expect(await throttled.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `Too many failed admin logins from this address: try again in ${retryAfter} s`,
      });
      // The right password does not get through either, here or at the other admin doors.
      expect((await evict(from(guesser, admin()))).status).toBe(429);
      const flush = await fetch(`${base}/api/cache`, { method: 'DELETE', headers: from(guesser, admin()) });
      expect(flush.status).toBe(429);
      const queues = await fetch(`${base}/queues`, { headers: from(guesser, admin()) });
      expect(queues.status).toBe(429);
      expect(queues.headers.get('retry-after')).toBeTruthy();

      // Another client: its wrong password is a plain 401, its right one works.
      expect((await evict(from('203.0.113.8', admin('typo')))).status).toBe(401);
      const ok = await evict(from('203.0.113.8', admin()));
      expect(ok.status).toBe(200);
    });

    it('failures at /queues count too', async () => {
      const guesser = '203.0.113.9';
      for (let i = 0; i < MAX_FAILURES; i++) {
        const res = await fetch(`${base}/queues`, { headers: from(guesser, admin(`nope${i}`)) });
        expect(res.status).toBe(401);
      }
      const res = await fetch(`${base}/api/cache`, { method: 'DELETE', headers: from(guesser, admin()) });
      expect(res.status).toBe(429);
    });
  });
});

describe('start-up warning: the gateway beyond loopback with the default admin password', () => {
  const config = testConfig('mysql');
  const children: Child[] = [];

  afterAll(async () => {
    await stopAll(children);
    await deleteKeysWithPrefix(config); // the queues' bookkeeping the gateways created
  });

  /** Starts a gateway from dist/ and waits until it has logged that it listens and answers HTTP. */
  async function gatewayOutput(host: string, adminPassword?: string): Promise<string> {
    const port = await freePort();
    const child = spawnNode(distPath('apps', 'gateway', 'src', 'main.js'), [], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...configEnv({ ...config, gateway: { host, port } }),
      ...(adminPassword ? { ADMIN_PASSWORD: adminPassword } : {}),
      LOG_LEVEL: 'log',
    });
    children.push(child);
    await waitFor(
      async () => (child.output().includes('listening on http://') ? true : undefined),
      30_000,
      `gateway on ${host} started`,
    );
    await waitFor(
      async () => ((await fetch(`http://127.0.0.1:${port}/`)).ok ? true : undefined),
      10_000,
      'answers',
    );
    await stopAll([child]);
    return child.output();
  }

  it('GATEWAY_HOST=0.0.0.0 and ADMIN_PASSWORD=admin: a warning naming both', async () => {
    const output = await gatewayOutput('0.0.0.0');
    const warning = output.split('\n').find((line) => line.includes('default admin password')) ?? output;
    expect(warning).toContain('listening on 0.0.0.0, beyond this machine, with the default admin password');
    expect(warning).toMatch(/warn/i);
    expect(warning).toContain('Set ADMIN_PASSWORD');
  });

  it('no warning on loopback, nor with an admin password of its own', async () => {
    expect(await gatewayOutput('127.0.0.1')).not.toContain('default admin password');
    expect(await gatewayOutput('0.0.0.0', 'a-password-of-its-own')).not.toContain('default admin password');
  });
});
