import { runScript } from './scripts';
import { ValkeyClient } from './valkey-client';

/** The prefixed keys lua/build-seat-map.lua works on. */
export interface SeatMapKeys {
  seatMap: string;
  counters: string;
  pending: string;
  /** The flight's tag set and tag version. */
  tagSet: string;
  tagVersion: string;
  /** The seat map's fence (CacheService.delete). */
  fence: string;
}

export interface SeatMapBuild {
  capacity: number;
  /** Bookings of the flight in the database, seatless ones included. */
  bookings: number;
  /** Seat indexes booked in the database. */
  indexes: number[];
  /** The pending hash's version read before the database was. */
  pendingVersion: string;
  ttl: number;
  /** Valkey server time (µs) the load began, or '' to skip the tag check. */
  loadStartedUs: string;
  mode: 'keep' | 'replace';
}

/** ARGV of lua/build-seat-map.lua. */
function seatMapArgs(b: SeatMapBuild): string[] {
  return [
    String(b.capacity),
    String(b.bookings),
    b.pendingVersion,
    String(b.ttl),
    b.loadStartedUs,
    b.mode,
    ...b.indexes.map(String),
  ];
}

/**
 * Builds a flight's seat map (lua/build-seat-map.lua): used by the query-service on a read miss and by the
 * writer-service before taking a seat. 1 when built or kept, 0 when refused (a seat change or an invalidation
 * raced the database read: read it again).
 */
export function buildSeatMap(c: ValkeyClient, keys: SeatMapKeys, build: SeatMapBuild): Promise<number> {
  return runScript<number>(
    c,
    'build-seat-map',
    [keys.seatMap, keys.counters, keys.pending, keys.tagSet, keys.tagVersion, keys.fence],
    seatMapArgs(build),
  );
}
