/// <reference lib="dom" />
import { Page } from 'playwright-core';
import { QUEUES } from '@app/contracts';
import type { SeatAvailability } from '@app/contracts';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { Browser, launchBrowser } from './browser';
import { FullStack, startFullStack } from './full-stack';

/**
 * The airport dashboard in headless Chromium against the whole system (in-process, seeded MariaDB database).
 * Steps share one page, in order, like a person using it. A failing step leaves test-artifacts/<step>.png.
 * MariaDB only: the API underneath is covered on both engines by the API suites.
 */
jest.setTimeout(180_000);

describe('airport dashboard in a browser (mysql)', () => {
  let stack: FullStack;
  let browser: Browser;
  let page: Page;
  const foreignRequests: string[] = [];
  const flightId = SEED_FIXTURES.dashboardFlightId;

  /** Runs a step; on failure saves a screenshot named after it before failing. */
  const step = (name: string, body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (e) {
      const file = await browser?.screenshot(`failed-${name}`).catch(() => 'no screenshot');
      throw new Error(
        `${(e as Error).message}\nscreenshot: ${file}\nbrowser errors: ${browser?.errors.join(' | ')}`,
        { cause: e },
      );
    }
  };
  const text = (selector: string) => page.locator(selector).innerText();
  const waitText = (selector: string, expected: string | RegExp, timeout = 10_000) =>
    page.waitForFunction(
      ([sel, pattern, flags]) =>
        new RegExp(pattern, flags).test(document.querySelector(sel)?.textContent ?? ''),
      [
        selector,
        typeof expected === 'string' ? `^${expected}$` : expected.source,
        typeof expected === 'string' ? '' : expected.flags,
      ] as const,
      { timeout },
    );
  const api = async <T>(path: string): Promise<T> =>
    ((await (await fetch(stack.baseUrl + path)).json()) as { data: T }).data;

  beforeAll(async () => {
    stack = await startFullStack('mysql');
    browser = await launchBrowser();
    page = browser.page;
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.baseUrl) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    await page.goto(stack.baseUrl + '/');
    await page.waitForSelector('body[data-ready="true"]');
  });

  afterAll(async () => {
    await browser?.screenshot('dashboard-final').catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  it(
    'loads offline: chart.js and the shared seat rules come from the gateway, nothing from elsewhere',
    step('load', async () => {
      expect(await page.title()).toContain('Airport dashboard');
      expect(await page.evaluate(() => typeof (window as any).Chart)).toBe('function');
      // The browser's seat rules are the server's: 12C exists on a 150-seat aircraft, 12G does not.
      expect(await page.evaluate(() => (window as any).Seats.seatIndex('12C', 150))).toBe(68);
      expect(await page.evaluate(() => (window as any).Seats.seatIndex('12G', 150))).toBeNull();
      expect(await page.inputValue('#flight-id')).toBe(String(flightId));
      expect(foreignRequests).toEqual([]);
    }),
  );

  it(
    'runs flight details twice: the source flips from database to cache and the chart gains two bars',
    step('query-twice', async () => {
      expect(await page.locator('#latency-chart').getAttribute('data-bars')).toBe('0');
      await page.click('#run-flight');
      await waitText('#tile-source', 'database');
      expect(await text('#tile-latency')).toMatch(/^\d+\.\d{3} ms$/);
      expect(await text('#tile-key')).toContain(`flight:${flightId}`);
      // One record, shown as field / value rows.
      expect(await text('#result tr:has(td:text-is("flightId")) td:nth-child(2)')).toBe(String(flightId));

      await page.click('#run-flight');
      await waitText('#tile-source', 'cache');
      const chart = page.locator('#latency-chart');
      expect(await chart.getAttribute('data-bars')).toBe('2');
      expect(await chart.getAttribute('data-sources')).toBe('database,cache');
      const colours = await page.evaluate(
        () => (window as any).dashboard.metrics.chart.data.datasets[0].backgroundColor,
      );
      expect(colours).toHaveLength(2);
      expect(colours[0]).not.toBe(colours[1]);
      expect(await text('#sum-total')).toBe('2');
      expect(await text('#sum-hits')).toBe('1 (50.0%)');
      expect(await text('#sum-db')).toBe('1 (50.0%)');
      expect(await text('#sum-speedup')).toMatch(/^\d+(\.\d)?×$/);
    }),
  );

  it(
    'picks random passengers shown as "First Last (PASSPORT) - N bookings" and loads their flights',
    step('passenger', async () => {
      await page.waitForFunction(
        () => document.querySelectorAll('#passenger option[value]:not([value=""])').length > 0,
      );
      const resampled = page.waitForResponse((r) => r.url().includes('/api/passengers/sample'));
      await page.click('#sample-passengers');
      expect((await resampled).status()).toBe(200);
      const labels = await page.locator('#passenger option').allInnerTexts();
      expect(labels.length).toBeGreaterThan(0);
      for (const label of labels) expect(label).toMatch(/^\S.* \(\S+\) - [1-9]\d* bookings$/);

      const passport = await page
        .locator('#passenger option')
        .nth(labels.length - 1)
        .getAttribute('value');
      await page.selectOption('#passenger', passport!);
      await page.click('#run-passenger');
      await waitText('#tile-query', `passenger ${passport}`);
      expect(await page.locator('#result tbody tr').count()).toBeGreaterThan(0);
      await page.waitForSelector('#profile:not([hidden])');
      expect(await text('#profile-body')).toContain('Total flights');
      expect(Number(await page.inputValue('#book-passenger'))).toBeGreaterThan(0);
    }),
  );

  it(
    "searches the flight's route and day and draws its seat map with the shared layout",
    step('seat-map', async () => {
      // "Flight details" filled in the route and day of the flight.
      await page.click('#run-flight');
      await page.waitForFunction(
        () => (document.getElementById('search-from') as HTMLInputElement).value.length === 3,
      );
      await page.click('#search-form button[type=submit]');
      const row = page.locator('#search-result tbody tr', {
        has: page.locator(`td:first-child:text-is("${flightId}")`),
      });
      await row.waitFor();
      await row.click();
      await page.waitForSelector('#seatmap-box:not([hidden])');

      const seats = await api<SeatAvailability>(`/api/flights/${flightId}/seats`);
      expect(await page.locator('#seatmap .seat').count()).toBe(seats.capacity);
      expect(await page.locator('#seatmap .seat.taken').count()).toBe(seats.bookedSeats.length);
      for (const seat of seats.bookedSeats.slice(0, 5)) {
        expect(await page.locator(`#seatmap [data-seat="${seat}"]`).getAttribute('class')).toContain('taken');
      }
    }),
  );

  /** Clicks the first free seat on the map and returns its name. */
  const pickFreeSeat = async () => {
    const seat = page.locator('#seatmap .seat:not(.taken)').first();
    const name = (await seat.getAttribute('data-seat'))!;
    await seat.click();
    expect(await page.inputValue('#book-seat')).toBe(name);
    expect(await page.inputValue('#book-flight')).toBe(String(flightId));
    return name;
  };

  it(
    'books a free seat write-through (201) and the seat map shows it taken',
    step('book-write-through', async () => {
      const seat = await pickFreeSeat();
      await page.check('input[name=mode][value="write-through"]');
      await page.click('#booking-form button[type=submit]');
      await page
        .locator('#booking-log li.ok', { hasText: `201booked seat ${seat} on flight ${flightId}` })
        .waitFor();
      await page.locator(`#seatmap .seat.taken[data-seat="${seat}"]`).waitFor();
      expect((await api<SeatAvailability>(`/api/flights/${flightId}/seats`)).bookedSeats).toContain(seat);
    }),
  );

  it(
    'books write-behind: 202 at once, then persisted by the flusher',
    step('book-write-behind', async () => {
      const seat = await pickFreeSeat();
      await page.check('input[name=mode][value="write-behind"]');
      const entry = page.locator('#booking-log li').nth(await page.locator('#booking-log li').count());
      await page.click('#booking-form button[type=submit]');
      await entry.waitFor();
      expect(await entry.locator('.status').innerText()).toBe('202');
      expect(await entry.innerText()).toContain(`seat ${seat} on flight ${flightId} (write-behind)`);
      await page.locator(`#seatmap .seat.taken[data-seat="${seat}"]`).waitFor();
      // The flusher persists it shortly after; the page polls GET /api/bookings/:reference until then.
      await page.waitForFunction((li) => li?.classList.contains('ok'), await entry.elementHandle(), {
        timeout: 30_000,
      });
      expect(await entry.innerText()).toMatch(/: persisted, booking \d+/);
    }),
  );

  it(
    'shows 409 for a seat that is already taken',
    step('book-conflict', async () => {
      const taken = (await api<SeatAvailability>(`/api/flights/${flightId}/seats`)).bookedSeats[0];
      await page.fill('#book-seat', taken);
      await page.check('input[name=mode][value="write-through"]');
      await page.click('#booking-form button[type=submit]');
      await page.locator('#booking-log li.err', { hasText: '409' }).waitFor();
    }),
  );

  it(
    'flushes the cache only with the admin credentials; the next read misses',
    step('flush', async () => {
      await page.click('#flush-open');
      await page.fill('#flush-user', stack.config.admin.user);
      await page.fill('#flush-password', 'not-the-password');
      await page.click('#flush-confirm');
      await waitText('#flush-result', 'Wrong user or password.');
      await page.fill('#flush-password', stack.config.admin.password);
      await page.click('#flush-confirm');
      await page.locator('#toast .msg', { hasText: 'Cache flushed' }).waitFor();
      await page.click('#run-flight');
      await waitText('#tile-query', `flight ${flightId}`);
      await waitText('#tile-source', 'database');
    }),
  );

  it(
    'shows the weather of a city: upstream first, then from the cache',
    step('weather', async () => {
      await page.waitForFunction(
        () => document.querySelectorAll('#weather-city option[value*="/"]').length > 0,
      );
      await page.click('#weather-go');
      await page.locator('#weather-result .badge.upstream').waitFor();
      expect(await text('#weather-result .temp')).toMatch(/^-?\d+\.\d°$/);
      await page.click('#weather-go');
      await page.locator('#weather-result .badge.cache').waitFor();
    }),
  );

  it(
    'shows live Valkey figures, per-query statistics and queue figures from /api/stats',
    step('live', async () => {
      await page.locator('#live-queries td', { hasText: /^flight$/ }).waitFor({ timeout: 15_000 });
      expect(await text('#live-hitrate')).toMatch(/^\d+\.\d%$/);
      expect(await text('#live-memory')).not.toBe('–');
      expect(await page.locator('a[href="/queues"]').count()).toBeGreaterThan(0);
      await page.locator('#live-queues td', { hasText: QUEUES.events }).waitFor({ timeout: 15_000 });
      expect(await text('#live-queues')).toMatch(/write-behind stream: \d+ entries/);
    }),
  );

  it('raised no browser errors', () => {
    const real = browser.errors.filter((e) => !e.includes('Failed to load resource'));
    expect(real).toEqual([]);
  });
});
