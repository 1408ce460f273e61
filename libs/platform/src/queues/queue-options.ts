import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';
import { AppConfig } from '../config/config';
import { createValkeyClient, queuePrefix, ValkeyClient } from '@app/cache';
import { withTimeout } from '../health/indicators';

/**
 * BullMQ connection for every queue, worker and Bull Board: the queue server (QUEUE_*, defaulting to the cache's).
 * BullMQ opens its own connections from these options; it requires maxRetriesPerRequest null so blocking
 * commands wait out a reconnect instead of failing.
 */
export function queueConnection(config: AppConfig): ConnectionOptions {
  if (config.queue.clusterNodes?.length) return sharedClusterConnection(config);
  return {
    host: config.queue.host,
    port: config.queue.port,
    password: config.queue.password,
    tls: config.queue.tls ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/**
 * On a cluster BullMQ needs a Cluster client rather than options: one per process and queue server, shared by its
 * queues and workers (BullMQ duplicates it for blocking commands) and disconnected when its last user releases it
 * (releaseQueueConnection, after closing the queue or worker).
 */
const sharedClusters = new Map<string, { client: ValkeyClient; users: number }>();

function clusterId(config: AppConfig): string {
  return config.queue.clusterNodes!.map((n) => `${n.host}:${n.port}`).join(',');
}

function sharedClusterConnection(config: AppConfig): ConnectionOptions {
  const id = clusterId(config);
  let shared = sharedClusters.get(id);
  if (!shared) {
    const client = createValkeyClient(config.queue, { name: 'cmiyc-queues', maxRetriesPerRequest: null });
    sharedClusters.set(id, (shared = { client, users: 0 }));
  }
  shared.users++;
  return shared.client as unknown as ConnectionOptions;
}

/** Gives back what queueConnection (queueOptions) took: on a cluster, the last release disconnects it. */
export function releaseQueueConnection(config: AppConfig): void {
  if (!config.queue.clusterNodes?.length) return;
  const id = clusterId(config);
  const shared = sharedClusters.get(id);
  if (!shared || --shared.users > 0) return;
  sharedClusters.delete(id);
  shared.client.disconnect();
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
