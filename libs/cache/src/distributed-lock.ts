import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CacheGuard } from './cache-guard';
import { InfraKeys } from './keys';
import { runScript } from './scripts';

/** Thrown when the lock cannot be asked for at all (cache down): the caller decides how to degrade. */
export class CacheUnavailableError extends Error {
  constructor() {
    super('cache unavailable');
    this.name = 'CacheUnavailableError';
  }
}

/**
 * A lock per cache key, shared by every process: `SET lock:<key> <token> NX PX ttl`.
 * Only the owner (the holder of the random token) can release or extend it, atomically, so a slow owner whose
 * lock expired can never delete the lock a newer owner holds — the original workshop's plain DEL could.
 * Lock commands get the long (script) deadline: on a busy machine a slow answer must not pass for "no".
 */
@Injectable()
export class DistributedLock {
  constructor(private readonly guard: CacheGuard) {}

  /** Returns the owner token when acquired, null when someone else holds it; throws when the cache is down. */
  async acquire(logicalKey: string, ttlMs: number): Promise<string | null> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1)
      throw new RangeError(`lock TTL must be a positive integer of ms, got ${ttlMs}`);
    const token = randomUUID();
    const ok = await this.guard.run(
      (c) => c.set(this.guard.key(InfraKeys.lock(logicalKey)), token, 'PX', ttlMs, 'NX'),
      'script',
    );
    if (ok === undefined) throw new CacheUnavailableError();
    return ok === 'OK' ? token : null;
  }

  /** Releases the lock if `token` still owns it; false when it expired or belongs to someone else now. */
  async release(logicalKey: string, token: string): Promise<boolean> {
    const n = await this.guard.run(
      (c) => runScript<number>(c, 'release-lock', [this.guard.key(InfraKeys.lock(logicalKey))], [token]),
      'script',
    );
    return n === 1;
  }

  /** Extends the lock if `token` still owns it. */
  async extend(logicalKey: string, token: string, ttlMs: number): Promise<boolean> {
    const n = await this.guard.run(
      (c) =>
        runScript<number>(c, 'extend-lock', [this.guard.key(InfraKeys.lock(logicalKey))], [token, ttlMs]),
      'script',
    );
    return n === 1;
  }

  /** Current owner token (tests and diagnostics). */
  async owner(logicalKey: string): Promise<string | null> {
    return (await this.guard.run((c) => c.get(this.guard.key(InfraKeys.lock(logicalKey))))) ?? null;
  }
}
