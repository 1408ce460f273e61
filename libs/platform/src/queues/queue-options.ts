import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';
import { AppConfig } from '../config/config';
import { queuePrefix } from '@app/cache';
import { withTimeout } from '../health/indicators';

/**
 * BullMQ connection for every queue, worker and Bull Board: the queue server (QUEUE_*, defaulting to the cache's).
 * BullMQ opens its own connections from these options; it requires maxRetriesPerRequest null so blocking
 * commands wait out a reconnect instead of failing.
 */
export function queueConnection(config: AppConfig): ConnectionOptions {
  return {
    host: config.queue.host,
    port: config.queue.port,
    password: config.queue.password,
    tls: config.queue.tls ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** Queue options shared by producers, workers and the dashboard so they all address the same keys. */
export function queueOptions(config: AppConfig): { connection: ConnectionOptions; prefix: string } {
  return { connection: queueConnection(config), prefix: queuePrefix(config) };
}

/**
 * Every event job: retried with exponential backoff (a cache blip must not lose an invalidation), and kept only
 * for a bounded time and number so the queue server does not grow without end.
 */
export const EVENT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 250 },
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10000 },
};

/**
 * Queues, the write-behind stream and pending reservations are state of record: a server that evicts them under
 * memory pressure silently loses writes. BullMQ's server must be noeviction. The cache server, which holds the
 * write-behind stream and reservations next to the seat maps (one script touches them together), may evict only
 * keys with a TTL (volatile-*): every cache entry has one, the stream and the reservations never do.
 * Warns once at start-up otherwise; managed services often disable CONFIG, which is tolerated with a note.
 */
export async function warnUnlessNoEviction(
  client: { config(op: 'GET', name: string): Promise<unknown> },
  serverName: string,
  logger: { warn(message: string): void },
  allowVolatile = false,
): Promise<string | null> {
  try {
    const reply = (await withTimeout(client.config('GET', 'maxmemory-policy'), 3000)) as string[];
    const policy = reply?.[1] ?? null;
    const safe = policy === 'noeviction' || (allowVolatile && policy?.startsWith('volatile-'));
    if (policy && !safe) {
      const wanted = allowVolatile ? 'noeviction or a volatile-* policy' : 'noeviction';
      logger.warn(
        `${serverName} has maxmemory-policy=${policy}: under memory pressure it may evict queued events and ` +
          `write-behind bookings. Set maxmemory-policy ${wanted} on the server that holds them.`,
      );
    }
    return policy;
  } catch (e) {
    logger.warn(
      `could not read ${serverName}'s maxmemory-policy (${(e as Error).message}); make sure it is noeviction`,
    );
    return null;
  }
}
