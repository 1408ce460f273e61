import { existsSync, readdirSync } from 'node:fs';
import { AppConfig, Dialect, bind } from '@app/platform';
import { CacheService, Keys, Tags } from '@app/cache';
import { AskAnswer, seatName } from '@app/contracts';
import { TEST_ENGINES } from '../../support/test-env';
import { HOSTILE_STATEMENTS, RUNAWAY_READS } from '../../support/ask/hostile-corpus';
import {
  ReadOnlyDatabase,
  StatementTimeoutError,
} from '../../../apps/query-service/src/ask/read-only-database';
import { SemanticCache } from '../../../apps/query-service/src/ask/semantic-cache';
import { AskStack, startAskStack, userExists } from './ask-stack';
import { eventually } from '../writes/write-stack';

/**
 * POST /api/ask end to end against the stand-in model, on both engines: the model path, the semantic cache (same
 * question, similar question, threshold, other values), the query cache (hit, invalidation by a booking), the
 * hostile corpus through the model (422 each, nothing changed) and straight at the read-only user (the layer
 * behind the guard: nothing written, no file, no restricted column, nothing past the statement timeout).
 */
describe.each(TEST_ENGINES)('ask on %s', (engine) => {
  let s: AskStack;
  let config: AppConfig;
  let sql: (text: string, named?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;
  let questionNo = 0;

  beforeAll(async () => {
    s = await startAskStack(engine);
    config = s.config;
    const d = Dialect.of(s.ds);
    sql = (text, named = {}) => s.ds.query(...bind(d, text, named));
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    if (s) expect(await userExists(s.config)).toBe(false);
  }, 60_000);

  const http = () => s.stack.http();
  const ask = (question: string, extra: Record<string, unknown> = {}) =>
    http()
      .post('/api/ask')
      .send({ question, ...extra });
  const ok = async (question: string): Promise<AskAnswer> => {
    const r = await ask(question);
    if (r.status !== 200) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as AskAnswer;
  };
  const cache = () => s.stack.query!.get(CacheService);
  const count = async (table: string) => Number((await sql(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const tableNames = async () =>
    (engine === 'postgres'
      ? await sql(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
        )
      : await sql(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1`,
        )
    ).map((r) => String(r.t ?? r.T ?? r.TABLE_NAME));

  it('answers a question through the model, then the same question from both caches', async () => {
    s.ollama.resetStats();
    const first = await ok('flights from JFK to LAX');
    expect(first.meta).toMatchObject({ source: 'model', sqlFrom: 'model', rowsFrom: 'database', engine });
    expect(first.data.sql).toMatch(/LIMIT 20$/);
    expect(first.data.columns).toEqual(['flight_id', 'flightno', 'departure', 'arrival', 'airlinename']);
    expect(first.data.rows.length).toBeGreaterThan(0);
    expect(first.meta.tables).toEqual(['airline', 'airport', 'flight']);
    expect(first.meta.modelMs).toBeGreaterThanOrEqual(0);
    expect(s.ollama.stats()).toMatchObject({ generate: 1, embed: 1 });

    const again = await ok('Flights from JFK to LAX?');
    expect(again.meta).toMatchObject({
      source: 'query-cache',
      sqlFrom: 'semantic-cache',
      rowsFrom: 'query-cache',
      similarity: 1,
    });
    expect(again.data.rows).toEqual(first.data.rows);
    // The same question costs neither a model call nor an embedding.
    expect(s.ollama.stats()).toMatchObject({ generate: 1, embed: 1 });
  });

  it('reuses the SQL of a similar question naming the same values, and says how similar', async () => {
    s.ollama.resetStats();
    const r = await ok('show me all the flights from JFK to LAX');
    expect(r.meta.sqlFrom).toBe('semantic-cache');
    expect(r.meta.similarity).toBeGreaterThan(config.ask.similarityThreshold);
    expect(r.meta.similarTo).toBe('flights from JFK to LAX');
    expect(s.ollama.stats()).toMatchObject({ generate: 0, embed: 1 });
  });

  it('never reuses SQL for a question naming other values, however similar the sentence', async () => {
    s.ollama.resetStats();
    const r = await ok('flights from LAX to JFK');
    expect(r.meta.source).toBe('model');
    expect(r.meta.semanticMiss).toMatch(/names other values \(jfk, lax vs lax, jfk\)/);
    expect(r.data.sql).toMatch(/'LAX'.*'JFK'/s);
    expect(s.ollama.stats().generate).toBe(1);
  });

  it('reuses SQL from the similarity threshold on, not below it', async () => {
    // Scripted embeddings: cosine 0.95 and 0.85 to the first question; the threshold is 0.9.
    const base = [1, 0, 0];
    s.ollama.setEmbedding('busiest airports', base);
    s.ollama.setEmbedding('which airports see the most departures', [0.95, Math.sqrt(1 - 0.95 ** 2), 0]);
    s.ollama.setEmbedding('busiest airports by departures', [0.85, 0, Math.sqrt(1 - 0.85 ** 2)]);
    s.ollama.resetStats();
    expect((await ok('busiest airports')).meta.source).toBe('model');
    const close = await ok('which airports see the most departures');
    expect(close.meta.sqlFrom).toBe('semantic-cache');
    expect(close.meta.similarity).toBeCloseTo(0.95, 3);
    const far = await ok('busiest airports by departures');
    expect(far.meta.sqlFrom).toBe('model');
    expect(far.meta.semanticMiss).toMatch(
      /no question within the threshold 0.9 \(closest: "busiest airports", 0\.850\)/,
    );
    expect(s.ollama.stats().generate).toBe(2);
  });

  it('a booking invalidates every cached query that reads booking, and only those', async () => {
    const passengerId = 100;
    const before = await ok(`booking count for passenger ${passengerId}`);
    expect(before.meta.tables).toEqual(['booking']);
    const airports = await ok('airport details for JFK'); // reads airport and airport_geo: unaffected
    const n = Number(before.data.rows[0].bookings);
    expect((await ok(`booking count for passenger ${passengerId}`)).meta.rowsFrom).toBe('query-cache');
    expect(await cache().keysOfTag(Tags.table('booking'))).toContain(Keys.askQuery(engine, hashOf(before)));

    // Book a free seat on flight 115 for the passenger, through the gateway and the writer-service.
    const [f] = await sql(
      'SELECT ap.capacity FROM flight f JOIN airplane ap ON ap.airplane_id = f.airplane_id WHERE f.flight_id = 115',
    );
    const taken = new Set(
      (await sql('SELECT seat FROM booking WHERE flight_id = 115')).map((r) => String(r.seat).trim()),
    );
    const capacity = Number(f.capacity);
    let seat = '';
    for (let i = capacity - 1; i >= 0 && !seat; i--)
      if (!taken.has(seatName(i, capacity))) seat = seatName(i, capacity);
    const booked = await http()
      .post('/api/bookings')
      .send({ flightId: 115, passengerId, seat, price: 123.45, mode: 'write-through' });
    expect(booked.status).toBe(201);

    // The warmer consumes booking.created and drops table:booking.
    await eventually(async () =>
      (await cache().keysOfTag(Tags.table('booking'))).length === 0 ? true : undefined,
    );
    const after = await ok(`booking count for passenger ${passengerId}`);
    expect(after.meta).toMatchObject({
      source: 'semantic-cache',
      sqlFrom: 'semantic-cache',
      rowsFrom: 'database',
    });
    expect(Number(after.data.rows[0].bookings)).toBe(n + 1);
    expect((await ok('airport details for JFK')).meta.rowsFrom).toBe('query-cache');
    expect(airports.meta.tables).toEqual(['airport', 'airport_geo']);
  });

  it('POST /api/ask/sql: any guarded query is cached under the SHA-256 of its normalised SQL', async () => {
    const a = await http()
      .post('/api/ask/sql')
      .send({ sql: "select iata, name from airport where iata = 'FRA'" });
    expect(a.status).toBe(200);
    expect(a.body.meta).toMatchObject({ source: 'database', sqlFrom: 'request', limit: 1000 });
    const b = await http()
      .post('/api/ask/sql')
      .send({ sql: "SELECT iata, name\n  FROM airport\n WHERE iata = 'FRA';" });
    expect(b.body.meta).toMatchObject({ source: 'query-cache', cacheKey: a.body.meta.cacheKey });
    expect(a.body.meta.cacheKey).toMatch(/ask:query:(mysql|postgres):[0-9a-f]{64}$/);
  });

  it('refuses every statement of the hostile corpus coming from the model, with the reason; nothing changes', async () => {
    const bookings = await count('booking');
    const tables = await tableNames();
    s.ollama.resetStats();
    const refused: string[] = [];
    for (const h of HOSTILE_STATEMENTS) {
      s.ollama.queue(h.sql);
      const r = await ask(`hostile question ${++questionNo}`);
      expect({ sql: h.sql, status: r.status }).toEqual({ sql: h.sql, status: 422 });
      expect(r.body.message).toMatch(/^the model's SQL was rejected: .{6,}\. SQL: /s);
      refused.push(r.body.message);
    }
    expect(refused).toHaveLength(HOSTILE_STATEMENTS.length);
    expect(s.ollama.stats().generate).toBe(HOSTILE_STATEMENTS.length);
    expect(await count('booking')).toBe(bookings);
    expect(await tableNames()).toEqual(tables);
    // Nothing refused was remembered by the semantic cache.
    const again = await ask(`hostile question ${questionNo}`);
    expect(again.status).not.toBe(200);
  });

  it('a runaway read that passes the guard is stopped by the statement timeout (422), not cached', async () => {
    for (const r of RUNAWAY_READS) {
      const res = await http().post('/api/ask/sql').send({ sql: r.sql });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/ran longer than 1000 ms/);
    }
  });

  it('behind the guard: the hostile corpus run straight as the read-only user writes nothing and reads no secret', async () => {
    const db = s.stack.query!.get(ReadOnlyDatabase);
    const bookings = await count('booking');
    const passengers = await count('passenger');
    const tables = await tableNames();
    const [pw] = await sql(`SELECT password FROM employee WHERE password IS NOT NULL LIMIT 1`);
    const secret = pw ? String(pw.password) : null;
    const outcomes: Array<{ sql: string; outcome: string }> = [];
    for (const h of [...HOSTILE_STATEMENTS, ...RUNAWAY_READS]) {
      try {
        const r = await db.run(h.sql);
        outcomes.push({ sql: h.sql, outcome: `read ${r.rows.length} rows` });
        expect(r.columns).not.toContain('password');
        if (secret) expect(JSON.stringify(r.rows)).not.toContain(secret);
      } catch (e) {
        outcomes.push({ sql: h.sql, outcome: (e as Error).message });
        if (h.slow && (h.engine ?? engine) === engine)
          expect({ sql: h.sql, e }).toEqual({ sql: h.sql, e: expect.any(StatementTimeoutError) });
      }
    }
    expect(outcomes).toHaveLength(HOSTILE_STATEMENTS.length + RUNAWAY_READS.length);
    expect(await count('booking')).toBe(bookings);
    expect(await count('passenger')).toBe(passengers);
    expect(await tableNames()).toEqual(tables);
    expect(readdirSync('/tmp').filter((f) => f.startsWith('cmiyc_pwned'))).toEqual([]);
    expect(existsSync('/tmp/cmiyc_pwned')).toBe(false);
    // Still only SELECT: the check a fresh start makes passes (ensureReady re-checks after a reset).
    await expect(db.run('SELECT COUNT(*) AS n FROM booking')).resolves.toMatchObject({
      rows: [{ n: expect.anything() }],
    });
  });

  it('the knowledge base is the live schema: the allowed tables and columns as the database has them', async () => {
    const kb = (await http().get('/api/ask/schema')).body.data as {
      tables: Array<{ name: string; columns: Array<{ name: string }> }>;
      restrictedColumns: string[];
    };
    const live =
      engine === 'postgres'
        ? await sql(
            `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`,
          )
        : await sql(
            `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE()`,
          );
    const columnsOf = (t: string) =>
      live
        .filter((r) => String(r.t ?? r.T) === t)
        .map((r) => String(r.c ?? r.C))
        .filter((c) => !kb.restrictedColumns.includes(`${t}.${c}`))
        .sort();
    expect(kb.tables.length).toBe(14);
    for (const t of kb.tables) expect(t.columns.map((c) => c.name).sort()).toEqual(columnsOf(t.name));
    expect(kb.restrictedColumns).toEqual(['employee.username', 'employee.password']);
  });

  it('shows the semantic-cache path and the read-only user in /health and /api/ask/status', async () => {
    const health = await http().get('/health');
    expect(health.body.details['query-service'].ask).toMatchObject({
      status: 'up',
      semanticIndex: 'scan',
      readOnlyUser: `${config.ask.dbUser} (ready)`,
    });
    const status = (await http().get('/api/ask/status')).body.data;
    expect(status).toMatchObject({ semanticIndex: 'scan', readOnlyUser: { state: 'ready' }, maxRows: 1000 });
  });

  it('keeps the scan bounded: at most ASK_SEMANTIC_MAX_ENTRIES questions, oldest dropped', async () => {
    const semantic = s.stack.query!.get(SemanticCache);
    const max = config.ask.semanticMaxEntries;
    for (let i = 0; i < max + 5; i++)
      await semantic.store(engine, `filler question ${i}`, 'SELECT 1', [i + 1, 1, 0]);
    const index = cache().key(Keys.askSemanticIndex(engine, 'nomic-embed-text'));
    expect(await cache().client.zcard(index)).toBe(max);
    expect(await semantic.exact(engine, 'filler question 0')).toBeNull();
    expect(await semantic.exact(engine, `filler question ${max + 4}`)).toMatchObject({ sql: 'SELECT 1' });
  });

  it('a model slower than OLLAMA_TIMEOUT_MS is a 504, an unknown model a 503 naming it', async () => {
    s.ollama.setDelays({ generateDelayMs: 3000 });
    const slow = await ask(`slow question ${++questionNo}`);
    s.ollama.setDelays({ generateDelayMs: 0 });
    expect(slow.status).toBe(504);
    expect(slow.body.message).toMatch(/did not answer within 2000 ms/);
  });

  it('no model reachable: a clear 503 (stand-in stopped last)', async () => {
    await s.ollama.close();
    const r = await ask(`unanswerable question ${++questionNo}`);
    expect(r.status).toBe(503);
    expect(r.body.message).toMatch(/no model is reachable at http:\/\/127\.0\.0\.1:\d+ .*ollama serve/);
  });
});

function hashOf(a: AskAnswer): string {
  return a.meta.cacheKey!.split(':').pop()!;
}
