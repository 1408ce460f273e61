/*
 * Airport dashboard: plain browser JavaScript against the gateway's public API (OpenAPI at /docs; the types are in
 * libs/contracts).
 * chart.js and the seat-layout rules (window.Seats, generated from libs/contracts/src/seats.ts) are served by
 * the gateway itself, so the page works offline.
 */
'use strict';

const $ = (id) => document.getElementById(id);
const COLORS = { cache: '#1f9d55', database: '#e0663a', upstream: '#6b5bd6' };
const MAX_BARS = 40;

/* ------------------------------------------------------------------------------------------------------------ */
/* HTTP                                                                                                          */

class ApiError extends Error {
  constructor(status, body) {
    const msg = body && body.message ? [].concat(body.message).join('; ') : `HTTP ${status}`;
    super(msg);
    this.status = status;
    this.body = body;
  }
}

/** fetch + JSON; resolves to { status, body } and throws ApiError for 4xx/5xx. */
async function http(method, path, { body, headers, credentials } = {}) {
  const res = await fetch(path, {
    method,
    credentials,
    headers: {
      Accept: 'application/json',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      // Writes carry an Idempotency-Key: a retried click can never book twice.
      ...((method === 'POST' || method === 'PATCH') && self.crypto?.randomUUID
        ? { 'Idempotency-Key': self.crypto.randomUUID() }
        : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return { status: res.status, body: json };
}

/** A cached read: returns the envelope and records its meta (source, latency) in the metrics. */
async function read(label, path, { record = true } = {}) {
  const sep = path.includes('?') ? '&' : '?';
  const url = $('refresh').checked ? `${path}${sep}refresh=true` : path;
  const { body } = await http('GET', url);
  if (record && body && body.meta) metrics.record(label, body.meta);
  return body;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Small rendering helpers (textContent only: values from the database are never parsed as HTML)                */

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function toast(message, isError = false) {
  const msg = el('div', { class: `msg${isError ? ' err' : ''}` }, message);
  $('toast').append(msg);
  setTimeout(() => msg.remove(), isError ? 7000 : 3500);
}

const ms = (v) => (typeof v === 'number' ? `${v.toFixed(3)} ms` : '–');
const pct = (part, total) => (total ? `${((100 * part) / total).toFixed(1)}%` : '0.0%');

/** First defined field among several spellings (snake_case from SQL, camelCase from services). */
function pick(obj, ...names) {
  if (!obj) return undefined;
  for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

/** Flattens nested objects into dotted columns so any row shape renders as a table. */
function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out[key] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The rows of an answer: the array itself, or the first array field of an object. */
function rowsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object') {
    const arr = Object.values(data).find(Array.isArray);
    if (arr) return arr;
  }
  return null;
}

function formatCell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v))
    return v.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
  return String(v);
}

function table(rows, { onRowClick } = {}) {
  if (!rows || rows.length === 0) return el('p', { class: 'muted' }, 'No rows.');
  const flat = rows.map((r) => flatten(r));
  const cols = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        cols.map((c) => el('th', {}, c)),
      ),
    ),
    el(
      'tbody',
      {},
      flat.map((r, i) =>
        el(
          'tr',
          onRowClick ? { class: 'clickable', onclick: () => onRowClick(rows[i]) } : {},
          cols.map((c) => el('td', { class: typeof r[c] === 'number' ? 'num' : '' }, formatCell(r[c]))),
        ),
      ),
    ),
  );
}

/** Runs an async UI action with its button disabled and errors shown instead of thrown. */
async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    toast(e instanceof ApiError ? `${e.status}: ${e.message}` : e.message, true);
  } finally {
    if (button) button.disabled = false;
  }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Metrics: tiles, latency chart and summary, from each read's meta                                             */

const metrics = {
  history: [],
  chart: null,
  seq: 0,

  init() {
    if (!window.Chart) return;
    this.chart = new window.Chart($('latency-chart'), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'latency (ms)', data: [], backgroundColor: [] }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } },
        plugins: {
          legend: {
            labels: {
              generateLabels: () =>
                Object.entries(COLORS).map(([text, color]) => ({
                  text,
                  fillStyle: color,
                  strokeStyle: color,
                })),
            },
          },
          tooltip: {
            callbacks: {
              label: (ctx) =>
                `${this.history[this.history.length - ctx.chart.data.labels.length + ctx.dataIndex]?.source}: ${ms(ctx.parsed.y)}`,
            },
          },
        },
      },
    });
  },

  record(label, meta) {
    const entry = {
      n: ++this.seq,
      label,
      source: meta.source,
      latencyMs: Number(meta.latencyMs),
      key: meta.cacheKey,
    };
    this.history.push(entry);
    $('tile-query').textContent = label;
    $('tile-latency').textContent = ms(entry.latencyMs);
    const src = $('tile-source');
    src.textContent = entry.source;
    src.className = `source-${entry.source}`;
    $('tile-key').textContent = entry.key || '(not cached)';
    this.renderChart();
    this.renderSummary();
  },

  renderChart() {
    const shown = this.history.slice(-MAX_BARS);
    const canvas = $('latency-chart');
    canvas.dataset.bars = String(shown.length);
    canvas.dataset.sources = shown.map((h) => h.source).join(',');
    if (!this.chart) return;
    this.chart.data.labels = shown.map((h) => `#${h.n} ${h.label}`);
    this.chart.data.datasets[0].data = shown.map((h) => h.latencyMs);
    this.chart.data.datasets[0].backgroundColor = shown.map((h) => COLORS[h.source] || '#999');
    this.chart.update();
  },

  renderSummary() {
    const total = this.history.length;
    const bySource = (s) => this.history.filter((h) => h.source === s);
    const avg = (list) => (list.length ? list.reduce((a, h) => a + h.latencyMs, 0) / list.length : null);
    const hits = bySource('cache');
    const db = bySource('database');
    const avgCache = avg(hits);
    const avgDb = avg(db);
    $('sum-total').textContent = String(total);
    $('sum-hits').textContent = `${hits.length} (${pct(hits.length, total)})`;
    $('sum-cache-avg').textContent = ms(avgCache);
    $('sum-db').textContent = `${db.length} (${pct(db.length, total)})`;
    $('sum-db-avg').textContent = ms(avgDb);
    $('sum-speedup').textContent = avgCache && avgDb ? `${(avgDb / avgCache).toFixed(1)}×` : '–';
  },
};

/* ------------------------------------------------------------------------------------------------------------ */
/* The three queries of the original airport app                                                                */

function flightId() {
  const id = Number($('flight-id').value);
  if (!Number.isInteger(id) || id < 1) throw new Error('Flight ID must be a positive whole number');
  return id;
}

function showResult(title, data) {
  $('result-title').textContent = title;
  if (!Array.isArray(data) && (isFlightObject(data) || !rowsOf(data))) {
    // One record (flight details): field / value rows read better than one very wide row.
    const rows = Object.entries(flatten(data)).map(([field, value]) => ({ field, value: formatCell(value) }));
    $('result').replaceChildren(table(rows));
    return;
  }
  $('result').replaceChildren(table(Array.isArray(data) ? data : rowsOf(data)));
}

/** Flight details are one object with nested airline/airports, not a list. */
function isFlightObject(data) {
  return (
    data &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    pick(data, 'flightId', 'flight_id', 'id') !== undefined
  );
}

async function runFlight() {
  const id = flightId();
  const env = await read(`flight ${id}`, `/api/flights/${id}`);
  showResult(`Flight ${id}`, env.data);
  $('profile').hidden = true;
  prefillFromFlight(env.data);
}

async function runManifest() {
  const id = flightId();
  const env = await read(`manifest ${id}`, `/api/flights/${id}/manifest`);
  showResult(`Manifest of flight ${id}`, env.data);
  $('profile').hidden = true;
}

const passengers = new Map();

async function samplePassengers() {
  const env = await read('passenger sample', '/api/passengers/sample?count=10', { record: false });
  const list = rowsOf(env.data) || [];
  const select = $('passenger');
  passengers.clear();
  select.replaceChildren(
    ...list.map((p) => {
      const passport = pick(p, 'passportno', 'passportNo', 'passport_no', 'passport');
      passengers.set(passport, p);
      const first = pick(p, 'firstname', 'firstName', 'first_name') ?? '';
      const last = pick(p, 'lastname', 'lastName', 'last_name') ?? '';
      const count = pick(p, 'bookings', 'bookingCount', 'booking_count', 'count') ?? 0;
      return el(
        'option',
        { value: passport },
        p.label || `${first} ${last} (${passport}) - ${count} bookings`,
      );
    }),
  );
  if (list.length === 0) select.append(el('option', { value: '' }, 'no passengers with bookings'));
}

async function runPassenger() {
  const passport = $('passenger').value;
  if (!passport) throw new Error('Pick a passenger first');
  const env = await read(`passenger ${passport}`, `/api/passengers/${encodeURIComponent(passport)}/flights`);
  // One code per airport (IATA, else ICAO) instead of an iata column left empty for a third of the airports.
  const flights = (env.data.flights || []).map((f) => ({ ...f, from: airportCode(f.from), to: airportCode(f.to) }));
  showResult(`Last bookings of ${passport}`, flights);
  const p = passengers.get(passport);
  const passengerId = pick(p, 'passengerId', 'passenger_id', 'id');
  if (passengerId) {
    $('book-passenger').value = passengerId;
    await showProfile(passengerId);
  }
}

async function showProfile(passengerId) {
  const env = await read(`profile ${passengerId}`, `/api/passengers/${passengerId}/profile`);
  const p = env.data || {};
  const money = (v) =>
    typeof v === 'number'
      ? v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
      : v;
  const routes = (p.frequentRoutes || []).slice(0, 5).map((r) => `${r.route} ×${r.flights}`);
  const facts = [
    [
      'Passenger',
      p.passenger
        ? `${p.passenger.firstname} ${p.passenger.lastname} (#${p.passenger.passengerId})`
        : passengerId,
    ],
    ['Total flights', p.totalFlights],
    ['Total spent', money(p.totalSpent)],
    ['Airlines used', p.airlinesUsed],
    ['Airports visited', p.airportsVisited],
    ['Frequent routes', routes.length ? routes.join(', ') : '–'],
  ];
  $('profile-body').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '–')]));
  $('profile').hidden = false;
}

/** An airport's code as people read it: IATA, or ICAO for the airports that have none (a third of them). */
function airportCode(a) {
  if (a && typeof a === 'object') return pick(a, 'iata', 'code', 'icao') ?? null;
  return typeof a === 'string' && a ? a : null;
}

/** After "Flight details", fill the search form and booking form so the next panels are one click away. */
function prefillFromFlight(f) {
  const from = airportCode(pick(f, 'from', 'departureAirport', 'origin'));
  const to = airportCode(pick(f, 'to', 'arrivalAirport', 'destination'));
  const departure = pick(f, 'departure', 'departureAt', 'departureTime');
  if (from) $('search-from').value = from;
  if (to) $('search-to').value = to;
  if (typeof departure === 'string') {
    $('search-date').value = departure.slice(0, 10);
    if (!$('lb-date').value) $('lb-date').value = departure.slice(0, 10);
  }
  const id = pick(f, 'flightId', 'flight_id', 'id') ?? flightId();
  $('book-flight').value = id;
  $('session-flight').value = id;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Flight search and seat map                                                                                   */

const seatState = { flightId: null, picked: null };

async function search(e) {
  e.preventDefault();
  const from = $('search-from').value.trim().toUpperCase();
  const to = $('search-to').value.trim().toUpperCase();
  const date = $('search-date').value;
  const q = new URLSearchParams({ from, to, date });
  const env = await read(`search ${from}→${to}`, `/api/search/flights?${q}`);
  const offers = rowsOf(env.data) || [];
  // The columns a traveller compares; the full offer is one click away (seat map).
  const rows = offers.map((f) => ({
    flightId: f.flightId,
    flight: f.flightno,
    departs: formatCell(f.departure),
    arrives: formatCell(f.arrival),
    airline: (f.airline && (f.airline.name || f.airline.iata)) || '',
    'free seats': f.freeSeats,
    capacity: f.capacity,
  }));
  $('search-result').replaceChildren(
    rows.length
      ? table(rows, { onRowClick: (f) => busy(null, () => showSeats(f.flightId)) })
      : el('p', { class: 'muted' }, `No flights from ${from} to ${to} on ${date}.`),
  );
  if (rows.length) $('search-hint').textContent = 'Click a flight to see its seat map.';
}

/** Booked seat names from the seats answer, whatever the field is called. */
function bookedSeatsOf(data) {
  const list = pick(data, 'bookedSeats', 'booked_seats', 'seats', 'taken');
  return Array.isArray(list) ? list : [];
}

async function showSeats(id, { record = true } = {}) {
  if (!id) return;
  const env = await read(`seats ${id}`, `/api/flights/${id}/seats`, { record });
  const data = env.data;
  const capacity = Number(pick(data, 'capacity'));
  const taken = new Set(bookedSeatsOf(data));
  seatState.flightId = id;
  if (seatState.picked && taken.has(seatState.picked)) seatState.picked = null;
  $('seatmap-title').textContent = `· flight ${id}`;
  $('seatmap-counts').textContent =
    `${taken.size} of ${capacity} taken, ${pick(data, 'available') ?? capacity - taken.size} free`;
  drawSeatMap(capacity, taken);
  $('seatmap-box').hidden = false;
  $('book-flight').value = id;
  $('session-flight').value = id;
}

/** Rows x letters from the shared layout rules, an aisle in the middle of each row. */
function drawSeatMap(capacity, taken) {
  const grid = $('seatmap');
  const { letters, rows } = window.Seats.seatLayout(capacity);
  const half = letters.length / 2;
  grid.style.gridTemplateColumns = `28px repeat(${half}, 22px) 10px repeat(${half}, 22px)`;
  const cells = [];
  for (let row = 1; row <= rows; row++) {
    cells.push(el('span', { class: 'row-no' }, row));
    for (let i = 0; i < letters.length; i++) {
      if (i === half) cells.push(el('span', { class: 'aisle' }));
      const name = `${row}${letters[i]}`;
      if (window.Seats.seatIndex(name, capacity) === null) {
        cells.push(el('span'));
        continue;
      }
      const isTaken = taken.has(name);
      const cls = `seat${isTaken ? ' taken' : ''}${seatState.picked === name ? ' picked' : ''}`;
      cells.push(
        el(
          'button',
          {
            type: 'button',
            class: cls,
            title: `${name}${isTaken ? ' (taken)' : ''}`,
            dataset: { seat: name },
            disabled: isTaken,
            onclick: () => pickSeat(name),
          },
          letters[i],
        ),
      );
    }
  }
  grid.replaceChildren(...cells);
}

function pickSeat(name) {
  seatState.picked = name;
  $('book-seat').value = name;
  $('book-flight').value = seatState.flightId;
  for (const b of $('seatmap').querySelectorAll('.seat.picked')) b.classList.remove('picked');
  $('seatmap').querySelector(`[data-seat="${name}"]`)?.classList.add('picked');
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Booking                                                                                                      */

function logBooking(cls, status, text) {
  const li = el('li', { class: cls }, el('span', { class: 'status' }, status), text);
  $('booking-log').append(li);
  return li;
}

async function book(e) {
  e.preventDefault();
  const body = {
    flightId: Number($('book-flight').value),
    passengerId: Number($('book-passenger').value),
    seat: $('book-seat').value.trim().toUpperCase(),
    price: Number($('book-price').value),
    mode: document.querySelector('input[name="mode"]:checked').value,
  };
  try {
    const res = await http('POST', '/api/bookings', { body });
    const data = res.body && res.body.data !== undefined ? res.body.data : res.body;
    if (res.status === 202) {
      const reference = pick(data, 'reference');
      const what = `seat ${body.seat} on flight ${body.flightId} (write-behind), reference ${reference}`;
      const li = logBooking('pending', '202', `accepted ${what}: pending…`);
      await refreshSeatsAfterBooking(body.flightId);
      await pollBooking(reference, li, what);
    } else {
      const id = pick(data, 'bookingId', 'booking_id', 'id');
      logBooking(
        'ok',
        String(res.status),
        `booked seat ${body.seat} on flight ${body.flightId} (write-through), booking ${id ?? ''}`,
      );
      await refreshSeatsAfterBooking(body.flightId);
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    logBooking('err', String(err.status), err.message);
  }
}

async function refreshSeatsAfterBooking(id) {
  if (seatState.flightId === id || !$('seatmap-box').hidden) await showSeats(id, { record: false });
  if (session.basket.includes(id)) await session.showBasket();
}

/** Write-behind: the flusher persists the booking shortly; poll its status until it has a booking id. */
async function pollBooking(reference, li, what) {
  const started = performance.now();
  while (performance.now() - started < 60000) {
    await new Promise((r) => setTimeout(r, 300));
    try {
      const { body } = await http('GET', `/api/bookings/${encodeURIComponent(reference)}`);
      const data = body && body.data !== undefined ? body.data : body;
      const status = pick(data, 'status');
      if (status && status !== 'pending') {
        const id = pick(data, 'bookingId', 'booking_id', 'id');
        const after = ((performance.now() - started) / 1000).toFixed(1);
        li.className = status === 'persisted' ? 'ok' : 'err';
        li.lastChild.textContent = `${what}: ${status}${id ? `, booking ${id}` : ''} (after ${after} s)`;
        return;
      }
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  li.className = 'err';
  li.lastChild.textContent = `${what}: still pending after 60 s`;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Weather                                                                                                      */

async function loadCities() {
  const { body } = await http('GET', '/api/weather/cities');
  const list = rowsOf(body && body.data !== undefined ? body.data : body) || [];
  $('weather-city').replaceChildren(
    ...list.map((c) => {
      const country = pick(c, 'country', 'countryCode');
      const zip = pick(c, 'zip', 'zipCode', 'postcode');
      return el(
        'option',
        { value: `${country}/${zip}` },
        `${pick(c, 'name', 'city') ?? zip} (${country} ${zip})`,
      );
    }),
  );
}

async function weather() {
  const path = $('weather-city').value;
  if (!path) throw new Error('Pick a city first');
  // Logged in: the session's route, which remembers the lookup (the answer is the weather-service's, the same).
  let env = session.passenger ? await session.call('GET', `/api/session/weather/${path}`) : null;
  if (env) {
    if (env.meta) metrics.record(`weather ${path}`, env.meta);
    await session.show();
  } else env = await read(`weather ${path}`, `/api/weather/${path}`);
  const w = env.data || {};
  const temp = pick(w.main, 'temp') ?? pick(w, 'temp', 'temperature');
  const desc = pick((w.weather || [])[0], 'description') ?? pick(w, 'description', 'condition');
  $('weather-result').replaceChildren(
    el(
      'div',
      { class: 'weather-box' },
      el('div', { class: 'temp' }, temp !== undefined ? `${Number(temp).toFixed(1)}°` : '–'),
      el(
        'div',
        {},
        el('div', {}, el('strong', {}, pick(w, 'name', 'city') ?? path), desc ? ` · ${desc}` : ''),
        el(
          'div',
          { class: 'small' },
          el('span', { class: `badge ${env.meta.source}` }, env.meta.source),
          ` ${ms(env.meta.latencyMs)}`,
          env.meta.stale ? ' (stale: provider failing)' : '',
        ),
      ),
    ),
  );
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Live figures: GET /api/stats and /health                                                                     */

function bytes(n) {
  if (typeof n !== 'number') return n ?? '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) ((n /= 1024), i++);
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

async function refreshStats() {
  let body;
  try {
    ({ body } = await http('GET', '/api/stats'));
  } catch {
    return; // the stats route may be down or not deployed: the rest of the page still works
  }
  const s = body && body.data !== undefined ? body.data : body;
  const v = (s && s.valkey) || {};
  $('live-hitrate').textContent = typeof v.hitRate === 'number' ? `${(v.hitRate * 100).toFixed(1)}%` : '–';
  $('live-memory').textContent = v.usedMemoryHuman || bytes(v.usedMemory);
  $('live-evictions').textContent = v.evictedKeys ?? '–';
  $('live-ops').textContent = v.opsPerSec ?? '–';
  if (s && s.cacheAvailable === false) $('live-hitrate').textContent = 'cache down';
  const lat = (x) => (x && x.count ? `${x.avgMs.toFixed(3)} / ${x.p99Ms.toFixed(3)}` : '–');
  const queryRows = ((s && s.queries) || [])
    .filter((q) => q.hits + q.misses > 0)
    .map((q) => ({
      query: q.queryClass,
      hits: q.hits,
      misses: q.misses,
      'hit rate': `${(q.hitRate * 100).toFixed(1)}%`,
      'cache avg / p99 ms': lat(q.cache),
      'source avg / p99 ms': lat(q.database && q.database.count ? q.database : q.upstream),
      speedup: q.speedup ? `${q.speedup.toFixed(1)}×` : '–',
    }));
  $('live-queries').replaceChildren(
    queryRows.length ? table(queryRows) : el('p', { class: 'muted' }, 'No cached reads yet.'),
  );
  // Write path: queue depths, the write-behind stream and invalidation lag (the full picture is on /queues).
  const writes = s && s.writes;
  const queueRows = ((writes && writes.queues) || []).map((q) =>
    q.unavailable
      ? { queue: q.name, waiting: 'unavailable' }
      : {
          queue: q.name,
          waiting: q.waiting,
          active: q.active,
          delayed: q.delayed,
          failed: q.failed,
          done: q.completed,
        },
  );
  const wb = writes && writes.writeBehind;
  const group = wb && wb.groups && wb.groups[0];
  const lag = writes && writes.invalidationLag;
  const facts = [
    wb ? `write-behind stream: ${wb.streamLength} entries` : null,
    group ? `flushers: ${group.consumers}, pending ${group.pending}, lag ${group.lag ?? '–'}` : null,
    lag ? `invalidation lag p50 ${lag.p50Ms} ms · p99 ${lag.p99Ms} ms (${lag.samples} events)` : null,
  ].filter(Boolean);
  $('live-queues').replaceChildren(
    ...(queueRows.length ? [table(queueRows)] : []),
    ...facts.map((f) => el('p', { class: 'muted' }, f)),
    ...(queueRows.length || facts.length
      ? []
      : [el('p', { class: 'muted' }, 'See the queue dashboard for jobs and the write-behind stream.')]),
  );
}

async function refreshHealth() {
  const pill = $('health');
  try {
    const res = await fetch('/health');
    const body = await res.json();
    pill.textContent = `health ${body.status}`;
    pill.className = `pill ${res.ok ? 'up' : 'down'}`;
    const down = Object.entries(body.error || {}).map(([k, d]) => `${k}: ${d.message || d.status}`);
    pill.title = down.length ? down.join('\n') : 'all dependencies up';
  } catch (e) {
    pill.textContent = 'gateway unreachable';
    pill.className = 'pill down';
  }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Session: /api/session/* (the cookie is HttpOnly and scoped to /api/session: this page never sees it)         */

const SESSION_FLAG = 'cmiyc.session';

const session = {
  /** The logged-in passenger, or null. */
  passenger: null,
  basket: [],

  /**
   * A session request. 401 (no session, expired, ended, forged) shows why and the login form again, and
   * resolves to null; any other error is thrown.
   */
  async call(method, path, body) {
    try {
      return (await http(method, path, { body })).body;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      this.ended(e.message);
      return null;
    }
  },

  ended(message) {
    // Only a session this browser had is news; a first visit just shows the form.
    const had = this.passenger !== null || localStorage.getItem(SESSION_FLAG) === '1';
    this.showLogin(had ? message : '', true);
  },

  /** Logged out (or never in): the login form, with why. */
  showLogin(message, isError = false) {
    localStorage.removeItem(SESSION_FLAG);
    this.passenger = null;
    this.basket = [];
    this.message(message, isError);
    $('session-panel').hidden = true;
    $('session-login').hidden = false;
  },

  message(text, isError = false) {
    const m = $('session-message');
    m.textContent = text;
    m.className = `small ${isError ? 'error-text' : 'muted'}`;
  },

  async login(e) {
    e.preventDefault();
    const who = $('session-who').value.trim().toUpperCase() || $('passenger').value;
    if (!who) throw new Error('Type a passport number or passenger id (or pick a passenger above)');
    const body = /^\d{1,10}$/.test(who) ? { passengerId: Number(who) } : { passportNo: who };
    const env = await this.call('POST', '/api/session/login', body);
    if (!env) return;
    localStorage.setItem(SESSION_FLAG, '1');
    this.message('');
    this.render(env.data);
    await this.showBasket();
  },

  async logout() {
    await http('POST', '/api/session/logout');
    this.showLogin('Logged out: the session and its keys are gone.');
  },

  /** GET /api/session: who, basket ids, recent weather (and the sliding TTL starts again). */
  async show() {
    const env = await this.call('GET', '/api/session');
    if (env) this.render(env.data);
    return env;
  },

  render(s) {
    this.passenger = s.passenger;
    this.basket = s.basket || [];
    const p = s.passenger;
    $('session-user').textContent = `${p.firstname} ${p.lastname} (${p.passportNo}, #${p.passengerId})`;
    $('session-meta').textContent =
      `session since ${formatCell(s.createdAt)} · ends after ${s.expiresInSeconds} s without a request`;
    $('session-weather').replaceChildren(
      ...(s.recentWeather || [])
        .slice()
        .reverse()
        .map((w) =>
          el(
            'li',
            { class: w.source === 'cache' ? 'ok' : '' },
            el('span', { class: `badge ${w.source}` }, w.source),
            ` ${w.city} (${w.country} ${w.zip}): ${typeof w.temp === 'number' ? `${w.temp.toFixed(1)}°` : '–'}`,
            w.description ? ` · ${w.description}` : '',
            el('span', { class: 'muted' }, ` · ${formatCell(w.at)}`),
          ),
        ),
    );
    if (!s.recentWeather || s.recentWeather.length === 0)
      $('session-weather').append(el('li', { class: 'muted' }, 'No lookups yet: use the Weather panel.'));
    $('session-login').hidden = true;
    $('session-panel').hidden = false;
  },

  /** GET /api/session/basket: each flight with its seats available right now. */
  async showBasket() {
    const env = await this.call('GET', '/api/session/basket');
    if (!env) return;
    const items = env.data || [];
    this.basket = items.map((f) => f.flightId);
    if (items.length === 0) {
      $('session-basket').replaceChildren(el('p', { class: 'muted' }, 'The basket is empty.'));
      return;
    }
    const head = ['flight', 'route', 'departs', 'seats free', ''];
    const departs = (f) =>
      f.problem ?? `${formatCell(f.departure).slice(0, 16)}${f.status === 'upcoming' ? '' : ` (${f.status})`}`;
    $('session-basket').replaceChildren(
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
        el(
          'tbody',
          {},
          items.map((f) =>
            el(
              'tr',
              { dataset: { flight: String(f.flightId) } },
              el('td', { class: 'num' }, f.flightno ? `${f.flightId} ${f.flightno}` : f.flightId),
              el('td', {}, f.problem ? '' : `${f.from ?? '?'} → ${f.to ?? '?'}`),
              el('td', {}, departs(f)),
              el(
                'td',
                { class: 'num seats-free' },
                f.available === null ? '–' : `${f.available} of ${f.capacity}`,
              ),
              el(
                'td',
                {},
                el(
                  'button',
                  {
                    type: 'button',
                    class: 'small-button',
                    title: `Remove flight ${f.flightId} from the basket`,
                    onclick: (e) => busy(e.currentTarget, () => this.remove(f.flightId)),
                  },
                  'Remove',
                ),
              ),
            ),
          ),
        ),
      ),
    );
  },

  async add(e) {
    e.preventDefault();
    const id = Number($('session-flight').value);
    if (!Number.isInteger(id) || id < 1) throw new Error('Flight ID must be a positive whole number');
    if (!(await this.call('PUT', `/api/session/basket/${id}`))) return;
    await this.showBasket();
    toast(`Flight ${id} is in the basket.`);
  },

  async remove(id) {
    if (!(await this.call('DELETE', `/api/session/basket/${id}`))) return;
    await this.showBasket();
  },

  /** At start-up: a session this browser still has (the cookie is HttpOnly, so ask the server). */
  async resume() {
    if (await this.show()) await this.showBasket();
  },
};

/* ------------------------------------------------------------------------------------------------------------ */
/* Leaderboards: /api/leaderboards/airports (top N of a day) and /airports/:code/rank                          */

/**
 * No day picked yet: the day the guided flight (Flight ID above) departs, a day with traffic ("Flight details"
 * fills it in too); today if that flight cannot be read. Asked only now, so that loading the page reads nothing.
 */
async function leaderboardDay() {
  if (!$('lb-date').value) {
    let day = new Date().toISOString().slice(0, 10);
    try {
      day = (await http('GET', `/api/flights/${flightId()}`)).body.data.departure.slice(0, 10);
    } catch {
      // no such flight (or the API is down): today it is
    }
    $('lb-date').value = day;
  }
  return $('lb-date').value;
}

/** Where an answer came from and what it cost: meta.source, the service's latency, the whole round trip. */
function answerFacts(meta, roundTripMs) {
  return [
    el('span', { class: `badge ${meta.source}` }, meta.source),
    ` ${ms(meta.latencyMs)} in the service · ${ms(roundTripMs)} round trip`,
    ...(meta.cacheKey ? [' · ', el('code', {}, meta.cacheKey)] : []),
    meta.stale ? ' (stale)' : '',
  ];
}

async function leaderboard(e) {
  e?.preventDefault();
  const date = await leaderboardDay();
  const by = $('lb-by').value;
  const limit = $('lb-limit').value || '10';
  const started = performance.now();
  const q = new URLSearchParams({ date, by, limit });
  const env = await read(`leaderboard ${by}`, `/api/leaderboards/airports?${q}`);
  const took = performance.now() - started;
  const board = env.data;
  $('lb-meta').className = 'small';
  $('lb-meta').replaceChildren(
    `${board.top.length} of ${board.airports} airports by ${board.by} on ${board.date} · `,
    ...answerFacts(env.meta, took),
  );
  const rows = board.top.map((t) => ({ rank: t.rank, code: t.code, airport: t.name, [board.by]: t.count }));
  $('lb-result').replaceChildren(
    rows.length
      ? table(rows, {
          onRowClick: (r) => {
            $('lb-code').value = r.code;
            busy(null, rank);
          },
        })
      : el('p', { class: 'muted' }, `No traffic on ${board.date}.`),
  );
}

async function rank(e) {
  e?.preventDefault();
  const date = await leaderboardDay();
  const code = $('lb-code').value.trim().toUpperCase();
  if (!code) throw new Error('Type an airport code (IATA, or ICAO)');
  const started = performance.now();
  const env = await read(
    `rank ${code}`,
    `/api/leaderboards/airports/${encodeURIComponent(code)}/rank?${new URLSearchParams({ date })}`,
  );
  const took = performance.now() - started;
  const r = env.data;
  $('lb-rank-meta').replaceChildren(
    el('strong', {}, `${r.code}${r.name ? ` ${r.name}` : ''}`),
    ` on ${r.date} · `,
    ...answerFacts(env.meta, took),
  );
  const rows = ['departures', 'arrivals', 'flights', 'passengers'].map((board) => ({
    board,
    rank: r[board].rank === null ? '–' : `#${r[board].rank}`,
    count: r[board].count,
    of: `${r[board].of} airports`,
  }));
  $('lb-rank').replaceChildren(table(rows));
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Flush cache (admin)                                                                                          */

async function flush(e) {
  e.preventDefault();
  const auth = btoa(`${$('flush-user').value}:${$('flush-password').value}`);
  const out = $('flush-result');
  try {
    // credentials 'omit': a 401 comes back to this dialog instead of opening the browser's own login prompt.
    const { body } = await http('DELETE', '/api/cache', {
      headers: { Authorization: `Basic ${auth}` },
      credentials: 'omit',
    });
    const data = body && body.data !== undefined ? body.data : body;
    const n = pick(data, 'deleted', 'removed', 'keys');
    $('flush-dialog').close();
    toast(`Cache flushed${n !== undefined ? `: ${n} keys removed` : ''}. The next reads miss.`);
  } catch (err) {
    out.textContent = err.status === 401 ? 'Wrong user or password.' : `${err.status ?? ''} ${err.message}`;
  }
}

/* ------------------------------------------------------------------------------------------------------------ */

function wire() {
  metrics.init();
  const on = (id, fn) => $(id).addEventListener('click', (e) => busy(e.currentTarget, fn));
  on('run-flight', runFlight);
  on('run-manifest', runManifest);
  on('run-passenger', runPassenger);
  on('sample-passengers', samplePassengers);
  on('weather-go', weather);
  $('search-form').addEventListener('submit', (e) => busy(e.submitter, () => search(e)));
  $('booking-form').addEventListener('submit', (e) => busy(e.submitter, () => book(e)));
  $('flush-open').addEventListener('click', () => {
    $('flush-result').textContent = '';
    $('flush-dialog').showModal();
  });
  $('flush-cancel').addEventListener('click', () => $('flush-dialog').close());
  $('flush-form').addEventListener('submit', (e) => busy(null, () => flush(e)));
  $('flight-id').addEventListener('keydown', (e) => e.key === 'Enter' && busy(null, runFlight));
  $('session-login').addEventListener('submit', (e) => busy(e.submitter, () => session.login(e)));
  $('session-add').addEventListener('submit', (e) => busy(e.submitter, () => session.add(e)));
  on('session-refresh', () => session.resume());
  on('session-logout', () => session.logout());
  $('lb-form').addEventListener('submit', (e) => busy(e.submitter, () => leaderboard(e)));
  $('lb-rank-form').addEventListener('submit', (e) => busy(e.submitter, () => rank(e)));

  busy(null, samplePassengers);
  busy(null, loadCities);
  busy(null, () => session.resume());
  refreshStats();
  refreshHealth();
  setInterval(refreshStats, 5000);
  setInterval(refreshHealth, 10000);
  document.body.dataset.ready = 'true';
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Ask the database in plain English: POST /api/ask                                                             */

const ASK_EXAMPLES = [
  'airport details for JFK',
  'flights from JFK to LAX',
  '10 passengers from the United States',
  'booking count for passenger 1000',
  'manifest for flight 115',
  'show me all the flights from JFK to LAX',
];

async function askQuestion(question) {
  const q = (question ?? $('ask-question').value).trim();
  if (!q) throw new Error('Type a question first');
  $('ask-question').value = q;
  const out = $('ask-result');
  out.replaceChildren(el('p', { class: 'muted small' }, 'asking…'));
  let body;
  try {
    ({ body } = await http('POST', '/api/ask', { body: { question: q, refresh: $('ask-refresh').checked } }));
  } catch (e) {
    out.replaceChildren(
      el('p', { class: 'ask-error' }, e instanceof ApiError ? `${e.status}: ${e.message}` : e.message),
    );
    return;
  }
  const { data, meta } = body;
  const cols = data.columns || [];
  out.replaceChildren(
    el(
      'p',
      { class: 'small' },
      el('span', { class: `badge ask-${meta.source}` }, meta.source),
      ` ${ms(meta.latencyMs)}`,
      meta.modelMs !== undefined ? ` · model ${ms(meta.modelMs)}` : '',
      meta.similarity !== undefined ? ` · similarity ${meta.similarity.toFixed(3)}` : '',
      meta.similarTo && meta.similarTo !== q ? ` (SQL of “${meta.similarTo}”)` : '',
      ` · rows from ${meta.rowsFrom} · ${data.rows.length} row(s)${meta.truncated ? ` (limit ${meta.limit})` : ''}`,
    ),
    el('pre', { class: 'ask-sql' }, data.sql),
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, cols.map((c) => el('th', {}, c)))),
        el(
          'tbody',
          {},
          data.rows.slice(0, 50).map((r) => el('tr', {}, cols.map((c) => el('td', {}, r[c] ?? '')))),
        ),
      ),
    ),
  );
}

document.addEventListener('DOMContentLoaded', () => {
  if (!$('ask-form')) return;
  $('ask-examples').replaceChildren(
    ...ASK_EXAMPLES.map((q) =>
      el('button', { type: 'button', class: 'chip', onclick: (e) => busy(e.currentTarget, () => askQuestion(q)) }, q),
    ),
  );
  $('ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    busy(e.submitter, () => askQuestion());
  });
});

window.dashboard = { metrics, session };
document.addEventListener('DOMContentLoaded', wire);
