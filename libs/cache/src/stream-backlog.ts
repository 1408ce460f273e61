import { ValkeyClient } from './valkey-client';
import { runScript } from './scripts';

/** What a consumer group has not finished with yet. */
export interface StreamBacklog {
  /** Delivered to a consumer, not yet acknowledged. */
  pending: number;
  /** Not yet delivered to any consumer. */
  undelivered: number;
  /** Age of the oldest entry not yet acknowledged (server clock), null when there is none. */
  oldestAgeMs: number | null;
}

/** Entry ids start with the server's time in ms. */
function idMs(id: string): number {
  return Number(id.split('-')[0]);
}

/**
 * The backlog of a stream's consumer group (the write-behind bookings not yet persisted): how many, and how old
 * the oldest is, by the server's clock. A missing stream or group has no backlog.
 */
export async function streamBacklog(c: ValkeyClient, stream: string, group: string): Promise<StreamBacklog> {
  const none: StreamBacklog = { pending: 0, undelivered: 0, oldestAgeMs: null };
  if (!(await c.exists(stream))) return none;
  const groups = (await c.xinfo('GROUPS', stream)) as unknown[][];
  const info = groups.map(pairs).find((g) => g.name === group);
  // The clock of the stream's own server (on a cluster, TIME alone would ask any node).
  const nowMs = Math.floor(Number(await runScript<number>(c, 'server-time', [stream])) / 1000);
  if (!info) {
    // No group (deleted, not yet re-created): every entry is undelivered.
    const [first] = (await c.xrange(stream, '-', '+', 'COUNT', 1)) as [string, string[]][];
    const length = await c.xlen(stream);
    return { pending: 0, undelivered: length, oldestAgeMs: first ? nowMs - idMs(first[0]) : null };
  }
  const [pendingCount, pendingMin] = (await c.xpending(stream, group)) as [
    number,
    string | null,
    ...unknown[],
  ];
  const [nextUndelivered] = (await c.xrange(
    stream,
    `(${String(info['last-delivered-id'])}`,
    '+',
    'COUNT',
    1,
  )) as [string, string[]][];
  const oldest = [pendingCount > 0 ? pendingMin : null, nextUndelivered?.[0] ?? null]
    .filter((id): id is string => !!id)
    .map(idMs);
  const lag = info.lag === null || info.lag === undefined ? (nextUndelivered ? 1 : 0) : Number(info.lag);
  return {
    pending: Number(pendingCount),
    undelivered: lag,
    oldestAgeMs: oldest.length ? Math.max(0, nowMs - Math.min(...oldest)) : null,
  };
}

/** The backlog of a group over several streams (one per shard on a cluster): summed, the oldest of all. */
export async function streamsBacklog(
  c: ValkeyClient,
  streams: string[],
  group: string,
): Promise<StreamBacklog> {
  const each = await Promise.all(streams.map((s) => streamBacklog(c, s, group)));
  const ages = each.map((b) => b.oldestAgeMs).filter((a): a is number => a !== null);
  return {
    pending: each.reduce((n, b) => n + b.pending, 0),
    undelivered: each.reduce((n, b) => n + b.undelivered, 0),
    oldestAgeMs: ages.length ? Math.max(...ages) : null,
  };
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
