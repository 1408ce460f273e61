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
    if (dbErrorKind(e) === 'unavailable' && isConnectionTrouble(e)) {
      throw new ServiceUnavailableException(`the database is unavailable: ${(e as Error).message}`);
    }
    throw e;
  }
}

/** Connection-level failures (as opposed to a bug): a driver error code, or a pool/connection message. */
function isConnectionTrouble(e: unknown): boolean {
  if (e instanceof QueryFailedError) return true;
  const err = e as { code?: unknown; message?: unknown };
  return (
    typeof err?.code === 'string' || /connect|terminat|timeout|closed|lost|pool/i.test(String(err?.message))
  );
}
