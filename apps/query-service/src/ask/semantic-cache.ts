import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, Keys, ValkeyClient } from '@app/cache';

/**
 * The semantic cache: each answered question's embedding, stored in Valkey with the SQL written for it. A new
 * question close enough to a stored one (cosine similarity at least ASK_SIMILARITY_THRESHOLD) reuses its SQL
 * without asking the model — but only when both name the same values (codes, numbers, names, in the same order):
 * "manifest for flight 116" is nearly the same sentence as "manifest for flight 115" and must not get its SQL, and
 * "flights from LAX to JFK" must not get the SQL of "flights from JFK to LAX".
 *
 * Entries are hashes `ask:semantic:<engine>:<model>:<question hash>` {question, sql, vec (float32), at} with a TTL,
 * listed in a sorted set by time (trimmed to ASK_SEMANTIC_MAX_ENTRIES). Lookups take one of two paths, chosen at
 * start-up: Valkey's vector search (FT.CREATE … VECTOR HNSW, FT.SEARCH KNN) when the server has the search module,
 * otherwise a bounded scan of the sorted set's newest entries. Same entries, same answers either way.
 */

export interface SemanticMatch {
  question: string;
  sql: string;
  similarity: number;
}

export interface SemanticLookup {
  match?: SemanticMatch;
  /** Why nothing was reused (when nothing was). */
  miss?: string;
}

/** How many nearest entries are considered (the closest whose values agree wins). */
const CANDIDATES = 5;

@Injectable()
export class SemanticCache implements OnModuleInit {
  private readonly logger = new Logger('SemanticCache');
  path: 'vector-search' | 'scan' = 'scan';
  /** Vector indexes known to exist, by name. */
  private readonly indexes = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.ask.semanticIndex === 'scan') return;
    const has = await this.cache.guard((c) => hasSearchModule(c), 'script').catch(() => false);
    this.path = has ? 'vector-search' : 'scan';
    if (has) this.logger.log('semantic cache: Valkey vector search (FT.SEARCH KNN)');
  }

  /** The engine and model an entry belongs to: embeddings of different models cannot be compared. */
  private scope(engine: string): { engine: string; model: string } {
    return { engine, model: modelId(this.config.ask.ollama.embedModel) };
  }

  /** The same question asked before (normalised text): no embedding needed. */
  async exact(engine: string, question: string): Promise<SemanticMatch | null> {
    const { model } = this.scope(engine);
    const key = this.cache.key(Keys.askSemantic(engine, model, questionHash(question)));
    const got = await this.cache.guard((c) => c.hmget(key, 'question', 'sql'));
    if (!got || !got[0] || !got[1]) return null;
    return { question: got[0], sql: got[1], similarity: 1 };
  }

  /** The closest stored question whose values agree with this one's, at or above the threshold. */
  async nearest(engine: string, question: string, vector: number[]): Promise<SemanticLookup> {
    const candidates =
      this.path === 'vector-search'
        ? await this.searchIndex(engine, vector)
        : await this.scan(engine, vector);
    if (candidates === undefined) return { miss: 'the semantic cache is unavailable' };
    const threshold = this.config.ask.similarityThreshold;
    const values = questionValues(question);
    let closeButDifferent: SemanticMatch | undefined;
    for (const c of candidates) {
      if (c.similarity < threshold) break;
      if (sameValues(values, questionValues(c.question))) return { match: c };
      closeButDifferent ??= c;
    }
    if (closeButDifferent)
      return {
        miss: `"${closeButDifferent.question}" is similar (${closeButDifferent.similarity.toFixed(3)}) but names other values (${describeValues(questionValues(closeButDifferent.question))} vs ${describeValues(values)})`,
      };
    const best = candidates[0];
    return {
      miss: best
        ? `no question within the threshold ${threshold} (closest: "${best.question}", ${best.similarity.toFixed(3)})`
        : 'no question cached yet',
    };
  }

  /** Stores an answered question (after its SQL passed the guard and ran). */
  async store(engine: string, question: string, sql: string, vector: number[] | null): Promise<void> {
    const { model } = this.scope(engine);
    const key = this.cache.key(Keys.askSemantic(engine, model, questionHash(question)));
    const index = this.cache.key(Keys.askSemanticIndex(engine, model));
    const ttl = this.config.ask.semanticTtl;
    const max = this.config.ask.semanticMaxEntries;
    if (vector && this.path === 'vector-search') await this.ensureIndex(engine, vector.length);
    await this.cache.guard(async (c) => {
      const fields: Record<string, string | Buffer> = {
        question: normaliseQuestion(question),
        sql,
        at: String(Date.now()),
      };
      if (vector) fields.vec = toFloat32(vector);
      await c
        .multi()
        .hset(key, fields)
        .expire(key, ttl)
        .zadd(index, Date.now(), key)
        .expire(index, ttl)
        .exec();
      const excess = (await c.zcard(index)) - max;
      if (excess > 0) {
        const oldest = await c.zpopmin(index, excess);
        const doomed = oldest.filter((_, i) => i % 2 === 0);
        if (doomed.length) await c.unlink(...doomed);
      }
    }, 'script');
  }

  // -------------------------------------------------------------------------------------------------------------

  /** The bounded scan: the newest ASK_SEMANTIC_MAX_ENTRIES entries, compared one by one. */
  private async scan(engine: string, vector: number[]): Promise<SemanticMatch[] | undefined> {
    const { model } = this.scope(engine);
    const index = this.cache.key(Keys.askSemanticIndex(engine, model));
    const query = normalise(vector);
    return this.cache.guard(async (c) => {
      const keys = await c.zrevrange(index, 0, this.config.ask.semanticMaxEntries - 1);
      if (keys.length === 0) return [];
      const pipeline = c.pipeline();
      for (const k of keys) pipeline.hmgetBuffer(k, 'question', 'sql', 'vec');
      const replies = (await pipeline.exec()) ?? [];
      const gone: string[] = [];
      const out: SemanticMatch[] = [];
      replies.forEach(([err, reply], i) => {
        const [q, sql, vec] = (reply as Array<Buffer | null>) ?? [];
        if (err || !q || !sql) return void gone.push(keys[i]);
        if (!vec) return;
        const stored = fromFloat32(vec);
        if (stored.length !== query.length) return;
        out.push({ question: q.toString(), sql: sql.toString(), similarity: dot(query, normalise(stored)) });
      });
      if (gone.length) await c.zrem(index, ...gone);
      return out.sort((a, b) => b.similarity - a.similarity).slice(0, CANDIDATES);
    }, 'script');
  }

  /** Valkey's vector search: KNN over the index of this engine and model. */
  private async searchIndex(engine: string, vector: number[]): Promise<SemanticMatch[] | undefined> {
    const name = this.indexName(engine);
    if (!this.indexes.has(name)) {
      const exists = await this.cache.guard(
        (c) =>
          c.call('FT.INFO', name).then(
            () => true,
            () => false,
          ),
        'script',
      );
      if (!exists) return [];
      this.indexes.add(name);
    }
    const reply = await this.cache.guard(
      (c) =>
        c.call(
          ...(vectorSearchArgs(name, toFloat32(vector), CANDIDATES) as [string, ...Array<string | Buffer>]),
        ),
      'script',
    );
    if (reply === undefined) return undefined;
    const hits = parseSearchReply(reply);
    if (hits.length === 0) return [];
    const fetched = await this.cache.guard((c) => {
      const p = c.pipeline();
      for (const h of hits) p.hmget(h.key, 'question', 'sql');
      return p.exec();
    }, 'script');
    return hits
      .map((h, i) => {
        const [q, sql] = ((fetched?.[i]?.[1] as Array<string | null>) ?? []) as Array<string | null>;
        return q && sql ? { question: q, sql, similarity: 1 - h.distance } : null;
      })
      .filter((m): m is SemanticMatch => m !== null)
      .sort((a, b) => b.similarity - a.similarity);
  }

  private indexName(engine: string): string {
    const { model } = this.scope(engine);
    return `${this.cache.key(`ask:semantic-idx:${engine}:${model}`)}`;
  }

  private async ensureIndex(engine: string, dim: number): Promise<void> {
    const name = this.indexName(engine);
    if (this.indexes.has(name)) return;
    const { model } = this.scope(engine);
    const prefix = this.cache.key(Keys.askSemantic(engine, model, ''));
    await this.cache.guard(
      (c) =>
        c.call(...(vectorIndexCreateArgs(name, prefix, dim) as [string, ...string[]])).catch((e: Error) => {
          if (!/already exists/i.test(e.message)) throw e;
        }),
      'script',
    );
    this.indexes.add(name);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The vector-search path's commands (unit-tested: no server here has the module).

/** Whether the server has a search module (valkey-search, or RediSearch on Redis). */
export async function hasSearchModule(c: ValkeyClient): Promise<boolean> {
  try {
    const modules = (await c.call('MODULE', 'LIST')) as unknown[];
    const names = modules.map((m) => {
      const flat = m as unknown[];
      const i = flat.findIndex((x) => String(x) === 'name');
      return i >= 0 ? String(flat[i + 1]).toLowerCase() : '';
    });
    if (names.some((n) => n === 'search' || n === 'ft' || n === 'valkey-search')) return true;
  } catch {
    // MODULE LIST may be refused (ACL); ask the command itself.
  }
  try {
    await c.call('FT._LIST');
    return true;
  } catch {
    return false;
  }
}

export function vectorIndexCreateArgs(name: string, prefix: string, dim: number): string[] {
  return [
    'FT.CREATE',
    name,
    'ON',
    'HASH',
    'PREFIX',
    '1',
    prefix,
    'SCHEMA',
    'vec',
    'VECTOR',
    'HNSW',
    '6',
    'TYPE',
    'FLOAT32',
    'DIM',
    String(dim),
    'DISTANCE_METRIC',
    'COSINE',
  ];
}

export function vectorSearchArgs(name: string, blob: Buffer, k: number): Array<string | Buffer> {
  return ['FT.SEARCH', name, `*=>[KNN ${k} @vec $BLOB]`, 'PARAMS', '2', 'BLOB', blob, 'DIALECT', '2'];
}

/** FT.SEARCH's reply [total, key, [field, value, ...], ...] -> keys with their cosine distance. */
export function parseSearchReply(reply: unknown): Array<{ key: string; distance: number }> {
  if (!Array.isArray(reply)) return [];
  const out: Array<{ key: string; distance: number }> = [];
  for (let i = 1; i < reply.length; i += 2) {
    const key = String(reply[i]);
    const fields = Array.isArray(reply[i + 1]) ? (reply[i + 1] as unknown[]).map(String) : [];
    let distance = NaN;
    for (let f = 0; f < fields.length; f += 2)
      if (/score$/i.test(fields[f])) distance = Number(fields[f + 1]);
    if (Number.isFinite(distance)) out.push({ key, distance });
  }
  return out.sort((a, b) => a.distance - b.distance);
}

// ---------------------------------------------------------------------------------------------------------------
// Questions and vectors

/** Lower case, single spaces, no trailing punctuation: "Flights from JFK to LAX?" and "flights  from jfk to lax". */
export function normaliseQuestion(q: string): string {
  return q
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[?.!\s]+$/, '');
}

export function questionHash(q: string): string {
  return createHash('sha256').update(normaliseQuestion(q).toLowerCase()).digest('hex').slice(0, 32);
}

/**
 * The values a question names, in order: numbers, quoted text, and words written with a capital (IATA codes,
 * countries, names) other than the first word. Two questions may share SQL only if these agree.
 */
export function questionValues(q: string): string[] {
  const words = normaliseQuestion(q).match(/"[^"]*"|'[^']*'|[\p{L}\p{N}_-]+/gu) ?? [];
  return words
    .filter((w, i) => /^["']/.test(w) || /\d/.test(w) || (i > 0 && /\p{Lu}/u.test(w)))
    .map((w) => w.replace(/^["']|["']$/g, '').toLowerCase());
}

function sameValues(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describeValues(v: string[]): string {
  return v.length ? v.join(', ') : 'none';
}

export function modelId(model: string): string {
  return model.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function cosine(a: number[], b: number[]): number {
  return dot(normalise(a), normalise(b));
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function toFloat32(v: number[]): Buffer {
  return Buffer.from(new Float32Array(v).buffer);
}

export function fromFloat32(b: Buffer): number[] {
  const copy = new Uint8Array(b);
  return Array.from(new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4)));
}
