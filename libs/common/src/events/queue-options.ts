import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';
import { AppConfig } from '../config/config';
import { queuePrefix } from '../cache/keys';

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
