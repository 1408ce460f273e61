import {
  BadRequestException,
  ConflictException,
  HttpException,
  Injectable,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CacheService, DurableWriteKeys } from '@app/cache';

/** What a write answered: its status and body (an error's body for a 4xx). */
export interface WriteOutcome {
  status: number;
  body: unknown;
}

interface StoredOutcome {
  fingerprint: string;
  state: 'in-flight' | 'done';
  status?: number;
  body?: unknown;
}

/** How long a key's first outcome is kept (and replayed). */
const KEEP_SECONDS = 24 * 3600;
/** Printable ASCII, 1 to 255 characters (a UUID is the usual choice). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotent retries of POST /api/bookings and PATCH /api/flights/:id: the first request with an
 * `Idempotency-Key` is carried out and its outcome kept for 24 hours; a retry with the same key and the same
 * request gets that outcome again (same status, same booking or reference) without doing anything; the same key
 * with a different request is 422; a retry while the first is still running is 409. Outcomes that mean "nothing
 * happened, try again" (503, and other 5xx) are not kept, so a retry after them is carried out.
 * Kept in Valkey beside the write-behind state of record (DELETE /api/cache leaves it).
 */
@Injectable()
export class Idempotency {
  constructor(private readonly cache: CacheService) {}

  async once(
    key: string | undefined,
    scope: string,
    request: unknown,
    write: () => Promise<WriteOutcome>,
  ): Promise<WriteOutcome & { replayed: boolean }> {
    if (key === undefined) return { ...(await write()), replayed: false };
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestException(
        'Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID, say)',
      );
    }
    const stored = this.cache.key(DurableWriteKeys.idempotency(scope, key));
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const claim: StoredOutcome = { fingerprint, state: 'in-flight' };
    const claimed = await this.cache.guard(
      (c) => c.set(stored, JSON.stringify(claim), 'EX', KEEP_SECONDS, 'NX'),
      'script',
    );
    if (claimed === undefined) {
      throw new ServiceUnavailableException(
        'Valkey, which keeps Idempotency-Key outcomes, is unavailable: nothing was done; retry',
      );
    }
    if (claimed !== 'OK') return { ...(await this.previous(stored, fingerprint)), replayed: true };

    try {
      const outcome = await write();
      await this.keep(stored, { fingerprint, state: 'done', ...outcome });
      return { ...outcome, replayed: false };
    } catch (e) {
      const status = e instanceof HttpException ? e.getStatus() : 500;
      if (status >= 400 && status < 500) {
        await this.keep(stored, {
          fingerprint,
          state: 'done',
          status,
          body: (e as HttpException).getResponse(),
        });
      } else {
        // Nothing happened (or nobody knows): the key is free for the retry.
        await this.cache.guard((c) => c.del(stored), 'script');
      }
      throw e;
    }
  }

  private async previous(stored: string, fingerprint: string): Promise<WriteOutcome> {
    const raw = await this.cache.guard((c) => c.get(stored), 'script');
    if (raw === undefined) {
      throw new ServiceUnavailableException(
        'Valkey, which keeps Idempotency-Key outcomes, is unavailable; retry',
      );
    }
    if (raw === null) throw new ConflictException('the request with this Idempotency-Key just ended; retry');
    const first = JSON.parse(raw) as StoredOutcome;
    if (first.fingerprint !== fingerprint) {
      throw new UnprocessableEntityException(
        'this Idempotency-Key was used with a different request; use a new key for a new request',
      );
    }
    if (first.state === 'in-flight') {
      throw new ConflictException(
        'a request with this Idempotency-Key is still being carried out; retry shortly',
      );
    }
    if (first.status! >= 400) throw new HttpException(first.body as Record<string, unknown>, first.status!);
    return { status: first.status!, body: first.body };
  }

  private async keep(stored: string, outcome: StoredOutcome): Promise<void> {
    await this.cache.guard((c) => c.set(stored, JSON.stringify(outcome), 'EX', KEEP_SECONDS), 'script');
  }
}
