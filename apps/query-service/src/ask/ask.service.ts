import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheResult, CacheService, Keys, Tags } from '@app/cache';
import { ASK, AskAnswer, AskMeta, AskStatus, KnowledgeBase, PayloadOf } from '@app/contracts';
import { askPolicy, buildPrompt, knowledgeBase } from './knowledge-base';
import { OllamaClient } from './ollama.client';
import { AskRows, ReadOnlyDatabase } from './read-only-database';
import { SemanticCache } from './semantic-cache';
import { extractSql } from './sql-extract';
import { GuardedSql, guardSql, SqlRejectedError } from './sql-guard';

/**
 * POST /api/ask: question -> SQL (the semantic cache, else the model) -> guard -> rows (the query cache, else the
 * read-only user). POST /api/ask/sql: the same from the guard on, for SQL given by the caller.
 */
@Injectable()
export class AskService {
  private readonly kb: KnowledgeBase;
  private readonly policy = askPolicy();
  /** Statements that passed the guard, by their text (bounded; oldest dropped first). */
  private readonly checked = new Map<string, GuardedSql>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly ollama: OllamaClient,
    private readonly db: ReadOnlyDatabase,
    private readonly semantic: SemanticCache,
  ) {
    this.kb = knowledgeBase(config.db.engine);
  }

  private get engine() {
    return this.config.db.engine;
  }

  async ask({ question, refresh }: PayloadOf<typeof ASK.ask>): Promise<AskAnswer> {
    const started = performance.now();
    // Before any model call: without the read-only user nothing could run.
    await this.db.ensureReady();
    const meta: Partial<AskMeta> = {};
    let sql: string | undefined;
    let vector: number[] | null = null;

    const exact = refresh ? null : await this.semantic.exact(this.engine, question);
    if (exact) {
      sql = exact.sql;
      Object.assign(meta, { sqlFrom: 'semantic-cache', similarity: 1, similarTo: exact.question });
    } else {
      try {
        const e = await this.ollama.embed(question);
        vector = e.vector;
        meta.embedMs = round(e.ms);
      } catch (e) {
        meta.semanticMiss = `no embedding: ${(e as Error).message}`;
      }
      if (vector && !refresh) {
        const found = await this.semantic.nearest(this.engine, question, vector);
        if (found.match) {
          sql = found.match.sql;
          Object.assign(meta, {
            sqlFrom: 'semantic-cache',
            similarity: round(found.match.similarity),
            similarTo: found.match.question,
          });
        } else meta.semanticMiss = found.miss;
      } else if (refresh) meta.semanticMiss = 'refresh=true';
    }
    if (sql === undefined) {
      const { system, prompt } = buildPrompt(this.kb, question, this.config.ask.maxRows);
      const answer = await this.ollama.generate(system, prompt);
      meta.modelMs = round(answer.ms);
      meta.sqlFrom = 'model';
      sql = extractSql(answer.text);
    }

    const guarded = this.guard(sql, meta.sqlFrom === 'model' ? "the model's SQL" : 'the cached SQL');
    const rows = await this.rows(guarded, !!refresh);
    if (meta.sqlFrom === 'model') await this.semantic.store(this.engine, question, guarded.sql, vector);
    const source =
      meta.sqlFrom === 'model' ? 'model' : rows.source === 'cache' ? 'query-cache' : 'semantic-cache';
    return this.answer(guarded, rows, { ...meta, source, sqlFrom: meta.sqlFrom! }, started, question);
  }

  async sql({ sql, refresh }: PayloadOf<typeof ASK.sql>): Promise<AskAnswer> {
    const started = performance.now();
    await this.db.ensureReady();
    const guarded = this.guard(sql, 'the SQL');
    const rows = await this.rows(guarded, !!refresh);
    const source = rows.source === 'cache' ? 'query-cache' : 'database';
    return this.answer(guarded, rows, { source, sqlFrom: 'request' }, started);
  }

  schema(): KnowledgeBase {
    return this.kb;
  }

  status(): AskStatus {
    const o = this.config.ask.ollama;
    return {
      model: {
        url: o.baseUrl,
        name: o.model,
        embedModel: o.embedModel,
        ...(this.ollama.lastError ? { lastError: this.ollama.lastError } : {}),
        ...(this.ollama.lastOkAt ? { lastOkAt: this.ollama.lastOkAt } : {}),
      },
      semanticIndex: this.semantic.path,
      readOnlyUser: {
        name: this.db.user,
        state: this.db.state,
        ...(this.db.reason ? { reason: this.db.reason } : {}),
      },
      threshold: this.config.ask.similarityThreshold,
      maxRows: Math.min(this.config.ask.maxRows, 1000),
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  private guard(sql: string, what: string): GuardedSql {
    // The guard is a pure function of the text (for this engine and policy): a statement checked once, such as
    // the SQL of every semantic-cache hit, is not parsed again (two parses and two rewrites: milliseconds).
    const known = this.checked.get(sql);
    if (known) return known;
    try {
      const g = guardSql(sql, {
        flavor: this.config.db.flavor,
        policy: this.policy,
        maxRows: this.config.ask.maxRows,
      });
      if (this.checked.size >= GUARD_MEMO_SIZE) this.checked.delete(this.checked.keys().next().value!);
      this.checked.set(sql, g);
      return g;
    } catch (e) {
      if (!(e instanceof SqlRejectedError)) throw e;
      const shown = sql.length > 300 ? `${sql.slice(0, 297)}...` : sql;
      throw new UnprocessableEntityException(`${what} was rejected: ${e.reason}. SQL: ${shown}`);
    }
  }

  /** The query cache: rows under the SHA-256 of the normalised SQL, tagged with every table it reads. */
  private rows(g: GuardedSql, refresh: boolean): Promise<CacheResult<AskRows & { databaseMs?: number }>> {
    return this.cache.getOrLoad<AskRows & { databaseMs?: number }>(
      Keys.askQuery(this.engine, g.hash),
      async () => {
        const { ms, ...rows } = await this.db.run(g.sql);
        return { ...rows, databaseMs: ms };
      },
      {
        queryClass: 'ask',
        ttl: this.config.ask.queryTtl,
        tags: g.tables.map((t) => Tags.table(t)),
        refresh,
      },
    ) as Promise<CacheResult<AskRows & { databaseMs?: number }>>;
  }

  private answer(
    g: GuardedSql,
    r: CacheResult<AskRows & { databaseMs?: number }>,
    meta: Partial<AskMeta> & Pick<AskMeta, 'source' | 'sqlFrom'>,
    started: number,
    question?: string,
  ): AskAnswer {
    const { databaseMs, ...rows } = r.value;
    return {
      data: { ...(question ? { question } : {}), sql: g.sql, columns: rows.columns, rows: rows.rows },
      meta: {
        ...meta,
        rowsFrom: r.source === 'cache' ? 'query-cache' : 'database',
        ...(r.source !== 'cache' && databaseMs !== undefined ? { databaseMs: round(databaseMs) } : {}),
        latencyMs: round(performance.now() - started),
        cacheKey: r.cacheKey,
        tables: g.tables,
        limit: g.limit,
        truncated: rows.rows.length >= g.limit,
        engine: this.engine,
      },
    };
  }
}

/** Statements whose guard result is remembered. */
const GUARD_MEMO_SIZE = 500;

const round = (ms: number) => Math.round(ms * 1000) / 1000;
