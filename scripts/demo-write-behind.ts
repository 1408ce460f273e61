import { performance } from 'node:perf_hooks';
import type {
  BookingStatusView,
  BookingView,
  FlightChangeAccepted,
  FlightChangeTotals,
  FlightDetails,
  WriteBehindAccepted,
} from '@app/contracts';
import type { ManifestEntry } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { cancelBooking, freeSeats, samplePassengers, sleep, upcomingFlights } from './demo/fixtures';
import { GatewayClient, GatewayError, payload } from './demo/http';
import {
  banner,
  c,
  fail,
  info,
  ms,
  ok,
  pause,
  printTable,
  speedup,
  step,
  summarize,
  warn,
} from './demo/output';
import { progressBar } from './demo/progress';

const USAGE = `
npm run demo:write-behind -- [--bookings 200] [--concurrency 20] [--flight-id 115] [--changes 100]
                              [--change-flights 5] [--keep] [-i]

Write-behind through the gateway, for bookings and for flight changes. Bookings: a burst is accepted at cache speed (202 with a reference: the seat
is taken in Valkey and the booking appended to a stream), then the flusher persists them in batches; the demo
polls GET /api/bookings/:reference until every one has a booking id. A few write-through bookings (201) first,
for contrast. Afterwards the bookings are cancelled again unless --keep. Flight changes: a burst of PATCHes in
mode write-behind (202 once the cache has them); the flusher writes every flight_log row but only one UPDATE per
flight per batch: the demo prints changes accepted vs UPDATE statements run, then restores the times.

  --bookings N       bookings in the burst (default 200)
  --concurrency N    requests in flight at once (default 20)
  --flight-id N      first flight to take free seats from; later flights are used when it fills (default 115)
  --changes N        write-behind flight changes in the second part (default 100; 0 skips it)
  --change-flights N flights they are spread over (default 5): changes to one flight in one batch are one UPDATE
  --keep             keep the bookings (default: cancel them at the end)
  -i, --interactive  pause between steps
`;

interface Slot {
  flightId: number;
  seat: string;
  passengerId: number;
}

export async function writeBehindDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      bookings: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '20' },
      'flight-id': { type: 'string', default: '115' },
      keep: { type: 'boolean', default: false },
      changes: { type: 'string', default: '100' },
      'change-flights': { type: 'string', default: '5' },
      interactive: { type: 'boolean', short: 'i', default: false },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const total = intFlag('bookings', values.bookings, 1, 100000);
  const concurrency = intFlag('concurrency', values.concurrency, 1, 500);
  const firstFlight = intFlag('flight-id', values['flight-id'], 1);
  const interactive = values.interactive === true;
  const contrastCount = 5;

  banner(
    'Write-behind demo',
    `gateway ${client.baseUrl}: accept in the cache now, persist in batches shortly after`,
  );

  step(1, `Finding ${total + 2 * contrastCount} free seats`);
  const slots = await findSlots(client, firstFlight, total + 2 * contrastCount);
  const flights = [...new Set(slots.map((s) => s.flightId))];
  info(`seats on flight(s) ${flights.join(', ')}; passengers from GET /api/passengers/sample`);

  const created: number[] = [];
  try {
    await pause(interactive);
    step(
      2,
      `One at a time: ${contrastCount} write-through (201) vs ${contrastCount} write-behind (202) bookings`,
    );
    const one = async (slot: Slot, mode: 'write-through' | 'write-behind') => {
      const reply = await client.post<unknown>('/api/bookings', { ...slot, price: 149, mode });
      return { reply, body: payload<BookingView & WriteBehindAccepted>(reply.body) };
    };
    const through: number[] = [];
    for (const slot of slots.splice(0, contrastCount)) {
      const { reply, body } = await one(slot, 'write-through');
      through.push(reply.roundTripMs);
      created.push(body.bookingId);
    }
    const behind: Array<{ reference: string; roundTripMs: number }> = [];
    for (const slot of slots.splice(0, contrastCount)) {
      const { reply, body } = await one(slot, 'write-behind');
      behind.push({ reference: body.reference, roundTripMs: reply.roundTripMs });
    }
    const t = summarize(through)!;
    const b = summarize(behind.map((x) => x.roundTripMs))!;
    printTable(
      ['mode', 'answer', 'avg', 'max', 'what happened before the answer'],
      [
        ['write-through', '201 Created', ms(t.avg), ms(t.max), 'database transaction, then the cache'],
        [
          'write-behind',
          '202 Accepted',
          ms(b.avg),
          ms(b.max),
          'seat taken in Valkey, booking appended to a stream',
        ],
      ],
    );
    if (b.avg < t.avg) ok(`write-behind answers ${c.green(speedup(t.avg, b.avg))} faster`);
    else warn(`write-behind was not faster here (${ms(b.avg)} vs ${ms(t.avg)}): is the machine busy?`);

    await pause(interactive);
    step(3, `Burst: ${slots.length} write-behind bookings, ${concurrency} at a time`);
    const accepted = await burst(client, slots, concurrency);
    const a = summarize(accepted.map((x) => x.roundTripMs));
    const rejected = slots.length - accepted.length;
    if (!a) throw new Error('no write-behind booking was accepted');
    info(
      `202 Accepted ×${a.count}${rejected ? `, ${rejected} refused` : ''}: avg ${ms(a.avg)}, p50 ${ms(a.p50)}, p99 ${ms(a.p99)} (${concurrency} in flight)`,
    );
    ok(
      `burst took ${(accepted.wallMs / 1000).toFixed(2)} s: ${c.green(Math.round(a.count / (accepted.wallMs / 1000)))} bookings/s accepted`,
    );
    accepted.push(...behind);

    await pause(interactive);
    step(4, 'Polling GET /api/bookings/:reference until the flusher has persisted every booking');
    const persisted = await waitPersisted(
      client,
      accepted.map((x) => x.reference),
    );
    created.push(...persisted.ids);
    printTable(
      ['status', 'bookings'],
      Object.entries(persisted.byStatus).map(([k, v]) => [k, v]),
    );
    if (persisted.byStatus.persisted === accepted.length) {
      ok(`all ${accepted.length} persisted ${(persisted.wallMs / 1000).toFixed(2)} s after the burst ended`);
    } else fail(`${accepted.length - (persisted.byStatus.persisted ?? 0)} booking(s) not persisted`);
    for (const r of persisted.failures.slice(0, 5)) warn(`${r.reference}: ${r.status} ${r.reason ?? ''}`);

    step(5, 'The database has them: manifest read with ?refresh=true');
    for (const flightId of flights) {
      const manifest = await client.read<ManifestEntry[]>(`/api/flights/${flightId}/manifest`, {
        refresh: true,
      });
      info(
        `flight ${flightId}: ${manifest.data.length} passengers on the manifest (${ms(manifest.meta.latencyMs)} from the database)`,
      );
    }
  } finally {
    if (values.keep) info(c.dim(`--keep: ${created.length} bookings stay in the database`));
    else await cleanUp(client, created);
  }
  const changes = intFlag('changes', values.changes, 0, 10000);
  if (changes > 0) {
    await pause(interactive);
    await flightChanges(
      client,
      firstFlight,
      changes,
      intFlag('change-flights', values['change-flights'], 1, 100),
    );
  }
}

/**
 * Write-behind flight changes (the original's write-behind demo queued flight time updates): a burst of PATCHes
 * in mode write-behind, answered 202 once the cache has them; the flusher writes every flight_log row and one
 * UPDATE per flight per batch. Prints changes accepted vs UPDATE statements run, then puts the times back.
 */
async function flightChanges(client: GatewayClient, firstFlight: number, total: number, flightCount: number) {
  step(6, `Write-behind flight changes: ${total} time changes to ${flightCount} flights, in one burst`);
  const flights: FlightDetails[] = [];
  for (let id = firstFlight; flights.length < flightCount && id < firstFlight + 500; id++) {
    try {
      flights.push((await client.read<FlightDetails>(`/api/flights/${id}`)).data);
    } catch (e) {
      if (!(e instanceof GatewayError) || e.status !== 404) throw e;
    }
  }
  const before = payload<FlightChangeTotals>(
    (await client.request<unknown>('GET', '/api/flight-changes')).body,
  );
  const minute = 60_000;
  const patch = (f: FlightDetails, shiftMin: number, mode: 'write-through' | 'write-behind') =>
    client.patch<unknown>(`/api/flights/${f.flightId}`, {
      departure: new Date(Date.parse(f.departure) + shiftMin * minute).toISOString(),
      arrival: new Date(Date.parse(f.arrival) + shiftMin * minute).toISOString(),
      comment: `demo:write-behind shift ${shiftMin} min`,
      mode,
    });
  // For contrast: one write-through move per flight (a transaction with its flight_log row before the answer).
  const through: number[] = [];
  for (const f of flights) through.push((await patch(f, 0, 'write-through')).roundTripMs);
  const started = performance.now();
  const accepted: Array<{ ms: number; reference: string }> = [];
  // 10 requests in flight at a time, each flight moved 5 minutes further by each of its changes.
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < total) {
        const i = next++;
        const f = flights[i % flights.length];
        const reply = await patch(f, 5 * (Math.floor(i / flights.length) + 1), 'write-behind');
        accepted.push({
          ms: reply.roundTripMs,
          reference: payload<FlightChangeAccepted>(reply.body).reference,
        });
      }
    }),
  );
  const wallMs = performance.now() - started;
  const t = summarize(through)!;
  const b = summarize(accepted.map((a) => a.ms))!;
  printTable(
    ['mode', 'answer', 'avg', 'p99', 'what happened before the answer'],
    [
      [
        'write-through (1 at a time)',
        '200 OK',
        ms(t.avg),
        ms(t.p99),
        'UPDATE + flight_log row in one transaction',
      ],
      [
        'write-behind (10 in flight)',
        '202 Accepted',
        ms(b.avg),
        ms(b.p99),
        'cached flight updated, change appended to a stream',
      ],
    ],
  );
  info(`${accepted.length} changes accepted in ${(wallMs / 1000).toFixed(2)} s`);
  const deadline = Date.now() + 60_000;
  let after = before;
  while (Date.now() < deadline) {
    after = payload<FlightChangeTotals>((await client.request<unknown>('GET', '/api/flight-changes')).body);
    if (after.persisted + after.failed - before.persisted - before.failed >= accepted.length) break;
    await sleep(100);
  }
  const persisted = after.persisted - before.persisted;
  const updates = after.updates - before.updates;
  const batches = after.batches - before.batches;
  printTable(
    ['changes accepted', 'persisted (flight_log rows)', 'UPDATE statements', 'batches'],
    [[accepted.length, persisted, updates, batches]],
  );
  if (persisted === accepted.length)
    ok(
      `${c.green(`${accepted.length} changes → ${updates} UPDATEs`)}: every change has its flight_log row, ` +
        `each flight was written once per batch (${(accepted.length / Math.max(1, updates)).toFixed(1)} changes per UPDATE)`,
    );
  else fail(`${accepted.length - persisted} change(s) not persisted within 60 s`);
  // The flights get their times back (write-through).
  for (const f of flights) await patch(f, 0, 'write-through');
  info(c.dim(`the ${flights.length} flights are back at their original times`));
}

/** Free seats across upcoming flights from firstFlight on, each paired with a sampled passenger. */
async function findSlots(client: GatewayClient, firstFlight: number, needed: number): Promise<Slot[]> {
  const passengers = await samplePassengers(client, 10);
  const slots: Slot[] = [];
  for await (const flightId of upcomingFlights(client, firstFlight)) {
    if (slots.length >= needed) break;
    let seats: string[];
    try {
      seats = await freeSeats(client, flightId);
    } catch (e) {
      if (e instanceof GatewayError && e.status === 404) continue;
      throw e;
    }
    for (const seat of seats.slice(0, needed - slots.length)) {
      slots.push({ flightId, seat, passengerId: passengers[slots.length % passengers.length].passengerId });
    }
  }
  if (slots.length < needed)
    throw new Error(`only ${slots.length} free seats found from flight ${firstFlight} on`);
  return slots;
}

async function burst(client: GatewayClient, slots: Slot[], concurrency: number) {
  const accepted: Array<{ reference: string; roundTripMs: number }> = [];
  const bar = progressBar('accepting', slots.length);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < slots.length) {
      const slot = slots[next++];
      try {
        const reply = await client.post<unknown>('/api/bookings', {
          ...slot,
          price: 149,
          mode: 'write-behind',
        });
        if (reply.status !== 202) throw new Error(`expected 202, got ${reply.status}`);
        accepted.push({
          reference: payload<WriteBehindAccepted>(reply.body).reference,
          roundTripMs: reply.roundTripMs,
        });
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        bar.stop();
        warn(`${slot.flightId}/${slot.seat}: ${e.message}`);
      }
      bar.increment();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  bar.stop();
  return Object.assign(accepted, { wallMs: performance.now() - started });
}

async function waitPersisted(client: GatewayClient, references: string[]) {
  const open = new Set(references);
  const done = new Map<string, BookingStatusView>();
  const bar = progressBar('persisted', references.length);
  const started = performance.now();
  while (open.size > 0 && performance.now() - started < 120_000) {
    for (const reference of [...open]) {
      const status = payload<BookingStatusView>(
        (await client.request<unknown>('GET', `/api/bookings/${reference}`)).body,
      );
      if (status.status !== 'pending') {
        open.delete(reference);
        done.set(reference, status);
        bar.increment();
      }
    }
    if (open.size > 0) await sleep(100);
  }
  bar.stop();
  const byStatus: Record<string, number> = {};
  for (const s of done.values()) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  if (open.size) byStatus.pending = open.size;
  return {
    byStatus,
    ids: [...done.values()].flatMap((s) => (s.bookingId ? [s.bookingId] : [])),
    failures: [...done.values()].filter((s) => s.status !== 'persisted'),
    wallMs: performance.now() - started,
  };
}

async function cleanUp(client: GatewayClient, bookingIds: number[]): Promise<void> {
  if (bookingIds.length === 0) return;
  const bar = progressBar('cancelling', bookingIds.length);
  let failed = 0;
  for (const id of bookingIds) {
    try {
      await cancelBooking(client, id);
    } catch {
      failed++;
    }
    bar.increment();
  }
  bar.stop();
  info(
    c.dim(
      `cancelled ${bookingIds.length - failed} demo booking(s)${failed ? `, ${failed} could not be cancelled` : ''}`,
    ),
  );
}

if (require.main === module) runMain(writeBehindDemo);
