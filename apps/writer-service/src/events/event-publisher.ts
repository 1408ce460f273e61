import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import {
  APP_CONFIG,
  AppConfig,
  EVENT_JOB_OPTIONS,
  queueOptions,
  releaseQueueConnection,
} from '@app/platform';
import { EventName, EventPayloads, QUEUES, eventJobId } from '@app/contracts';

export interface PendingEvent<N extends EventName = EventName> {
  name: N;
  payload: EventPayloads[N];
  /** Identity of the change (booking id, flight id + version): the job id, so a replay is a no-op. */
  id: string | number;
  version?: string | number;
}

/** A job as it goes on the events queue (and as the outbox keeps it). */
export interface EventJob {
  name: string;
  jobId: string;
  data: object;
}

/** Publishes domain events on the BullMQ events queue (consumed by the cache-warmer). */
@Injectable()
export class EventPublisher implements OnApplicationShutdown {
  private readonly queue: Queue;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.queue = new Queue(QUEUES.events, { ...queueOptions(config), defaultJobOptions: EVENT_JOB_OPTIONS });
    // Connection trouble is retried by BullMQ and surfaces as a failed add; do not crash on the 'error' event.
    this.queue.on('error', () => undefined);
  }

  async publish(events: PendingEvent[]): Promise<void> {
    await this.publishJobs(
      events.map((e) => ({ name: e.name, data: e.payload, jobId: eventJobId(e.name, e.id, e.version) })),
    );
  }

  async publishJobs(jobs: EventJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: { jobId: j.jobId } })));
  }

  /** Whether the queue server is connected now (the relay does not lock outbox rows while it is not). */
  async isConnected(): Promise<boolean> {
    return (await this.queue.client).status === 'ready';
  }

  async onApplicationShutdown() {
    await this.queue.close();
    releaseQueueConnection(this.config);
  }
}
