/**
 * Every read of the query-service (cache-aside), by name: READS.passengerFlights is the one definition of
 * `passengerFlights` — its message pattern, payload, result, statistics class, key, TTL class and whether it has
 * an EXPLAIN plan. The gateway, the query-service and the cache-warmer all take them from here; each group of
 * reads is defined with its request and result types (flight-reads.ts, passenger-reads.ts, ...).
 */
import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { CacheResult, Keys } from '@app/cache';
import type { DbEngine } from '@app/platform/config';
import { AIRPORT_READS } from './airport-reads';
import { FLIGHT_READS } from './flight-reads';
import { OperationHandlers } from './message-handlers';
import { PayloadOf, ReplyOf, requestOf, typed } from './operation';
import { PASSENGER_READS } from './passenger-reads';
import { read } from './read-operation';
import { RefreshQuery } from './refresh-query';
import { SEARCH_READS } from './search-reads';

/** The reads of data, in the order GET /api/queries/:name/explain lists the plans it has. */
const DATA_READS = { ...FLIGHT_READS, ...PASSENGER_READS, ...AIRPORT_READS, ...SEARCH_READS };

/** The statistics class of every read with an EXPLAIN plan: the names GET /api/queries/:name/explain accepts. */
export type ExplainableQuery = {
  [N in keyof typeof DATA_READS]: (typeof DATA_READS)[N] extends { explain: true; queryClass: infer Q }
    ? Q
    : never;
}[keyof typeof DATA_READS];

export const EXPLAINABLE_QUERIES: readonly ExplainableQuery[] = Object.values(DATA_READS).flatMap((r) =>
  r.explain ? [r.queryClass] : [],
);

export class ExplainParams {
  @ApiProperty({ enum: EXPLAINABLE_QUERIES, example: 'flight_search' })
  @IsIn(EXPLAINABLE_QUERIES, { message: `name must be one of: ${EXPLAINABLE_QUERIES.join(', ')}` })
  name: ExplainableQuery;
}

export interface QueryPlan {
  name: ExplainableQuery;
  engine: DbEngine;
  sql: string;
  params: unknown[];
  /** The engine's JSON plan (EXPLAIN FORMAT=JSON / EXPLAIN (FORMAT JSON)). */
  plan: unknown;
}

export const READS = {
  ...DATA_READS,

  /** The database's plan for a named query on the active engine. */
  explain: read({
    pattern: { cmd: 'reads.explain' },
    payload: typed<ExplainParams & RefreshQuery>(),
    request: requestOf(ExplainParams, RefreshQuery),
    result: typed<QueryPlan>(),
    queryClass: 'explain',
    ttl: 'bi',
    cache: { jsonPerEngine: (p, engine) => Keys.explain(p.name, engine) },
    explain: false,
  }),
};

export type ReadName = keyof typeof READS;
export type ReadPayload<N extends ReadName> = PayloadOf<(typeof READS)[N]>;
export type ReadResult<N extends ReadName> =
  ReplyOf<(typeof READS)[N]> extends CacheResult<infer R> ? R : never;

/** Payload and result of every read (what the gateway's client is typed with). */
export type ReadSignatures = { [N in ReadName]: { payload: ReadPayload<N>; result: ReadResult<N> } };

/** The query-service's ReadsService: one method per read, taking its payload and answering its CacheResult. */
export type ReadHandlers = OperationHandlers<typeof READS>;
