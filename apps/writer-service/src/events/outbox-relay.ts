import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RepeatLimiter, suppressedNote, withTimeout } from '@app/platform';
import { PUBLISH_TIMEOUT_MS } from '../write-side-effects';
import { EventPublisher } from './event-publisher';
import { OutboxRepository } from './outbox.repository';

/** How often the relay looks for events the writes could not publish themselves. */
const RELAY_EVERY_MS = 300;
const RELAY_BATCH = 200;
/** Rows younger than this belong to a request that may still be publishing them: left alone. */
const RELAY_GRACE_MS = PUBLISH_TIMEOUT_MS + 1000;
/** A relay publish holds its outbox rows locked: it must not wait long for a queue server that just went away. */
const RELAY_PUBLISH_TIMEOUT_MS = 2000;

/**
 * Publishes the outbox rows whose immediate publish failed (queue server down at commit time), oldest first,
 * in batches. Safe with several writer processes: each batch locks its rows with FOR UPDATE SKIP LOCKED
 * (MariaDB 10.6+, PostgreSQL), and a row is deleted in the transaction that published it. A row published
 * twice (a relay whose delete failed, or a request that published after all) keeps its job id: a no-op.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A queue server or database that stays away fails every round: logged at a bounded rate. */
  private readonly failures = new RepeatLimiter();
  /** Events this process relayed since start. */
  relayed = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly events: EventPublisher,
  ) {}

  onApplicationBootstrap() {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** One pass over the outbox: every batch that is due. Returns how many events it published. */
  async relayDue(): Promise<number> {
    let total = 0;
    for (;;) {
      // Checked first so that no rows are locked while the queue server is known to be away.
      if (!(await withTimeout(this.events.isConnected(), RELAY_PUBLISH_TIMEOUT_MS).catch(() => false))) {
        return total;
      }
      const n = await this.outbox.relayBatch(RELAY_BATCH, new Date(Date.now() - RELAY_GRACE_MS), (jobs) =>
        withTimeout(this.events.publishJobs(jobs), RELAY_PUBLISH_TIMEOUT_MS),
      );
      total += n;
      this.relayed += n;
      if (n < RELAY_BATCH) return total;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const n = await this.relayDue();
        if (n > 0) this.logger.log(`relayed ${n} event(s) from the outbox`);
      } catch (e) {
        // Database or queue server away: the rows stay, the next round tries again.
        const message = (e as Error).message;
        const { log, suppressed } = this.failures.take(message);
        if (log) this.logger.warn(`outbox relay round failed: ${message}${suppressedNote(suppressed)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RELAY_EVERY_MS);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
}
