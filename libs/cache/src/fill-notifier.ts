import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CacheGuard } from './cache-guard';
import { InfraKeys } from './keys';
import { duplicateClient, ValkeyClient } from './valkey-client';

/**
 * Wakes the requests waiting for a key the moment another process fills it, instead of sleep-polling.
 * One subscriber connection per process listens on one channel per key prefix; the message is the logical key,
 * and the local waiters of that key are resolved.
 */
@Injectable()
export class FillNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('FillNotifier');
  private subscriber?: ValkeyClient;
  private subscribed?: Promise<void>;
  private readonly waiters = new Map<string, Set<(filled: boolean) => void>>();

  constructor(private readonly guard: CacheGuard) {}

  private get channel(): string {
    return this.guard.key(InfraKeys.fillChannel());
  }

  onModuleInit() {
    // On a cluster, iovalkey's cluster subscriber: PUBLISH reaches every node's subscribers over the cluster bus.
    this.subscriber = duplicateClient(this.guard.client, {
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.channel) this.wake(key, true);
    });
    // iovalkey re-subscribes by itself after a reconnect.
    this.subscribed = this.subscriber.subscribe(this.channel).then(
      () => undefined,
      (e: Error) => this.logger.warn(`fill notifications unavailable: ${e.message}`),
    );
  }

  async onModuleDestroy() {
    for (const key of [...this.waiters.keys()]) this.wake(key, false);
    this.subscriber?.disconnect();
  }

  /** Resolves true when `notify(logicalKey)` is called in any process, false after `timeoutMs`. */
  waitFor(logicalKey: string, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let set = this.waiters.get(logicalKey);
      if (!set) this.waiters.set(logicalKey, (set = new Set()));
      const done = (filled: boolean) => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(logicalKey) === set) this.waiters.delete(logicalKey);
        resolve(filled);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      set.add(done);
    });
  }

  /** Ready to receive (the subscription is in place). */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  /** Tells every process that `logicalKey` now has a value (or that its loader gave up: waiters re-check). */
  async notify(logicalKey: string): Promise<void> {
    // Local waiters first: no round trip needed for them.
    this.wake(logicalKey, true);
    await this.guard.run((c) => c.publish(this.channel, logicalKey), 'script');
  }

  /** How many requests of this process are waiting (diagnostics). */
  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  private wake(key: string, filled: boolean) {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const done of [...set]) done(filled);
  }
}
