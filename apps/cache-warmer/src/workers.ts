import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import {
  APP_CONFIG,
  AppConfig,
  RepeatLimiter,
  queueOptions,
  releaseQueueConnection,
  suppressedNote,
} from '@app/platform';
import { EventName, QUEUES, WARMING_JOBS } from '@app/contracts';
import { EventHandlers } from './event-handlers';
import { LagRecorder } from './lag-recorder';
import { WarmerService } from './warmer.service';

/**
 * Events handled at once per process: each is a couple of short Valkey round trips, so many in flight keep the
 * connection busy (bench:write burst: ~3,400 -> ~3,800 events/s over 16); re-warming is coalesced per search.
 */
const EVENT_CONCURRENCY = 64;
const SCHEDULED_JOB_RETENTION = { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
/**
 * How often the job schedulers are checked and re-created when missing (a queue server restarted without
 * persistence, a failover, a FLUSHALL): the schedule heals within this, without a restart.
 */
const SCHEDULE_RECONCILE_MS = 5_000;

/**
 * The cache-warmer's BullMQ side: a worker on the events queue, a worker on the warming queue, and the job
 * schedulers (upserted at start, so every warmer process agrees on one schedule and restarts do not duplicate it).
 */
@Injectable()
export class WarmerWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WarmerWorkers');
  private workers: Worker[] = [];
  private warmingQueue?: Queue;
  private reconcileTimer?: NodeJS.Timeout;
  private readonly reconcileErrors = new RepeatLimiter();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly handlers: EventHandlers,
    private readonly warmer: WarmerService,
    private readonly lag: LagRecorder,
  ) {}

  async onApplicationBootstrap() {
    const opts = queueOptions(this.config);
    const events = new Worker(
      QUEUES.events,
      (job: Job) => this.handlers.handle(job.name as EventName, job.data, job.id ?? job.name),
      { ...opts, concurrency: EVENT_CONCURRENCY },
    );
    const warming = new Worker(QUEUES.warming, (job: Job) => this.warm(job.name), {
      ...opts,
      concurrency: 1,
    });
    for (const w of [events, warming]) {
      w.on('failed', (job, err) =>
        this.logger.warn(`${w.name} job ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`),
      );
      // A queue server that is away fails every reconnect attempt: logged at a bounded rate.
      const errors = new RepeatLimiter();
      w.on('error', (err) => {
        const { log, suppressed } = errors.take(err.message);
        if (log) this.logger.error(`${w.name} worker: ${err.message}${suppressedNote(suppressed)}`);
      });
    }
    this.workers = [events, warming];
    this.warmingQueue = new Queue(QUEUES.warming, opts);
    this.warmingQueue.on('error', () => undefined);
    // Not awaited: a queue server that is down now must not hold up the start; BullMQ retries the connection.
    void this.schedule().catch((e) =>
      this.logger.error(`could not set up the warming schedule: ${(e as Error).message}`),
    );
    this.reconcileTimer = setInterval(() => void this.reconcile(), SCHEDULE_RECONCILE_MS);
  }

  async onApplicationShutdown() {
    clearInterval(this.reconcileTimer);
    await Promise.all(this.workers.map((w) => w.close()));
    // After the last job: the lag samples it measured are published too.
    await this.lag.flush();
    await this.warmingQueue?.close();
    if (this.workers.length) releaseQueueConnection(this.config);
  }

  private async schedule(): Promise<void> {
    const q = this.warmingQueue!;
    const every = this.config.warming.everyMs;
    const plan: Array<[string, boolean]> = [
      [WARMING_JOBS.topRoutes, this.config.warming.topRoutes > 0],
      [WARMING_JOBS.activePassengers, this.config.warming.topPassengers > 0],
    ];
    for (const [name, enabled] of plan) {
      if (enabled) await q.upsertJobScheduler(name, { every }, { name, opts: SCHEDULED_JOB_RETENTION });
      else await q.removeJobScheduler(name);
    }
    this.logger.log(
      `warming scheduled every ${every} ms: ${
        plan
          .filter(([, on]) => on)
          .map(([n]) => n)
          .join(', ') || 'nothing'
      }`,
    );
  }

  /** Re-creates a job scheduler that disappeared; quiet when all are there. */
  private async reconcile(): Promise<void> {
    const q = this.warmingQueue;
    if (!q) return;
    try {
      for (const name of this.enabledJobs()) {
        if (await q.getJobScheduler(name)) continue;
        await q.upsertJobScheduler(
          name,
          { every: this.config.warming.everyMs },
          { name, opts: SCHEDULED_JOB_RETENTION },
        );
        this.logger.warn(`job scheduler ${name} was missing (queue data lost?): re-created`);
      }
    } catch (e) {
      const message = (e as Error).message;
      const { log, suppressed } = this.reconcileErrors.take(message);
      if (log) this.logger.error(`checking the warming schedule: ${message}${suppressedNote(suppressed)}`);
    }
  }

  private enabledJobs(): string[] {
    return [
      ...(this.config.warming.topRoutes > 0 ? [WARMING_JOBS.topRoutes] : []),
      ...(this.config.warming.topPassengers > 0 ? [WARMING_JOBS.activePassengers] : []),
    ];
  }

  private async warm(name: string): Promise<{ warmed: number }> {
    switch (name) {
      case WARMING_JOBS.topRoutes:
        return { warmed: await this.warmer.warmTopRoutes() };
      case WARMING_JOBS.activePassengers:
        return { warmed: await this.warmer.warmActivePassengers() };
      default:
        this.logger.warn(`unknown warming job ${name} ignored`);
        return { warmed: 0 };
    }
  }
}
