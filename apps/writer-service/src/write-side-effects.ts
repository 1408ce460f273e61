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
    const [deleted] = await Promise.all([this.cache.invalidateTags(tags), this.publish(events)]);
    if (deleted < 0) this.logger.warn(`cache unavailable: could not invalidate ${tags.join(', ')}`);
  }

  private async publish(events: PendingEvent[]): Promise<void> {
    try {
      await withTimeout(this.events.publish(events), PUBLISH_TIMEOUT_MS);
    } catch (e) {
      this.logger.error(`events ${events.map((x) => x.name).join(', ')} not published: ${(e as Error).message}`);
    }
  }
}
