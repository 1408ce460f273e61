import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppConfig, RepeatLimiter, suppressedNote } from '@app/platform';
import { ValkeyClient, createValkeyClient } from '@app/cache';
import { backoffMs, isMissingGroupError } from './retry';
import { StreamEntry } from './stream-entry';

/** false: this process accepts writes but does not flush them (another process does). */
export const FLUSHER_ENABLED = Symbol('FLUSHER_ENABLED');

/** What differs between the write-behind streams one StreamFlusher drains. */
export interface StreamFlusherOptions {
  /** The Logger context. */
  logger: string;
  /** Connection names are `${clientName}-${consumer}`. */
  clientName: string;
  /** The streams' stored keys: one on one server, one per shard on a cluster (each drained by lanes of its own). */
  streams: () => string[];
  group: string;
  /** Batches in flight, each read by a consumer `${name}-${lane}` of its own; read at start. None: one, `${name}`. */
  lanes?: () => number;
  /** Entries per batch at most; read for every batch. */
  batchSize: () => number;
  /** What the entries are, in logs ("bookings", "flight changes"). */
  noun: string;
  /** The prefix of a loop failure's log line. */
  loopError: string;
  /** The warning logged (not the loop failure) when the group is gone; none: logged as a loop failure. */
  missingGroupWarning?: (message: string) => string;
  /** One limiter for loop and database failures (else one each). */
  oneErrorLimiter?: boolean;
}

interface Lane {
  stream: string;
  consumer: string;
  client: ValkeyClient;
  nextClaimAt: number;
  /** The consumer group is known to exist (created again after the stream was deleted). */
  groupReady: boolean;
}

/**
 * Drains a write-behind stream into the database. Several flushers (processes) share the work through one consumer
 * group: each batch is read with XREADGROUP, persisted (idempotently, so a replay writes nothing twice), finalised
 * (outcomes in Valkey, events...), and only then acknowledged and deleted. A flusher that dies leaves its batch
 * pending; another claims it after WRITE_BEHIND_CLAIM_IDLE_MS (XAUTOCLAIM). While the database is down the batch
 * is retried with backoff, never lost; a deleted stream (NOGROUP) gets its group again, from the stream's start.
 */
export abstract class StreamFlusher<Item, Result> implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger: Logger;
  private readonly name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private lanes: Lane[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  /** The same failure, repeated by every lane and every retry, is logged at a bounded rate. */
  private readonly loopErrors = new RepeatLimiter();
  private readonly databaseErrors: RepeatLimiter;

  protected constructor(
    protected readonly config: AppConfig,
    private readonly enabled: boolean,
    private readonly options: StreamFlusherOptions,
  ) {
    this.logger = new Logger(options.logger);
    this.databaseErrors = options.oneErrorLimiter ? this.loopErrors : new RepeatLimiter();
  }

  /** The batch's items: an entry deleted from the stream but still pending comes back without fields. */
  protected abstract parse(entries: StreamEntry[]): Item[];
  /** Writes the batch; throws only when the database is unavailable (the same batch is retried). */
  protected abstract persist(batch: Item[]): Promise<Result>;
  /** After the commit, before the acknowledgement: outcomes in Valkey, events... */
  protected abstract finalize(client: ValkeyClient, batch: Item[], result: Result): Promise<void>;
  /** After the acknowledgement: totals, refusals logged. */
  protected abstract settled(batch: Item[], result: Result): void;
  /** Counts a retry of a batch the database could not take. */
  protected abstract retried(): void;
  /** The time spent persisting a batch (retries included). */
  protected persisted(ms: number): void {
    void ms;
  }

  onApplicationBootstrap() {
    if (this.enabled) this.start();
  }

  async onApplicationShutdown() {
    await this.stop();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    // Batches in flight: while one lane waits for the database, another finalises and acknowledges. Each lane is
    // a consumer of its own, with a patient connection of its own (XREADGROUP blocks, and the flusher must wait
    // out a Valkey restart, not fail).
    // On a cluster every shard's stream has lanes of its own, so every shard is drained.
    const { lanes } = this.options;
    const streams = this.options.streams();
    this.lanes = streams.flatMap((stream, shard) =>
      Array.from({ length: lanes ? lanes() : 1 }, (_, i) => {
        const consumer = (lanes ? `${this.name}-${i}` : this.name) + (streams.length > 1 ? `-s${shard}` : '');
        const client = createValkeyClient(this.config.cache, {
          name: `${this.options.clientName}-${consumer}`,
          maxRetriesPerRequest: null,
        });
        return { stream, consumer, client, nextClaimAt: 0, groupReady: false };
      }),
    );
    this.running = true;
    this.loops = this.lanes.map((lane) => this.run(lane));
  }

  async stop(): Promise<void> {
    if (this.lanes.length === 0) return;
    this.running = false;
    // A batch in progress finishes (or its retry sleep ends) within a moment; or a command waiting
    // for a Valkey that is away, does not hold us: disconnecting rejects the command and its loop ends.
    const loops = Promise.all(this.loops);
    await within(loops, Math.max(2000, this.config.writeBehind.blockMs * 2));
    for (const lane of this.lanes) lane.client.disconnect();
    await within(loops, 1000);
    this.lanes = [];
    this.loops = [];
  }

  private async run(lane: Lane): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.ensureGroup(lane);
        const entries = await this.nextBatch(lane);
        if (entries.length > 0) await this.flush(lane, entries);
        failures = 0;
      } catch (e) {
        // Stopping: a command cut short by the disconnect is not a failure.
        if (!this.running) return;
        failures++;
        this.loopFailed(lane, e);
        await this.pause(backoffMs(failures));
      }
    }
  }

  private loopFailed(lane: Lane, e: unknown): void {
    const message = (e as Error).message;
    const { missingGroupWarning, loopError } = this.options;
    if (isMissingGroupError(e)) {
      // The stream (and its group) was deleted: the group is created again, from the stream's start.
      lane.groupReady = false;
      if (missingGroupWarning) {
        const { log, suppressed } = this.loopErrors.take('missing group');
        if (log) this.logger.warn(`${missingGroupWarning(message)}${suppressedNote(suppressed)}`);
        return;
      }
    }
    const { log, suppressed } = this.loopErrors.take(message);
    if (log) this.logger.error(`${loopError}: ${message}${suppressedNote(suppressed)}`);
  }

  private async ensureGroup(lane: Lane): Promise<void> {
    if (lane.groupReady) return;
    try {
      // From the stream's start: writes accepted before any flusher existed are flushed too.
      await lane.client.xgroup('CREATE', lane.stream, this.options.group, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
    lane.groupReady = true;
  }

  /** Entries a dead consumer left pending (checked regularly), else new ones (blocking briefly). */
  private async nextBatch(lane: Lane): Promise<StreamEntry[]> {
    const { blockMs, claimIdleMs } = this.config.writeBehind;
    const { group, noun } = this.options;
    const { stream } = lane;
    const count = this.options.batchSize();
    if (Date.now() >= lane.nextClaimAt) {
      lane.nextClaimAt = Date.now() + Math.max(100, claimIdleMs / 2);
      const [, claimed] = (await lane.client.xautoclaim(
        stream,
        group,
        lane.consumer,
        claimIdleMs,
        '0-0',
        'COUNT',
        count,
      )) as [string, StreamEntry[]];
      if (claimed.length > 0) {
        this.logger.warn(`claimed ${claimed.length} ${noun} left pending by a flusher that stopped`);
        lane.nextClaimAt = 0; // there may be more
        return claimed;
      }
    }
    const reply = (await lane.client.xreadgroup(
      'GROUP',
      group,
      lane.consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      stream,
      '>',
    )) as Array<[string, StreamEntry[]]> | null;
    return reply?.[0]?.[1] ?? [];
  }

  private async flush(lane: Lane, entries: StreamEntry[]): Promise<void> {
    const batch = this.parse(entries);
    const t = performance.now();
    const result = await this.persistPatiently(batch);
    this.persisted(performance.now() - t);
    if (result === null) return; // stopping: the batch stays pending for the next flusher
    await this.finalize(lane.client, batch, result);
    const { stream } = lane;
    const ids = entries.map((e) => e[0]);
    await lane.client
      .multi()
      .xack(stream, this.options.group, ...ids)
      .xdel(stream, ...ids)
      .exec();
    this.settled(batch, result);
  }

  /** Retries the batch while the database is down; null when asked to stop meanwhile. */
  private async persistPatiently(batch: Item[]): Promise<Result | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.persist(batch);
      } catch (e) {
        this.retried();
        const wait = backoffMs(attempt);
        const message = (e as Error).message;
        const { log, suppressed } = this.databaseErrors.take(message);
        if (log) {
          this.logger.warn(
            `database unavailable (${message}); ${batch.length} ${this.options.noun} retried in ${wait} ms${suppressedNote(suppressed)}`,
          );
        }
        await this.pause(wait);
        if (!this.running) return null;
      }
    }
  }

  /** Sleeps, waking early when stopped. */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await sleep(Math.min(50, until - Date.now()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for `work`, or `ms` at most (leaving no timer behind). */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
