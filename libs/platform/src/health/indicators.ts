import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import {
  CacheGuard,
  MemcachedEntries,
  ValkeyClient,
  asCluster,
  isCluster,
  masterConnections,
  withDeadline,
} from '@app/cache';
import { ReadReplicas } from '../database/read-replicas';

/** Terminus checks shared by every app: the database answers a query, Valkey answers PING. */
@Injectable()
export class DependencyHealth {
  constructor(private readonly indicator: HealthIndicatorService) {}

  /**
   * The primary answers a query; with read replicas, each one's state too. A replica that is down or behind is
   * "up" with state "degraded" (reads go to the primary meanwhile), not down.
   */
  async database(ds: DataSource, key = 'database', replicas?: ReadReplicas) {
    const check = this.indicator.check(key);
    try {
      await withTimeout(ds.query('SELECT 1'), 2000);
    } catch (e) {
      return check.down({ engine: ds.options.type, message: (e as Error).message });
    }
    if (!replicas?.configured) return check.up({ engine: ds.options.type });
    const reports = await withTimeout(replicas.check(), 5000).catch((e: Error) => e);
    if (reports instanceof Error)
      return check.up({
        engine: ds.options.type,
        state: 'degraded',
        message: `replicas: ${reports.message}`,
      });
    const unwell = reports.filter((r) => r.state !== 'up');
    if (unwell.length === 0) return check.up({ engine: ds.options.type, replicas: reports });
    const message = unwell.map((r) => `${r.replica} is ${r.state}: ${r.message}`).join('; ');
    return check.up({
      engine: ds.options.type,
      state: 'degraded',
      message: `${message}; its reads go to the primary`,
      replicas: reports,
    });
  }

  /**
   * Valkey: "down" when it does not answer a PING within the probe deadline (or the connection is gone); "up" with
   * state "degraded" when it answers, but slower than a read's deadline or after recent timeouts. A slow cache is
   * not a dead one: it keeps serving (and /health stays 200).
   */
  async valkey(guard: CacheGuard, key = 'valkey') {
    const check = this.indicator.check(key);
    const started = performance.now();
    try {
      const pong = await withTimeout(guard.client.ping(), guard.probeTimeoutMs);
      if (pong !== 'PONG') return check.down({ message: `unexpected reply ${pong}` });
      // A cluster answers PING from any node: ask every master whether all slots are served.
      const trouble = isCluster(guard.client)
        ? await withTimeout(clusterTrouble(guard.client), guard.probeTimeoutMs)
        : null;
      if (trouble) return check.down({ message: trouble });
    } catch (e) {
      return check.down({ message: (e as Error).message });
    }
    const pingMs = Math.round((performance.now() - started) * 10) / 10;
    const seen = guard.health();
    if (pingMs > guard.readTimeoutMs || seen.state !== 'up') {
      const message =
        pingMs > guard.readTimeoutMs
          ? `PING took ${pingMs} ms (read deadline ${guard.readTimeoutMs} ms)`
          : `recently: ${seen.reason}`;
      return check.up({ state: 'degraded', message, pingMs });
    }
    return check.up();
  }

  /**
   * memcached (CACHE_ENGINE=memcached): it holds only cache-aside entries, and reads go to the database without
   * it, so it is never "down": "up" with state "degraded" when it does not answer `version` within the probe
   * deadline, answers slowly, or was found dead recently. {} when the engine is not memcached.
   */
  async memcached(entries: MemcachedEntries | null | undefined, key = 'memcached') {
    if (!entries) return {};
    const check = this.indicator.check(key);
    const guard = entries.guard;
    const started = performance.now();
    try {
      await withTimeout(guard.connection.version(), guard.probeTimeoutMs);
    } catch (e) {
      return check.up({
        state: 'degraded',
        address: entries.address,
        message: `not answering (${(e as Error).message}): reads go to the database`,
      });
    }
    const versionMs = Math.round((performance.now() - started) * 10) / 10;
    const seen = guard.health();
    if (versionMs > guard.readTimeoutMs || seen.state !== 'up') {
      const message =
        versionMs > guard.readTimeoutMs
          ? `version took ${versionMs} ms (read deadline ${guard.readTimeoutMs} ms)`
          : `recently: ${seen.reason}`;
      return check.up({ state: 'degraded', address: entries.address, message, versionMs });
    }
    return check.up({ address: entries.address });
  }
}

/** `p`, or an error saying it timed out after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return withDeadline(p, ms, () => new Error(`timed out after ${ms} ms`));
}

/**
 * What is wrong with a cluster, as its masters see it: one that does not answer, or one that says cluster_state
 * is not ok (slots without a live master: a failover under way, or none possible). null: all is well.
 */
async function clusterTrouble(client: ValkeyClient): Promise<string | null> {
  const masters = masterConnections(client);
  if (masters.length === 0) return 'cluster: no master known';
  // The client's own view first: slots whose master it has lost (killed, cut off) until a replica takes over.
  const live = new Set(masters.map((m) => `${m.options.host}:${m.options.port}`));
  const orphans = asCluster(client).slots.filter((nodes) => !nodes?.[0] || !live.has(nodes[0])).length;
  if (orphans > 0) return `cluster: ${orphans} slot(s) have no reachable master (failover pending)`;
  const states = await Promise.all(
    masters.map(async (m) => {
      const where = `${m.options.host}:${m.options.port}`;
      try {
        const info = String(await m.call('CLUSTER', 'INFO'));
        const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
        return state === 'ok' ? null : `cluster: master ${where} says cluster_state:${state}`;
      } catch (e) {
        return `cluster: master ${where} does not answer (${(e as Error).message})`;
      }
    }),
  );
  return states.find((s) => s !== null) ?? null;
}
