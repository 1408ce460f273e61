import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform/config';
import { Attempt, CacheHealth, CommandKind, FailureDetector } from './failure-detector';
import { CACHE_CLIENT } from './valkey.module';
import { duplicateClient, isCluster, masterConnections, ValkeyClient } from './valkey-client';
import { KeySpace } from './key-space';

export * from './failure-detector';

type BreakerState = 'closed' | 'open';

/**
 * Every Valkey cache command goes through here, and through the failure detector that tells a slow cache from a
 * dead one (see FailureDetector: a connection that is down, three connection errors in a row or an unanswered PING
 * probe open the breaker; timeouts alone make it "degraded"; reply errors say nothing). Callers get `undefined`
 * instead of an exception.
 */
@Injectable()
export class CacheGuard implements OnApplicationShutdown {
  private readonly detector: FailureDetector;
  /**
   * The probe's own connection: a PING sent on the cache connection would queue behind every command this
   * process has in flight there, so a backlog of its own (a burst of thousands of requests) would look like a
   * dead server and open the breaker, taking the stampede lock out of play exactly when it is needed most.
   */
  private probeConnection?: ValkeyClient;
  /** Prefix and, on a cluster, the shard hash tags of every key (see KeySpace). */
  readonly keys: KeySpace;

  constructor(
    @Inject(CACHE_CLIENT) readonly client: ValkeyClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.keys = new KeySpace(config.cache.keyPrefix, isCluster(client) ? config.cache.shards : null);
    this.detector = new FailureDetector(
      {
        server: 'cache',
        logContext: 'CacheGuard',
        ping: () => this.pingServers(),
        // iovalkey reconnects in the background; nothing is sent meanwhile.
        notConnected: () => (client.status === 'ready' ? null : `not connected (${client.status})`),
        // iovalkey's ReplyError: the server answered.
        isReplyError: (e) => e?.name === 'ReplyError',
      },
      config.cache,
    );
    // Connected from the start (to every master, on a cluster): a probe must not wait for a connection to be made.
    const probe = this.prober();
    probe.on('ready', () => void this.pingServers().catch(() => undefined));
    // A reconnected client while the breaker is open: check at once instead of waiting for the cool-down.
    client.on('ready', () => {
      if (this.detector.isOpen) void this.detector.probe();
    });
  }

  /** PING on the probe's connection; on a cluster, on its connection to every master (each holds some slots). */
  private pingServers(): Promise<unknown> {
    const probe = this.prober();
    if (!isCluster(probe)) return probe.ping();
    const masters = masterConnections(probe);
    return masters.length ? Promise.all(masters.map((m) => m.ping())) : probe.ping();
  }

  private prober(): ValkeyClient {
    this.probeConnection ??= duplicateClient(this.client, {
      connectionName: `${this.client.options?.connectionName ?? 'cmiyc'}-probe`,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      commandTimeout: undefined,
    });
    this.probeConnection.on('error', () => undefined);
    return this.probeConnection;
  }

  /** Closes the probe's connection (the cache connection is its owner's to close). */
  close(): void {
    this.probeConnection?.disconnect();
    this.probeConnection = undefined;
  }

  onApplicationShutdown(): void {
    this.close();
  }

  get prefix(): string {
    return this.config.cache.keyPrefix;
  }

  /** The key as stored in Valkey: prefixed and, on a cluster, in the shard of its entity. */
  key(logical: string): string {
    return this.keys.key(logical);
  }

  /** Deadline of a read, and of the liveness probe (health checks use the same). */
  get readTimeoutMs(): number {
    return this.config.cache.commandTimeoutMs;
  }

  get probeTimeoutMs(): number {
    return this.config.cache.probeTimeoutMs;
  }

  get breakerState(): BreakerState {
    return this.detector.isOpen ? 'open' : 'closed';
  }

  /** Commands not sent or given up (breaker open, connection down, failure, timeout); for /api/stats. */
  get bypassed(): number {
    return this.detector.bypassed;
  }

  /** True when a command would be sent now (connection ready and breaker closed). */
  get isAvailable(): boolean {
    return this.detector.isAvailable;
  }

  /** up, degraded (answering, but slowly) or down (not connected, or found dead); with the reason. */
  health(): { state: CacheHealth; reason?: string } {
    return this.detector.health();
  }

  /** Runs a cache operation within its deadline; `undefined` when the cache is unavailable, too slow, or failed. */
  async run<T>(op: (client: ValkeyClient) => Promise<T>, kind: CommandKind = 'read'): Promise<T | undefined> {
    const attempt = await this.attempt(op, kind);
    return attempt.outcome === 'done' ? attempt.value : undefined;
  }

  /** Like run, but says whether a command that did not complete may still have run (see Attempt). */
  attempt<T>(op: (client: ValkeyClient) => Promise<T>, kind: CommandKind = 'read'): Promise<Attempt<T>> {
    return this.detector.attempt(() => op(this.client), kind);
  }
}
