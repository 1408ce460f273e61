import { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { AppConfig } from '@app/platform';
import { PAYLOAD_LIMITS } from '@app/contracts';
import { startListeningNode, stopProcess } from '../../support/child-process';
import { freePort } from '../../support/redis-server';
import { removeTestStorage, testConfig } from '../../support/test-env';
import { configEnv } from '../../../bench/env';
import { closedPort } from '../foundation/support';

/**
 * Input limits at the gateway (run from dist/, as in production, alone: every limit is enforced before a service
 * is asked). A body past GATEWAY_BODY_LIMIT_BYTES is a 413, a JSON body nested too deep or with too many keys a
 * 400 naming the limit, a repeated query parameter a 400 naming it — all before validation, cheaply enough that
 * hostile requests never hold up anyone else (checked by the order answers arrive in, not by a clock).
 */
const BODY_LIMIT = 16384;

/** `[[[...]]]` `levels` deep: 10,000 levels overflowed class-transformer's recursion (500). */
const deepArrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
/** `{"k0":0,"k1":1,...}`: 60,000 keys took 25 s to refuse and stalled every other request. */
const manyKeys = (keys: number) =>
  JSON.stringify(Object.fromEntries(Array.from({ length: keys }, (_, i) => [`key${i}`, i])));

describe('gateway input limits', () => {
  let config: AppConfig;
  let gateway: ChildProcess;
  let base: string;

  beforeAll(async () => {
    config = testConfig('mysql');
    const port = await freePort();
    const nowhere = await closedPort();
    gateway = await startListeningNode(
      resolve(__dirname, '../../../dist/apps/gateway/src/main.js'),
      {
        ...process.env,
        ...configEnv({ ...config, gateway: { host: '127.0.0.1', port } }),
        QUERY_SERVICE_PORT: String(nowhere),
        WRITER_SERVICE_PORT: String(nowhere),
        WEATHER_SERVICE_PORT: String(nowhere),
        CACHE_WARMER_PORT: String(nowhere),
      },
      port,
      30_000,
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (gateway) await stopProcess(gateway);
    await removeTestStorage(config);
  });

  const post = async (path: string, body: string, contentType = 'application/json') => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, body: await res.json() };
  };
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: await res.json() };
  };

  it('a body larger than GATEWAY_BODY_LIMIT_BYTES is a 413 naming the limit (a 650 kB object of 60,000 keys)', async () => {
    const hostile = manyKeys(60_000);
    expect(hostile.length).toBeGreaterThan(650_000);
    const res = await post('/api/bookings', hostile);
    expect(res).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        error: 'Payload Too Large',
        message: `request body of ${hostile.length} bytes is larger than the limit of ${BODY_LIMIT} bytes (GATEWAY_BODY_LIMIT_BYTES)`,
      },
    });
    // Just past the limit too, and for any route taking a body.
    const justOver = JSON.stringify({ comment: 'x'.repeat(BODY_LIMIT) });
    expect((await post('/api/bookings', justOver)).status).toBe(413);
    const patch = await fetch(`${base}/api/flights/1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: justOver,
    });
    expect(patch.status).toBe(413);
  });

  it('a JSON body nested 5,000 levels deep (within the size limit) is a 400 naming the depth limit, not a 500', async () => {
    const body = deepArrays(5000);
    expect(body.length).toBeLessThan(BODY_LIMIT);
    expect(await post('/api/bookings', body)).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: `JSON body is nested more than ${PAYLOAD_LIMITS.maxDepth} levels deep (limit: ${PAYLOAD_LIMITS.maxDepth} levels)`,
      },
    });
    const objects = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
    expect((await post('/api/bookings', objects)).body.message).toMatch(/nested more than 16 levels deep/);
  });

  it('a JSON or form body with too many keys is a 400 naming the key limit', async () => {
    const json = manyKeys(1000);
    expect(json.length).toBeLessThan(BODY_LIMIT);
    expect(await post('/api/bookings', json)).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: `JSON body has more than ${PAYLOAD_LIMITS.maxKeys} keys (limit: ${PAYLOAD_LIMITS.maxKeys} keys)`,
      },
    });
    const form = Array.from({ length: 1000 }, (_, i) => `k${i}=${i}`).join('&');
    const res = await post('/api/bookings', form, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      `form body has more than ${PAYLOAD_LIMITS.maxKeys} keys (limit: ${PAYLOAD_LIMITS.maxKeys} keys)`,
    );
  });

  it('a body within the limits still gets the field-by-field validation', async () => {
    const res = await post(
      '/api/bookings',
      JSON.stringify({ flightId: 1, passengerId: 1, seat: '12C', price: -500 }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.message).toEqual(['price must not be less than 0']);
  });

  it('a repeated scalar query parameter is a 400 naming it', async () => {
    const refresh = await get('/api/flights/115?refresh=true&refresh=false');
    expect(refresh).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: 'query parameter refresh must be given once, not 2 times',
      },
    });
    const date = await get('/api/search/flights?from=JFK&to=LAX&date=2026-03-01&date=2026-03-02');
    expect(date.status).toBe(400);
    expect(date.body.message).toBe('query parameter date must be given once, not 2 times');
    const limit = await get('/api/routes/popular?limit=5&limit=5&limit=5');
    expect(limit.body.message).toBe('query parameter limit must be given once, not 3 times');
  });

  it('OpenAPI documents the new answers: 413 and 400 on the routes with a body, 429 on the admin routes', async () => {
    const doc = (await (await fetch(`${base}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [path, method] of [
      ['/api/bookings', 'post'],
      ['/api/flights/{flightId}', 'patch'],
    ]) {
      expect(Object.keys(doc.paths[path][method].responses)).toEqual(expect.arrayContaining(['400', '413']));
    }
    for (const [path, method] of [
      ['/api/cache', 'delete'],
      ['/api/weather/{country}/{zip}', 'delete'],
    ]) {
      expect(Object.keys(doc.paths[path][method].responses)).toEqual(expect.arrayContaining(['401', '429']));
    }
  });

  it('hostile requests do not hold up a GET sent alongside them: it is answered before a second hostile batch completes', async () => {
    const hostile = [
      deepArrays(5000),
      manyKeys(1000),
      manyKeys(60_000),
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    ];
    const order: string[] = [];
    const send = (name: string, body: string) =>
      post('/api/bookings', body).then((res) => {
        order.push(name);
        return res;
      });
    const batch = (n: number) =>
      Promise.all(Array.from({ length: 24 }, (_, i) => send(`hostile-${n}`, hostile[i % hostile.length])));

    const first = batch(1);
    const answered = fetch(`${base}/`).then(async (res) => {
      order.push('get');
      return { status: res.status, body: await res.text() };
    });
    const firstResults = await first;
    const secondResults = await batch(2);
    const page = await answered;

    expect(page.status).toBe(200);
    expect(page.body).toContain('Airport dashboard');
    for (const res of [...firstResults, ...secondResults]) expect([400, 413]).toContain(res.status);
    // The GET went out with the first batch: it is answered before the second batch is done (under the old
    // gateway, each 60,000-key body blocked the event loop for seconds and everything queued behind it).
    const lastOfSecond = order.lastIndexOf('hostile-2');
    expect(order.indexOf('get')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('get')).toBeLessThan(lastOfSecond);
  });
});
