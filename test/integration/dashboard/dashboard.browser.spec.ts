/// <reference lib="dom" />
import { Page } from 'playwright-core';
import { QUEUES } from '@app/contracts';
import type { AirportLeaderboard, AirportRank, FlightDetails, SeatAvailability } from '@app/contracts';
import { SessionKeys, createValkeyClient } from '@app/cache';
import { Dialect } from '@app/platform';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { Browser, launchBrowser } from './browser';
import { FullStack, startFullStack } from './full-stack';
import { rawRows } from '../seed/db-helpers';

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
      const before = await page.locator('#passenger option').allInnerTexts();
      const resampled = page.waitForResponse((r) => r.url().includes('/api/passengers/sample'));
      await page.click('#sample-passengers');
      expect((await resampled).status()).toBe(200);
      // "Random 10" draws again on every click (not one cached draw).
      await page.waitForFunction(
        (old) =>
          Array.from(document.querySelectorAll('#passenger option'), (o) => o.textContent).join('|') !== old,
        before.join('|'),
      );
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
      // One code per airport (IATA, else ICAO), never an empty one.
      const headers = await page.locator('#result thead th').allInnerTexts();
      const [fromCol, toCol] = [headers.indexOf('from'), headers.indexOf('to')];
      expect(fromCol >= 0 && toCol >= 0).toBe(true);
      for (const row of await page.locator('#result tbody tr').all()) {
        const cells = await row.locator('td').allInnerTexts();
        expect([cells[fromCol], cells[toCol]]).toEqual([
          expect.stringMatching(/^[A-Z0-9]{3,4}$/),
          expect.stringMatching(/^[A-Z0-9]{3,4}$/),
        ]);
      }
      await page.waitForSelector('#profile:not([hidden])');
      expect(await text('#profile-body')).toContain('Total flights');
      expect(Number(await page.inputValue('#book-passenger'))).toBeGreaterThan(0);
    }),
  );

  it(
    "searches the flight's route and day and draws its seat map with the shared layout",
    step('seat-map', async () => {
      // "Flight details" filled in the route and day of the flight: an upcoming flight between well-known airports.
      await page.click('#run-flight');
      await page.waitForFunction(
        () => (document.getElementById('search-from') as HTMLInputElement).value.length === 3,
      );
      const details = await api<FlightDetails>(`/api/flights/${flightId}`);
      expect(details.status).toBe('upcoming');
      expect([await page.inputValue('#search-from'), await page.inputValue('#search-to')]).toEqual([
        ...SEED_FIXTURES.dashboardRoute,
      ]);
      expect(await page.inputValue('#search-date')).toBe(details.departure.slice(0, 10));
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
    'shows 422 naming the reason for a flight that has already departed',
    step('book-departed', async () => {
      const [[departed]] = await rawRows(
        stack.config.db,
        `SELECT flight_id FROM flight WHERE departure < '${sqlTime(new Date(Date.now() - 86_400_000))}'
         ORDER BY flight_id LIMIT 1`,
      );
      await page.fill('#book-flight', departed);
      await page.fill('#book-seat', '1A');
      await page.check('input[name=mode][value="write-through"]');
      await page.click('#booking-form button[type=submit]');
      await page.locator('#booking-log li.err', { hasText: `422flight ${departed} departed at` }).waitFor();
      expect(await text('#booking-log li.err:last-child')).toContain(
        'a flight that has left cannot be booked',
      );
      await page.fill('#book-flight', String(flightId));
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

  it(
    'fills the route of a flight from an airport without an IATA code with its ICAO code, and finds it',
    step('route-icao', async () => {
      const d = new Dialect(stack.config.db.engine);
      const [[id, fromIcao, toCode]] = await rawRows(
        stack.config.db,
        `SELECT f.flight_id, dep.icao, COALESCE(arr.iata, arr.icao)
         FROM flight f
         JOIN airport dep ON dep.airport_id = f.${d.id('from')}
         JOIN airport arr ON arr.airport_id = f.${d.id('to')}
         WHERE dep.iata IS NULL
         ORDER BY f.flight_id LIMIT 1`,
      );
      await page.fill('#flight-id', id);
      await page.click('#run-flight');
      await waitText('#tile-query', `flight ${id}`);
      await page.waitForFunction(
        (code) => (document.getElementById('search-from') as HTMLInputElement).value === code,
        fromIcao.trim(),
      );
      expect(await page.inputValue('#search-to')).toBe(toCode.trim());
      await page.click('#search-form button[type=submit]');
      await page
        .locator('#search-result tbody tr', { has: page.locator(`td:first-child:text-is("${id}")`) })
        .waitFor();
      expect(await text('#tile-query')).toBe(`search ${fromIcao.trim()}→${toCode.trim()}`);
      // Back to the guided flight for the next steps.
      await page.fill('#flight-id', String(flightId));
      await page.click('#run-flight');
      await waitText('#tile-query', `flight ${flightId}`);
    }),
  );

  /** The session id behind the page's HttpOnly cookie (what the server keys the session by). */
  const sessionId = async () => {
    const cookie = (await browser.context.cookies(`${stack.baseUrl}/api/session`)).find(
      (c) => c.name === 'cmiyc_session',
    );
    return cookie ? decodeURIComponent(cookie.value).split('.')[0] : null;
  };
  const seatsText = async (id: number) => {
    const s = await api<SeatAvailability>(`/api/flights/${id}/seats`);
    return `${s.available} of ${s.capacity}`;
  };
  const basketRow = (id: number) => page.locator(`#session-basket tr[data-flight="${id}"]`);

  it(
    'logs in through the Session panel, fills the basket with live seats, remembers weather lookups, logs out',
    step('session', async () => {
      // Not logged in: the login form, and no complaint about a session this browser never had.
      expect(await page.isVisible('#session-login')).toBe(true);
      expect(await page.isHidden('#session-panel')).toBe(true);
      expect(await text('#session-message')).toBe('');

      const [[passengerId, passport, first, last]] = await rawRows(
        stack.config.db,
        'SELECT passenger_id, passportno, firstname, lastname FROM passenger ORDER BY passenger_id LIMIT 1',
      );
      await page.fill('#session-who', passport.toLowerCase());
      await page.click('#session-login-go');
      await page.waitForSelector('#session-panel:not([hidden])');
      expect(await text('#session-user')).toBe(
        `${first.trim()} ${last.trim()} (${passport.trim()}, #${passengerId})`,
      );
      expect(await page.isHidden('#session-login')).toBe(true);
      expect(await text('#session-basket')).toBe('The basket is empty.');
      expect(await sessionId()).not.toBeNull();

      // The flight shown in the Queries panel is the one the basket adds.
      expect(await page.inputValue('#session-flight')).toBe(String(flightId));
      await page.click('#session-add-go');
      await basketRow(flightId).waitFor();
      const flight = await api<FlightDetails>(`/api/flights/${flightId}`);
      expect(await basketRow(flightId).locator('td').allInnerTexts()).toEqual([
        `${flightId} ${flight.flightno}`,
        SEED_FIXTURES.dashboardRoute.join(' → '),
        flight.departure.slice(0, 16).replace('T', ' '),
        await seatsText(flightId),
        'Remove',
      ]);
      expect(await basketRow(flightId).locator('td.seats-free').innerText()).toBe(await seatsText(flightId));

      // A booking moves the basket's seats at once.
      const before = (await api<SeatAvailability>(`/api/flights/${flightId}/seats`)).available;
      await page.locator('#seatmap .seat:not(.taken)').first().click();
      await page.check('input[name=mode][value="write-through"]');
      await page.click('#booking-form button[type=submit]');
      await waitText(
        `#session-basket tr[data-flight="${flightId}"] td.seats-free`,
        new RegExp(`^${before - 1} of \\d+$`),
      );
      expect(await basketRow(flightId).locator('td.seats-free').innerText()).toBe(await seatsText(flightId));

      // A second flight, then removed again.
      const other = flightId + 1;
      await page.fill('#session-flight', String(other));
      await page.click('#session-add-go');
      await basketRow(other).waitFor();
      expect(await page.locator('#session-basket tbody tr').count()).toBe(2);
      await basketRow(other).locator('button', { hasText: 'Remove' }).click();
      await basketRow(other).waitFor({ state: 'detached' });
      expect(await page.locator('#session-basket tbody tr').count()).toBe(1);

      // Weather lookups while logged in are remembered by the session.
      const [country, zip] = (await page.inputValue('#weather-city')).split('/');
      await page.click('#weather-go');
      await page.locator('#session-weather li', { hasText: `(${country} ${zip})` }).waitFor();
      expect(await page.locator('#session-weather li').count()).toBe(1);

      await page.click('#session-logout');
      await page.waitForSelector('#session-login:not([hidden])');
      expect(await page.isHidden('#session-panel')).toBe(true);
      expect(await text('#session-message')).toContain('Logged out');
      expect(await sessionId()).toBeNull();
      expect((await fetch(`${stack.baseUrl}/api/session`)).status).toBe(401);
    }),
  );

  it(
    'says so when the session has expired, and shows the login form again',
    step('session-expired', async () => {
      // An empty field logs in as the passenger picked in the Queries panel.
      await page.fill('#session-who', '');
      await page.click('#session-login-go');
      await page.waitForSelector('#session-panel:not([hidden])');
      expect(await text('#session-user')).toContain(`(${await page.inputValue('#passenger')}, #`);
      await page.waitForSelector('#session-panel:not([hidden])');
      // Expiry: the session's keys are gone from Valkey, as its TTL would make them.
      const id = (await sessionId())!;
      const c = createValkeyClient(stack.config.cache);
      try {
        const prefix = stack.config.cache.keyPrefix;
        expect(
          await c.del(
            prefix + SessionKeys.session(id),
            prefix + SessionKeys.basket(id),
            prefix + SessionKeys.weather(id),
          ),
        ).toBeGreaterThan(0);
      } finally {
        c.disconnect();
      }
      await page.click('#session-refresh');
      await page.waitForSelector('#session-login:not([hidden])');
      expect(await page.isHidden('#session-panel')).toBe(true);
      expect(await text('#session-message')).toMatch(/The session has expired .* log in again/);
    }),
  );

  it(
    "loads a leaderboard of the guided flight's day and looks up a rank",
    step('leaderboards', async () => {
      const day = (await api<FlightDetails>(`/api/flights/${flightId}`)).departure.slice(0, 10);
      // "Flight details" filled the day in (or the panel asks for it).
      expect(['', day]).toContain(await page.inputValue('#lb-date'));
      await page.selectOption('#lb-by', 'departures');
      await page.fill('#lb-limit', '5');
      await page.click('#lb-go');
      await page.locator('#lb-result tbody tr').first().waitFor();
      expect(await page.inputValue('#lb-date')).toBe(day);
      const board = await api<AirportLeaderboard>(
        `/api/leaderboards/airports?date=${day}&by=departures&limit=5`,
      );
      const rows = await page.locator('#lb-result tbody tr').allInnerTexts();
      expect(rows.map((r) => r.split('\t'))).toEqual(
        board.top.map((t) => [String(t.rank), t.code, t.name, String(t.count)]),
      );
      // Where it came from and what it took: built from SQL the first time, the sorted set the next.
      expect(await text('#lb-meta')).toMatch(
        new RegExp(
          `^${board.top.length} of ${board.airports} airports by departures on ${day} · database \\d+\\.\\d{3} ms in the service · \\d+\\.\\d{3} ms round trip · \\S*leaderboard`,
        ),
      );
      await page.click('#lb-go');
      await waitText('#lb-meta .badge', 'cache');

      // Rank lookup by code: the board's top airport, by clicking its row.
      await page.locator('#lb-result tbody tr').first().click();
      await waitText('#lb-rank-meta strong', new RegExp(`^${board.top[0].code} `));
      const rank = await api<AirportRank>(`/api/leaderboards/airports/${board.top[0].code}/rank?date=${day}`);
      const rankRows = await page.locator('#lb-rank tbody tr').allInnerTexts();
      expect(rankRows.map((r) => r.split('\t'))).toEqual(
        (['departures', 'arrivals', 'flights', 'passengers'] as const).map((b) => [
          b,
          rank[b].rank === null ? '–' : `#${rank[b].rank}`,
          String(rank[b].count),
          `${rank[b].of} airports`,
        ]),
      );
      expect(rankRows[0].split('\t')[1]).toBe('#1');
      // An ICAO code finds the same airport.
      const icao = (await api<{ icao: string }>(`/api/airports/${SEED_FIXTURES.dashboardRoute[0]}`)).icao;
      await page.fill('#lb-code', icao);
      await page.click('#lb-rank-go');
      await waitText('#lb-rank-meta strong', new RegExp(`^${SEED_FIXTURES.dashboardRoute[0]} `));
    }),
  );

  it('raised no browser errors', () => {
    const real = browser.errors.filter((e) => !e.includes('Failed to load resource'));
    expect(real).toEqual([]);
  });
});

/** A timestamp as both engines take it in SQL text ('YYYY-MM-DD HH:MM:SS', UTC). */
function sqlTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
