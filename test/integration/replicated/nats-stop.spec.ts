import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { PrefixedClientNats, PrefixedServerNats, natsClientOptions, natsServer } from '@app/platform';
import { testConfig } from '../../support/test-env';

/**
 * A NATS instance that is stopped answers every request it took before it closes its connection: however long the
 * answer takes (not a fixed grace period), and also the answers Nest publishes on the tick after the handler
 * returned. Requests sent after it left the queue group are told "no responders" at once: none is left unanswered.
 * The machine's NATS, with subjects of this run's own; no database.
 */
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
/** Longer than the fixed grace period stopping used to allow (2 s): an answer still being worked out then counts. */
const SLOW_ANSWER_MS = 2500;

jest.setTimeout(120_000);

describe('a NATS instance being stopped', () => {
  let server: PrefixedServerNats;
  let client: PrefixedClientNats;
  let received = 0;
  let release: () => void = () => undefined;
  let gate: Promise<void>;

  beforeEach(async () => {
    const config = testConfig('mysql', {
      SERVICE_TRANSPORT: 'nats',
      NATS_URL,
      NATS_SUBJECT_PREFIX: `cmiyc-test.stop-${randomUUID().slice(0, 8)}.`,
    });
    received = 0;
    gate = new Promise<void>((open) => (release = open));
    server = natsServer(config, 'stop-test');
    server.addHandler('slow', async (n: number) => {
      received++;
      await gate;
      return { n };
    });
    server.addHandler('quick', async (n: number) => ({ n }));
    await new Promise<void>((ready, fail) =>
      server.listen((e?: unknown) => (e ? fail(e as Error) : ready())),
    );
    client = new PrefixedClientNats(natsClientOptions(config, 'stop-test'));
    await client.connect();
  });

  afterEach(async () => {
    release();
    await client.close();
    await server.close();
  });

  const ask = (pattern: string, n: number) =>
    firstValueFrom(client.send<{ n: number }>(pattern, n).pipe(timeout(30_000))).then(
      (answer) => ({ answered: answer.n }),
      (e: Error) => ({ refused: e.message }),
    );

  it('answers every request in hand, however long it takes, before closing', async () => {
    const asked = Array.from({ length: 20 }, (_, n) => ask('slow', n));
    while (received < 20) await new Promise((tick) => setTimeout(tick, 10));
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    setTimeout(release, SLOW_ANSWER_MS);
    const answers = await Promise.all(asked);
    await closing;
    expect(answers).toEqual(Array.from({ length: 20 }, (_, n) => ({ answered: n })));
    expect(closed).toBe(true);
  });

  it('stopped under a stream of quick requests: each is answered or refused at once, none left hanging', async () => {
    const asked: Promise<{ answered?: number; refused?: string }>[] = [];
    let stop = false;
    const sending = (async () => {
      for (let n = 0; !stop; n++) {
        asked.push(ask('quick', n));
        if (n % 20 === 0) await new Promise((tick) => setImmediate(tick));
      }
    })();
    while (asked.length < 400) await new Promise((tick) => setTimeout(tick, 5));
    await server.close();
    stop = true;
    await sending;
    const answers = await Promise.all(asked);
    const answered = answers.filter((a) => a.answered !== undefined).length;
    const refusals = new Set(answers.filter((a) => a.refused).map((a) => a.refused));
    expect(answered).toBeGreaterThan(0);
    expect(answered + answers.filter((a) => a.refused).length).toBe(answers.length);
    // Refused only for having nobody to ask: never a timeout (an answer lost at the close).
    expect([...refusals].filter((r) => !String(r).includes('no instance is listening'))).toEqual([]);
  });
});
