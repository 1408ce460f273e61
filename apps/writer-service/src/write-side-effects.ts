import { Injectable, Logger } from '@nestjs/common';
import { CacheService } from '@app/cache';
import { withTimeout } from '@app/platform';
import { EventPublisher } from './events/event-publisher';
import { OutboxEvent, OutboxRepository } from './events/outbox.repository';

/** How long a request waits for the queue server before answering and leaving its event to the outbox relay. */
export const PUBLISH_TIMEOUT_MS = 3000;

/**
 * What every committed write does before it answers: drop the cached entries it made stale (read-your-writes)
 * and publish its event. The database already has the change, so neither may turn the answer into an error.
 * The event was written to the outbox in the change's transaction: published here, its row is deleted; if the
 * queue server is down, the row stays and the OutboxRelay publishes it later. A cache failure is logged, and
 * the TTLs bound how long anything stale can live.
 */
@Injectable()
export class WriteSideEffects {
  private readonly logger = new Logger('WriteSideEffects');

  constructor(
    private readonly cache: CacheService,
    private readonly events: EventPublisher,
    private readonly outbox: OutboxRepository,
  ) {}

  /** `handled`: tags whose entries the write already took care of itself (updated in place, fenced). */
  async afterCommit(tags: string[], events: OutboxEvent[], handled: string[] = []): Promise<void> {
    const deleted = await this.cache.invalidateTags(tags);
    if (deleted < 0) {
      // The cache-warmer will invalidate them when it consumes the event (and retry while the cache is down).
      this.logger.warn(`cache unavailable: could not invalidate ${tags.join(', ')}`);
      for (const e of events) e.payload.invalidatedTags = handled;
    } else {
      // Only the event published now says so; one the relay publishes lets the warmer invalidate again.
      for (const e of events) e.payload.invalidatedTags = [...tags, ...handled];
    }
    await this.publish(events);
  }

  private async publish(events: OutboxEvent[]): Promise<void> {
    try {
      await withTimeout(this.events.publish(events), PUBLISH_TIMEOUT_MS);
    } catch (e) {
      this.logger.warn(
        `events ${events.map((x) => x.name).join(', ')} left to the outbox relay: ${(e as Error).message}`,
      );
      return;
    }
    try {
      await this.outbox.remove(events.map((e) => e.outboxId));
    } catch (e) {
      // The relay publishes the rows again: the same job ids, so nothing happens twice.
      this.logger.warn(`outbox rows not deleted: ${(e as Error).message}`);
    }
  }
}
