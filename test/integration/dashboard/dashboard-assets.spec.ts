import { runInNewContext } from 'node:vm';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { seatIndex, seatLayout, seatName } from '@app/contracts';
import { createTestDatabase, TEST_ENGINES, testConfig } from '../../support/test-env';
import { createGatewayApp } from '../../../apps/gateway/src/gateway.factory';
import { deleteKeysWithPrefix } from '../foundation/support';

/** The gateway serves the dashboard and its scripts itself (no CDN), and the browser's seat rules are the server's. */
describe.each(TEST_ENGINES)('dashboard assets (%s)', (engine) => {
  const config = testConfig(engine);
  let gateway: NestFastifyApplication;
  let dropDatabase: () => Promise<void>;
  const get = (url: string) => gateway.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  beforeAll(async () => {
    dropDatabase = await createTestDatabase(config);
    gateway = await createGatewayApp(config);
    await gateway.init();
    await gateway.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await gateway?.close();
    await deleteKeysWithPrefix(config);
    await dropDatabase?.();
  });

  it('serves the page at / with its script and stylesheet', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Query Latency Comparison (Lower is Better)');
    for (const asset of ['/assets/app.js', '/assets/style.css', '/vendor/chart.umd.js', '/vendor/seats.js']) {
      expect(page.body).toContain(asset);
      const res = await get(asset);
      expect({ asset, status: res.statusCode }).toEqual({ asset, status: 200 });
    }
    expect(page.body).not.toMatch(/https?:\/\/(?!localhost)/);
  });

  it('has the Session and Leaderboards panels, with no inline script (the CSP runs scripts from the gateway only)', async () => {
    const res = await get('/');
    for (const id of [
      'session',
      'session-login',
      'session-panel',
      'session-basket',
      'session-weather',
      'session-logout',
      'leaderboards',
      'lb-form',
      'lb-date',
      'lb-by',
      'lb-limit',
      'lb-result',
      'lb-rank-form',
      'lb-rank',
    ]) {
      expect({ id, found: res.body.includes(`id="${id}"`) }).toEqual({ id, found: true });
    }
    for (const by of ['departures', 'arrivals', 'flights', 'passengers'])
      expect(res.body).toContain(`<option value="${by}"`);
    // Every <script> has a src, and no element carries an inline handler: the CSP would block both.
    expect(res.body.match(/<script\b[^>]*>/g)?.every((tag) => /\ssrc="\/[^"]+"/.test(tag))).toBe(true);
    expect(res.body).not.toMatch(/\son[a-z]+\s*=/i);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(res.headers['content-security-policy']).toContain("script-src-attr 'none'");
  });

  it('serves chart.js from node_modules', async () => {
    const res = await get('/vendor/chart.umd.js');
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.body).toContain('Chart.js v4');
    expect(res.body.length).toBeGreaterThan(100_000);
  });

  it('ships the seat-layout rules of libs/contracts to the browser unchanged', async () => {
    const script = (await get('/vendor/seats.js')).body;
    const window: {
      Seats?: { seatIndex: typeof seatIndex; seatName: typeof seatName; seatLayout: typeof seatLayout };
    } = {};
    runInNewContext(script, { window });
    const browser = window.Seats!;
    for (const capacity of [1, 40, 60, 61, 150, 220, 221, 300, 853]) {
      expect(browser.seatLayout(capacity)).toEqual(seatLayout(capacity));
      const { letters, rows } = seatLayout(capacity);
      for (let row = 1; row <= rows + 1; row++) {
        for (const letter of 'ABCDEFGHJKZ') {
          const seat = `${row}${letter}`;
          expect([capacity, seat, browser.seatIndex(seat, capacity)]).toEqual([
            capacity,
            seat,
            seatIndex(seat, capacity),
          ]);
        }
      }
      for (let i = 0; i < capacity; i++) expect(browser.seatName(i, capacity)).toBe(seatName(i, capacity));
      expect(letters.length).toBeGreaterThan(0);
    }
  });

  it('leaves unknown paths to the API: JSON 404, not a page', async () => {
    const res = await get('/api/no-such-route');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404 });
  });
});
