import { Injectable, Logger } from '@nestjs/common';
import { CacheService, withTimeout } from '@app/common';
import { EventPublisher, PendingEvent } from './events/event-publisher';

/** How long a request waits for the queue server before answering without its event. */
const PUBLISH_TIMEOUT_MS = 3000;

/**
 * What every committed write does before it answers: drop the cached entries it made stale (read-your-writes)
 * and publish its event. The database already has the change, so neither may turn the answer into an error;
 * a failure is logged, and the TTLs bound how long anything stale can live.
 */
@Injectable()
export class WriteSideEffects {
  private readonly logger = new Logger('WriteSideEffects');

  constructor(
    private readonly cache: CacheService,
    private readonly events: EventPublisher,
  ) {}

  async afterCommit(tags: string[], events: PendingEvent[]): Promise<void> {
    const deleted = await this.cache.invalidateTags(tags);
    if (deleted < 0) {
      // The cache-warmer will invalidate them when it consumes the event (and retry while the cache is down).
      this.logger.warn(`cache unavailable: could not invalidate ${tags.join(', ')}`);
    } else {
      for (const e of events) e.payload.invalidatedTags = tags;
    }
    await this.publish(events);
  }

  private async publish(events: PendingEvent[]): Promise<void> {
    try {
      await withTimeout(this.events.publish(events), PUBLISH_TIMEOUT_MS);
    } catch (e) {
      this.logger.error(
        `events ${events.map((x) => x.name).join(', ')} not published: ${(e as Error).message}`,
      );
    }
  }
}
