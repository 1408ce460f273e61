import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheResult, CacheService, Keys, Tags, ValkeyClient, ttlSeconds } from '@app/cache';
import {
  AirportLeaderboard,
  AirportRank,
  AirportStanding,
  LEADERBOARD_KINDS,
  LEADERBOARDS,
  LeaderboardEntry,
  LeaderboardKind,
  LeaderboardPayload,
  OperationHandlers,
} from '@app/contracts';
import { StructureCommand, StructuredCache } from '../reads/structured-cache';
import { BoardRow, LeaderboardsRepository } from './leaderboards.repository';

/** ZADD / HSET arguments per command, well under Lua's unpack limit. */
const CHUNK = 500;
/** Field of the names hash: when the board's snapshot was taken (ms since the epoch); its presence means "built". */
export const BUILT_AT_FIELD = 'builtAt';
/** What a hit found: the board is in Valkey, read with it (its rows were not loaded). */
const IN_VALKEY = 'in-valkey';
/** Field prefix of the names hash mapping an ICAO code to the code the board uses. */
const ICAO_PREFIX = '@';

/** A board as stored: the sorted set (code -> count) and its names hash. */
interface BoardKeys {
  board: string;
  names: string;
}

/**
 * The airport leaderboards of a day: one sorted set per question (departures, arrivals, flights, passengers),
 * member = airport code (IATA, else ICAO), score = count, plus a hash of names. Built from the database on a
 * miss through CacheService.getOrBuild (one build per board across processes, the others wait for it; a build
 * that an invalidation overtook does not store), registered under the day's tag (a flight moved from or to the
 * day drops them); the passengers board is kept current by the booking events (cache-warmer, exactly once).
 */
@Injectable()
export class LeaderboardsService implements OperationHandlers<typeof LEADERBOARDS> {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly structures: StructuredCache,
    private readonly repo: LeaderboardsRepository,
  ) {}

  async airportLeaderboard(
    p: LeaderboardPayload<'airportLeaderboard'>,
  ): Promise<CacheResult<AirportLeaderboard>> {
    const by = p.by ?? 'flights';
    const limit = p.limit ?? 10;
    const r = await this.board(p.date, by, !!p.refresh, {
      fromValkey: (c, k) => readTop(c, k, limit),
      fromRows: (rows) => topOfRows(rows, limit),
    });
    return { ...r, value: { date: p.date, by, airports: r.value.airports, top: r.value.top } };
  }

  async airportRank(p: LeaderboardPayload<'airportRank'>): Promise<CacheResult<AirportRank>> {
    const started = performance.now();
    const standings = await Promise.all(
      LEADERBOARD_KINDS.map((by) =>
        this.board(p.date, by, !!p.refresh, {
          fromValkey: (c, k) => readStanding(c, k, p.code),
          fromRows: (rows) => standingOfRows(rows, p.code),
        }),
      ),
    );
    const [departures, arrivals, flights, passengers] = standings.map((s) => s.value);
    const known = standings.map((s) => s.value).find((s) => s.name !== null);
    const value: AirportRank = {
      date: p.date,
      code: known?.code ?? p.code,
      name: known?.name ?? null,
      departures: standing(departures),
      arrivals: standing(arrivals),
      flights: standing(flights),
      passengers: standing(passengers),
    };
    // From the cache only when every board was; the slowest board's source otherwise.
    const loaded = standings.find((s) => s.source !== 'cache');
    return {
      value,
      source: loaded ? loaded.source : 'cache',
      latencyMs: performance.now() - started,
      cacheKey: standings[0].cacheKey,
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  /**
   * Makes sure one board of the day is in Valkey (building it under the lock on a miss) and answers this caller's
   * view of it: read together with the presence check on a hit (one round trip), computed from the rows when this
   * call's build loaded them (requests that joined it in this process included: they share its rows, whether or
   * not the board could be stored), read afterwards when another process built it.
   */
  private async board<V>(
    date: string,
    by: LeaderboardKind,
    refresh: boolean,
    view: { fromValkey: (c: ValkeyClient, k: BoardKeys) => Promise<V>; fromRows: (rows: BoardRow[]) => V },
  ): Promise<CacheResult<V>> {
    const logical = [Keys.airportBoard(date, by), Keys.airportBoardNames(date, by)];
    let seen: V | undefined;
    const r = await this.structures.getOrBuild<BoardRow[] | typeof IN_VALKEY, BoardRow[]>({
      queryClass: LEADERBOARDS.airportLeaderboard.queryClass,
      keys: logical,
      ttl: ttlSeconds(this.config, 'bi'),
      negativeTtl: ttlSeconds(this.config, 'negative'),
      tags: [Tags.airportDay(date)],
      refresh,
      read: async (c, [board, names]) => {
        const [built, v] = await Promise.all([
          c.hexists(names, BUILT_AT_FIELD),
          view.fromValkey(c, { board, names }),
        ]);
        if (!built) return null;
        seen = v;
        return { value: IN_VALKEY };
      },
      load: async () => {
        const builtAt = Date.now();
        const rows = await this.repo.board(by, date);
        return Object.assign(rows, { builtAt });
      },
      toValue: (rows) => rows,
      toCommands: (loaded) => boardCommands(loaded as (BoardRow[] & { builtAt: number }) | null),
    });
    if (seen === undefined && Array.isArray(r.value)) seen = view.fromRows(r.value);
    if (seen === undefined) {
      // Joined a request that found the board built: read it back. Not a lookup a miss could answer, so a slow
      // server gets the longer deadline, like a script: a busy Valkey is not a dead one.
      const [board, names] = logical.map((k) => this.cache.key(k));
      seen = await this.cache.guard((c) => view.fromValkey(c, { board, names }), 'script');
    }
    // Valkey did not answer at all: the database still knows the answer.
    if (seen === undefined) {
      const rows = await this.repo.board(by, date);
      return { ...r, source: 'database', cacheKey: null, value: view.fromRows(rows) };
    }
    return { ...r, value: seen };
  }
}

interface Top {
  airports: number;
  top: LeaderboardEntry[];
}

interface Standing extends AirportStanding {
  code: string;
  name: string | null;
}

function standing(s: Standing): AirportStanding {
  return { rank: s.rank, count: s.count, of: s.of };
}

/** The writes that store a board: its members with their counts, their names, ICAO aliases and builtAt. */
function boardCommands(rows: (BoardRow[] & { builtAt: number }) | null): StructureCommand[] {
  const commands: StructureCommand[] = [['HSET', 1, BUILT_AT_FIELD, String(rows?.builtAt ?? Date.now())]];
  for (let i = 0; rows && i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    commands.push(['ZADD', 0, ...chunk.flatMap((r) => [String(r.count), r.code])]);
    commands.push([
      'HSET',
      1,
      ...chunk.flatMap((r) => [r.code, r.name, ...(r.icao !== r.code ? [ICAO_PREFIX + r.icao, r.code] : [])]),
    ]);
  }
  return commands;
}

/** Same order as ZREVRANGE: count descending, then code descending. */
function sortedRows(rows: BoardRow[]): BoardRow[] {
  return [...rows].sort((a, b) => b.count - a.count || (a.code < b.code ? 1 : a.code > b.code ? -1 : 0));
}

function topOfRows(rows: BoardRow[], limit: number): Top {
  return {
    airports: rows.length,
    top: sortedRows(rows)
      .slice(0, limit)
      .map((r, i) => ({ rank: i + 1, code: r.code, name: r.name, count: r.count })),
  };
}

function standingOfRows(rows: BoardRow[], code: string): Standing {
  const sorted = sortedRows(rows);
  const i = sorted.findIndex((r) => r.code === code || r.icao === code);
  if (i < 0) return { rank: null, count: 0, of: rows.length, code, name: null };
  const r = sorted[i];
  return { rank: i + 1, count: r.count, of: rows.length, code: r.code, name: r.name };
}

async function readTop(c: ValkeyClient, k: BoardKeys, limit: number): Promise<Top> {
  const [flat, airports] = await Promise.all([
    c.zrevrange(k.board, 0, limit - 1, 'WITHSCORES'),
    c.zcard(k.board),
  ]);
  const codes: string[] = [];
  for (let i = 0; i < flat.length; i += 2) codes.push(flat[i]);
  const names = codes.length ? await c.hmget(k.names, ...codes) : [];
  return {
    airports,
    top: codes.map((code, i) => ({
      rank: i + 1,
      code,
      name: names[i] ?? code,
      count: Number(flat[2 * i + 1]),
    })),
  };
}

async function readStanding(c: ValkeyClient, k: BoardKeys, asked: string): Promise<Standing> {
  // An ICAO code of an airport that has an IATA code is an alias in the names hash.
  const [alias, name] = await c.hmget(k.names, ICAO_PREFIX + asked, asked);
  const code = alias ?? asked;
  const [rank, score, of, aliasName] = await Promise.all([
    c.zrevrank(k.board, code),
    c.zscore(k.board, code),
    c.zcard(k.board),
    alias ? c.hget(k.names, alias) : Promise.resolve(name),
  ]);
  return {
    rank: rank === null ? null : rank + 1,
    count: score === null ? 0 : Number(score),
    of,
    code,
    name: aliasName ?? null,
  };
}
