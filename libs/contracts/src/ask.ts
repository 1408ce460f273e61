/**
 * Ask the database in plain English (query-service): a question goes to a language model (Ollama) with a knowledge
 * base of the schema, the SQL it writes passes a guard (one SELECT over allowed tables and columns, parsed for the
 * active dialect) and runs under a read-only database user with a statement timeout. Two caches: the semantic
 * cache (similar question -> the SQL already written for it) and the query cache (SHA-256 of the normalised SQL ->
 * its rows, tagged with the tables it reads).
 */
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { operation, RequestClass, typed } from './operation';
import { OptionalFlag } from './request-fields';

/** Longest question accepted (the prompt carries it verbatim). */
export const ASK_QUESTION_MAX_LENGTH = 500;
/** Longest SQL statement accepted by POST /api/ask/sql (and from the model). */
export const ASK_SQL_MAX_LENGTH = 8000;
/** The hard ceiling on rows an answer may carry: a LIMIT is added, or capped to ASK_MAX_ROWS (at most this). */
export const ASK_ROW_CEILING = 1000;

export class AskBody {
  @ApiProperty({ example: 'flights from JFK to LAX', description: 'A question about the airport data' })
  @IsString({ message: 'question must be a string' })
  @MinLength(3, { message: 'question must be at least 3 characters' })
  @MaxLength(ASK_QUESTION_MAX_LENGTH, {
    message: `question must be at most ${ASK_QUESTION_MAX_LENGTH} characters`,
  })
  question: string;

  @OptionalFlag(
    'Skip both caches: ask the model again and read the rows from the database (the answer is cached again)',
    'refresh must be true or false',
  )
  refresh?: boolean;
}

export class AskSqlBody {
  @ApiProperty({
    example: 'SELECT iata, name FROM airport ORDER BY name',
    description: 'One SELECT over the FlughafenDB tables; the same guard as the model’s SQL',
  })
  @IsString({ message: 'sql must be a string' })
  @MinLength(6, { message: 'sql must be at least 6 characters' })
  @MaxLength(ASK_SQL_MAX_LENGTH, { message: `sql must be at most ${ASK_SQL_MAX_LENGTH} characters` })
  sql: string;

  @OptionalFlag('Skip the query cache: read the rows from the database', 'refresh must be true or false')
  refresh?: boolean;
}

/** The payload of a call that takes nothing. */
export class AskNoPayload {}

/**
 * Where an answer came from:
 * - model: the model wrote the SQL in this request (rows from the query cache or the database: `rowsFrom`);
 * - semantic-cache: the SQL of a similar question was reused (no model call); rows from the database;
 * - query-cache: SQL reused (or given) and rows from the query cache: neither the model nor the database was asked;
 * - database: SQL given (POST /api/ask/sql) and rows read from the database.
 */
export type AskSource = 'semantic-cache' | 'query-cache' | 'model' | 'database';

export interface AskMeta {
  source: AskSource;
  /** Who wrote the SQL: the model, the semantic cache (a similar question's), or the request itself. */
  sqlFrom: 'model' | 'semantic-cache' | 'request';
  rowsFrom: 'query-cache' | 'database';
  /** Cosine similarity of this question to the cached one (semantic-cache only; 1 for the same question). */
  similarity?: number;
  /** The cached question whose SQL was reused. */
  similarTo?: string;
  /** Measured inside the query-service, whole request. */
  latencyMs: number;
  /** Time of the model call (only when the model was asked). */
  modelMs?: number;
  /** Time of the embedding call (when one was made). */
  embedMs?: number;
  /** Time of the database read (only when the database was read). */
  databaseMs?: number;
  /** The query cache's key of these rows. */
  cacheKey: string | null;
  /** Tables the SQL reads (its query-cache tags). */
  tables: string[];
  /** The row limit the guard applied. */
  limit: number;
  /** True when the result has exactly `limit` rows (there may be more). */
  truncated: boolean;
  /** Why the semantic cache was not used (no close question, values differ, unavailable...). */
  semanticMiss?: string;
  engine: 'mysql' | 'postgres';
}

export interface AskResult {
  /** The SQL that ran, as the guard rewrote it (normalised, with its LIMIT). */
  sql: string;
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

export interface AskAnswer {
  data: AskResult & { question?: string };
  meta: AskMeta;
}

/** One table of the knowledge base the model is given (built from the schema's own DDL). */
export interface KnowledgeTable {
  name: string;
  description: string;
  columns: Array<{ name: string; type: string; nullable: boolean; note?: string }>;
  primaryKey: string[];
  foreignKeys: Array<{ columns: string[]; references: { table: string; columns: string[] } }>;
  indexes: Array<{ name: string; columns: string[]; unique: boolean }>;
}

export interface KnowledgeBase {
  engine: 'mysql' | 'postgres';
  dialect: string;
  tables: KnowledgeTable[];
  /** Queries of the project itself, named (the read path's SQL with sample values). */
  exampleQueries: Array<{ name: string; sql: string }>;
  /** Question -> SQL pairs for the active dialect. */
  examples: Array<{ question: string; sql: string }>;
  /** Columns the guard refuses even though their table is allowed. */
  restrictedColumns: string[];
}

export interface AskStatus {
  model: { url: string; name: string; embedModel: string; lastError?: string; lastOkAt?: string };
  semanticIndex: 'vector-search' | 'scan';
  readOnlyUser: { name: string; state: 'ready' | 'not-yet-provisioned' | 'failed'; reason?: string };
  threshold: number;
  maxRows: number;
}

export const ASK = {
  /** A question in plain English -> SQL (model or semantic cache) -> guard -> rows (query cache or database). */
  ask: operation({
    pattern: { cmd: 'ask.question' },
    payload: typed<AskBody>(),
    request: AskBody,
    reply: typed<AskAnswer>(),
    queryClass: 'ask',
  }),

  /** One SELECT given as SQL: the guard, the read-only user and the query cache ("cache any query"). */
  sql: operation({
    pattern: { cmd: 'ask.sql' },
    payload: typed<AskSqlBody>(),
    request: AskSqlBody,
    reply: typed<AskAnswer>(),
    queryClass: 'ask-sql',
  }),

  /** The knowledge base the model is given, for the active engine. */
  schema: operation({
    pattern: { cmd: 'ask.schema' },
    payload: typed<Record<string, never>>(),
    request: AskNoPayload as RequestClass<Record<string, never>>,
    reply: typed<KnowledgeBase>(),
    queryClass: null,
  }),

  /** How the ask path is set up: model, semantic index path, read-only user. */
  status: operation({
    pattern: { cmd: 'ask.status' },
    payload: typed<Record<string, never>>(),
    request: AskNoPayload as RequestClass<Record<string, never>>,
    reply: typed<AskStatus>(),
    queryClass: null,
  }),
};

export type AskCallName = keyof typeof ASK;
