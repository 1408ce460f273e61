import type { CacheResult, QueryClass, TtlClass, ValkeyClient } from '@app/cache';
import type { DbEngine } from '@app/platform/config';
import { Operation, RequestClass, typed } from './operation';

/**
 * Where a read keeps its answer in Valkey: the key builder(s) of its payload. Key names are spelled in Keys
 * (@app/cache), logical (the cache layer adds CACHE_KEY_PREFIX), and public behaviour: they never change.
 */
export type ReadCache<P> =
  /** One JSON string per payload: the gateway answers hits on it itself, without a hop to the query-service. */
  | { readonly json: (payload: P) => string }
  /** One JSON string per payload and database engine (a plan differs by engine); only the query-service reads it. */
  | { readonly jsonPerEngine: (payload: P, engine: DbEngine) => string }
  /** Valkey data structures (hash, bitmap, sorted set) the query-service builds and reads. */
  | { readonly structures: (payload: P) => string[] };

/** A read of the query-service: an operation answering CacheResult<R>, with how it is cached and counted. */
export interface ReadOperation<P extends object = object, R = unknown, S = unknown> extends Operation<
  P,
  CacheResult<R>
> {
  /**
   * Its row in GET /api/stats (public: the dashboard and outside checks read it), or null when it keeps none.
   * For a read with `explain`, also the name of its plan in GET /api/queries/:name/explain.
   */
  readonly queryClass: QueryClass | null;
  /** How long its entries live (the TTL_* settings), or null when they do not expire. */
  readonly ttl: TtlClass | null;
  readonly cache: ReadCache<P>;
  /** Whether GET /api/queries/:name/explain shows the plan of its SQL. */
  readonly explain: boolean;
  /** What is added to the cached value when it is answered (a status that depends on the clock). */
  present?(stored: S): R;
  /** The route the read ranks in the popular-routes sorted set (a user's search), or null. */
  rankedRoute?(payload: P): [from: string, to: string] | null;
  /**
   * For a read kept as structures: reads them back from their prefixed keys (null on a miss, { value: null } for
   * a cached "not found"); the gateway answers their hits with it, the query-service reads with it too.
   */
  readStructure?(client: ValkeyClient, keys: string[], payload: P): Promise<{ value: R | null } | null>;
}

/** What a read definition states (`payload` and `result` carry types only: `typed<...>()`). */
export interface ReadDefinition<P extends object, R> {
  pattern: { cmd: string };
  payload: P;
  /** The payload's class, validated by the query-service (see Operation.request). */
  request: RequestClass<P>;
  result: R;
  queryClass: QueryClass | null;
  ttl: TtlClass | null;
  cache: ReadCache<P>;
  explain: boolean;
  /** Takes the value as cached, of whatever shape (`never` admits any parameter; the definition keeps its own). */
  present?: (stored: never) => R;
  rankedRoute?: (payload: P) => [from: string, to: string] | null;
  readStructure?: (client: ValkeyClient, keys: string[], payload: P) => Promise<{ value: R | null } | null>;
}

/**
 * Defines a read. Literal types are kept (`queryClass: 'flight'`, `cache: { json }`), so the query-service and the
 * gateway use the very fields they need without narrowing, and the registries derived from READS are exact.
 */
export function read<P extends object, R, const D extends Omit<ReadDefinition<P, R>, 'payload' | 'result'>>(
  definition: { payload: P; result: R } & D,
): D & Operation<P, CacheResult<R>> {
  return { ...definition, reply: typed<CacheResult<R>>() };
}

/** Statistics row, key and TTL class of a read cached as one JSON string: what the cache layer is given. */
export function jsonEntry<P extends object, Q extends QueryClass, T extends TtlClass>(
  read: { queryClass: Q; ttl: T; cache: { json: (payload: P) => string } },
  payload: P,
): { queryClass: Q; key: string; ttl: T } {
  return { queryClass: read.queryClass, key: read.cache.json(payload), ttl: read.ttl };
}
