import { ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

/**
 * What a failed statement means for a write:
 * - 'unique': a unique key refused the row (for bookings: the seat is taken);
 * - 'integrity': the row itself is unacceptable (a foreign key, a value out of range): retrying cannot help;
 * - 'unavailable': anything else — connection lost, server down, timeout, deadlock — retrying later may succeed.
 */
export type DbErrorKind = 'unique' | 'integrity' | 'unavailable';

const MYSQL_UNIQUE = new Set([1062, 1586]);
// Foreign key, NOT NULL, out of range, too long, bad value, check constraint.
const MYSQL_INTEGRITY = new Set([1048, 1216, 1217, 1264, 1292, 1366, 1406, 1451, 1452, 3819, 4025]);

export function dbErrorKind(e: unknown): DbErrorKind {
  const driver = (e instanceof QueryFailedError ? e.driverError : e) as
    { errno?: number; code?: string } | undefined;
  if (!driver) return 'unavailable';
  if (typeof driver.errno === 'number' && typeof driver.code === 'string' && driver.code.startsWith('ER_')) {
    if (MYSQL_UNIQUE.has(driver.errno)) return 'unique';
    if (MYSQL_INTEGRITY.has(driver.errno)) return 'integrity';
    return 'unavailable';
  }
  // PostgreSQL SQLSTATE: class 23 = integrity constraint violation (23505 unique), class 22 = data exception.
  if (typeof driver.code === 'string' && /^[0-9A-Z]{5}$/.test(driver.code)) {
    if (driver.code === '23505') return 'unique';
    if (driver.code.startsWith('23') || driver.code.startsWith('22')) return 'integrity';
  }
  return 'unavailable';
}

/** A UTC timestamp both engines store as written (pg would otherwise send the machine's local time). */
export function sqlTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** A database that cannot be reached is a 503 naming it, not a 500. */
export async function unavailableIfDown<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    // Unreachable, or a statement the database refused for a passing reason (deadlock, lock wait timeout).
    if (isDatabaseUnreachable(e) || (e instanceof QueryFailedError && dbErrorKind(e) === 'unavailable')) {
      throw new ServiceUnavailableException(`the database is unavailable: ${(e as Error).message}`);
    }
    throw e;
  }
}

/** Driver codes of a connection that failed or was lost (mysql2, pg, Node's net). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

const CONNECTION_MESSAGES =
  /connect ECONNREFUSED|Connection terminated|connection is closed|closed state|Connection lost|timeout exceeded when trying to connect|Client has encountered a connection error|pool is closed|Pool is closed|server closed the connection|read ECONNRESET/i;

/**
 * True when the error says the database could not be reached or the connection was lost (not that a statement
 * was wrong): a 503 naming the database, never a 500.
 */
export function isDatabaseUnreachable(e: unknown): boolean {
  const err = (e instanceof QueryFailedError ? e.driverError : e) as
    { code?: unknown; errno?: unknown; message?: unknown } | undefined;
  if (!err) return false;
  const code = typeof err.code === 'string' ? err.code : '';
  // PostgreSQL SQLSTATE class 08: connection exception.
  if (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  return CONNECTION_MESSAGES.test(String(err.message ?? ''));
}

/** "MariaDB at 127.0.0.1:3306": how a 503 names the database. */
export function describeDatabase(db: { flavor: string; host: string; port: number }): string {
  const name = { mariadb: 'MariaDB', mysql: 'MySQL', postgres: 'PostgreSQL' }[db.flavor] ?? db.flavor;
  return `${name} at ${db.host}:${db.port}`;
}
