import { ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { dbErrorKind, sqlTimestamp, unavailableIfDown } from './database-errors';

/** A driver error as mysql2 (errno + ER_ code) or pg (SQLSTATE code) reports it. */
const mysqlError = (errno: number, code: string) => Object.assign(new Error(code), { errno, code });
const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const failed = (driverError: Error) => new QueryFailedError('INSERT ...', [], driverError);

describe('dbErrorKind', () => {
  it.each([
    [1062, 'ER_DUP_ENTRY'],
    [1586, 'ER_DUP_ENTRY_WITH_KEY_NAME'],
  ])('MySQL %i (%s) is a unique violation', (errno, code) => {
    expect(dbErrorKind(failed(mysqlError(errno, code)))).toBe('unique');
    expect(dbErrorKind(mysqlError(errno, code))).toBe('unique');
  });

  it.each([
    [1048, 'ER_BAD_NULL_ERROR'],
    [1216, 'ER_NO_REFERENCED_ROW'],
    [1217, 'ER_ROW_IS_REFERENCED'],
    [1264, 'ER_WARN_DATA_OUT_OF_RANGE'],
    [1292, 'ER_TRUNCATED_WRONG_VALUE'],
    [1366, 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'],
    [1406, 'ER_DATA_TOO_LONG'],
    [1451, 'ER_ROW_IS_REFERENCED_2'],
    [1452, 'ER_NO_REFERENCED_ROW_2'],
    [3819, 'ER_CHECK_CONSTRAINT_VIOLATED'],
    [4025, 'ER_CONSTRAINT_FAILED'],
  ])('MySQL %i (%s) is an integrity error', (errno, code) => {
    expect(dbErrorKind(failed(mysqlError(errno, code)))).toBe('integrity');
  });

  it.each([
    [1213, 'ER_LOCK_DEADLOCK'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT'],
    [1040, 'ER_CON_COUNT_ERROR'],
  ])('other MySQL errors (%i %s) may succeed later: unavailable', (errno, code) => {
    expect(dbErrorKind(failed(mysqlError(errno, code)))).toBe('unavailable');
  });

  it('PostgreSQL 23505 is a unique violation; the rest of classes 23 and 22 are integrity errors', () => {
    expect(dbErrorKind(failed(pgError('23505')))).toBe('unique');
    for (const code of ['23503', '23502', '23514', '22001', '22003', '22P02']) {
      expect(dbErrorKind(failed(pgError(code)))).toBe('integrity');
    }
  });

  it('PostgreSQL errors of other classes (deadlock, admin shutdown, too many connections) are unavailable', () => {
    for (const code of ['40P01', '57P01', '53300', '08006']) {
      expect(dbErrorKind(failed(pgError(code)))).toBe('unavailable');
    }
  });

  it('connection errors without an SQL code, and non-errors, are unavailable', () => {
    expect(dbErrorKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      'unavailable',
    );
    // A Node errno with a non-ER_ code is not mistaken for a MySQL error.
    expect(dbErrorKind(Object.assign(new Error('x'), { errno: -111, code: 'ECONNREFUSED' }))).toBe(
      'unavailable',
    );
    expect(dbErrorKind(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(dbErrorKind(undefined)).toBe('unavailable');
    expect(dbErrorKind(null)).toBe('unavailable');
  });
});

describe('sqlTimestamp', () => {
  it('writes the UTC time without zone, as both engines store it', () => {
    expect(sqlTimestamp(new Date('2024-03-05T07:08:09.123Z'))).toBe('2024-03-05 07:08:09.123');
  });
});

describe('unavailableIfDown', () => {
  it('passes a result through', async () => {
    await expect(unavailableIfDown(async () => 42)).resolves.toBe(42);
  });

  it('turns a lost connection into a 503 naming the database', async () => {
    const lost = failed(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const err = await unavailableIfDown(() => Promise.reject(lost)).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableException);
    expect(err.getStatus()).toBe(503);
    expect(err.message).toMatch(/^the database is unavailable: /);
  });

  it('recognises pool and connection messages without a driver code', async () => {
    for (const message of [
      'Pool is closed.',
      'Connection terminated',
      'timeout exceeded when trying to connect',
    ]) {
      const err = await unavailableIfDown(() => Promise.reject(new Error(message))).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableException);
    }
  });

  it('leaves refusals and bugs as they are', async () => {
    const duplicate = failed(mysqlError(1062, 'ER_DUP_ENTRY'));
    await expect(unavailableIfDown(() => Promise.reject(duplicate))).rejects.toBe(duplicate);
    const bug = new TypeError('cannot read properties of undefined');
    await expect(unavailableIfDown(() => Promise.reject(bug))).rejects.toBe(bug);
  });
});
