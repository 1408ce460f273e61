import { randomUUID } from 'node:crypto';
import { AppConfig } from '@app/platform';
import { seatName } from '@app/contracts';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { WriteStack, createHundredSeatFlight, eventually, startWriteStack } from './write-stack';

/**
 * Idempotent retries through the gateway: POST /api/bookings and PATCH /api/flights/:id with an Idempotency-Key
 * answer a retry with the first outcome (same status, same booking or reference) and do nothing again; the same
 * key with another request is 422; concurrent requests with one key are carried out once.
 */
describe.each(TEST_ENGINES)('Idempotency-Key on %s', (engine) => {
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let stack: WriteStack;
  let passengerIds: number[];
  let flightId: number;
  let capacity: number;

  beforeAll(async () => {
    config = testConfig(engine, { WRITE_BEHIND_BLOCK_MS: '50' });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config, { warmer: false });
    const rows: Array<{ passenger_id: number }> = await stack.ds.query(
      'SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 10',
    );
    passengerIds = rows.map((r) => Number(r.passenger_id));
    ({ flightId, capacity } = await createHundredSeatFlight(stack.ds));
  });

  afterAll(async () => {
    await stack?.close();
    await dropDb?.();
  });

  const bookingsOf = async (passengerId: number) =>
    Number(
      (
        await stack.ds.query(
          `SELECT COUNT(*) AS n FROM booking WHERE flight_id = ${Number(flightId)} AND passenger_id = ${Number(passengerId)}`,
        )
      )[0].n,
    );
  const post = (key: string, body: object) =>
    stack.http().post('/api/bookings').set('Idempotency-Key', key).send(body);

  it('a retried write-through booking gets the first answer and books nothing more; another request under the key is 422', async () => {
    const key = randomUUID();
    const body = { flightId, passengerId: passengerIds[0], seat: seatName(0, capacity), price: 120 };
    const first = await post(key, body);
    expect(first.status).toBe(201);
    const retry = await post(key, body);
    expect({ status: retry.status, data: retry.body.data }).toEqual({ status: 201, data: first.body.data });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await bookingsOf(passengerIds[0])).toBe(1);

    const other = await post(key, { ...body, seat: seatName(1, capacity) });
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/Idempotency-Key/);
  });

  it('a retried write-behind booking gets the same reference', async () => {
    const key = randomUUID();
    const body = {
      flightId,
      passengerId: passengerIds[1],
      seat: seatName(2, capacity),
      price: 80,
      mode: 'write-behind',
    };
    const first = await post(key, body);
    expect(first.status).toBe(202);
    const retry = await post(key, body);
    expect(retry.status).toBe(202);
    expect(retry.body.data.reference).toBe(first.body.data.reference);
    await eventually(async () => ((await bookingsOf(passengerIds[1])) === 1 ? true : undefined), 30_000);
    expect(await bookingsOf(passengerIds[1])).toBe(1);
  });

  it('concurrent requests with one key are carried out once', async () => {
    const key = randomUUID();
    const body = { flightId, passengerId: passengerIds[2], seat: seatName(3, capacity), price: 90 };
    const replies = await Promise.all(Array.from({ length: 6 }, () => post(key, body)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = replies.filter((r) => r.status === 201).map((r) => r.body.data.bookingId);
    expect(new Set(created).size).toBe(1);
    expect(await bookingsOf(passengerIds[2])).toBe(1);
  });

  it('a refusal is the first outcome too: a retry of a 409 is 409 again', async () => {
    const taken = seatName(0, capacity); // booked by the first test
    const key = randomUUID();
    const body = { flightId, passengerId: passengerIds[3], seat: taken, price: 10 };
    expect((await post(key, body)).status).toBe(409);
    const retry = await post(key, body);
    expect(retry.status).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await bookingsOf(passengerIds[3])).toBe(0);
  });

  it('a retried flight change answers the same and writes one flight_log row', async () => {
    const logRows = async () =>
      Number(
        (
          await stack.ds.query(`SELECT COUNT(*) AS n FROM flight_log WHERE flight_id = ${Number(flightId)}`)
        )[0].n,
      );
    const before = await logRows();
    const key = randomUUID();
    const dep = new Date(Date.now() + 2 * 86_400_000);
    const body = {
      departure: dep.toISOString(),
      arrival: new Date(dep.getTime() + 3 * 3600_000).toISOString(),
      comment: 'moved once',
    };
    const patch = () => stack.http().patch(`/api/flights/${flightId}`).set('Idempotency-Key', key).send(body);
    const first = await patch();
    expect(first.status).toBe(200);
    const retry = await patch();
    expect({ status: retry.status, data: retry.body.data }).toEqual({ status: 200, data: first.body.data });
    expect(await logRows()).toBe(before + 1);
  });

  it('a malformed key is 400 and nothing is done', async () => {
    const res = await post('x'.repeat(300), {
      flightId,
      passengerId: passengerIds[4],
      seat: seatName(5, capacity),
      price: 1,
    });
    expect(res.status).toBe(400);
    expect(await bookingsOf(passengerIds[4])).toBe(0);
  });
});
