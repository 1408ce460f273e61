import { performance } from 'node:perf_hooks';
import type { BookingStatusView, BookingView, WriteBehindAccepted } from '@app/contracts';
import type { ManifestEntry } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { cancelBooking, freeSeats, samplePassengers, sleep } from './demo/fixtures';
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
npm run demo:write-behind -- [--bookings 200] [--concurrency 20] [--flight-id 115] [--keep] [-i]

Write-behind through the gateway: a burst of bookings is accepted at cache speed (202 with a reference: the seat
is taken in Valkey and the booking appended to a stream), then the flusher persists them in batches; the demo
polls GET /api/bookings/:reference until every one has a booking id. A few write-through bookings (201) first,
for contrast. Afterwards the bookings are cancelled again unless --keep.

  --bookings N       bookings in the burst (default 200)
  --concurrency N    requests in flight at once (default 20)
  --flight-id N      first flight to take free seats from; later flights are used when it fills (default 115)
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
}

/** Free seats across consecutive flights from firstFlight, each paired with a sampled passenger. */
async function findSlots(client: GatewayClient, firstFlight: number, needed: number): Promise<Slot[]> {
  const passengers = await samplePassengers(client, 10);
  const slots: Slot[] = [];
  for (let flightId = firstFlight; slots.length < needed && flightId < firstFlight + 500; flightId++) {
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
