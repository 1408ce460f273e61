import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, Keys } from '@app/cache';
import { OperationClient, READS, ReadName, ReadPayload, SERVICES, popularRouteMember } from '@app/contracts';
import { Leaderboards } from './leaderboard';

/** Parallel warming calls at once: enough to overlap round trips, few enough not to crowd out real reads. */
const CONCURRENCY = 4;
const CALL_TIMEOUT_MS = 10_000;

/**
 * Loads hot entries into the cache by sending the query-service exactly the read the gateway sends, with refresh
 * (so each query is defined once, in the query-service). `warm: true` tells it this is not a user's search, so the
 * popular-routes ranking is not inflated by the warmer itself.
 */
@Injectable()
export class WarmerService {
  private readonly logger = new Logger('WarmerService');
  /** Route/day searches being warmed: the running call and at most one queued behind it. */
  private readonly searchesWarming = new Map<string, { running: Promise<void>; queued?: Promise<void> }>();
  private readonly reads: OperationClient<typeof READS>;

  constructor(
    @Inject(SERVICES.query) queryService: ClientProxy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly leaderboards: Leaderboards,
  ) {
    this.reads = new OperationClient(queryService, 'query-service', READS);
  }

  /** The N most searched routes as [from, to]. */
  async topRoutes(n = this.config.warming.topRoutes): Promise<Array<[string, string]>> {
    if (n <= 0) return [];
    const members =
      (await this.cache.guard((c) => c.zrevrange(this.cache.key(Keys.popularRoutes()), 0, n - 1))) ?? [];
    return members.map((m) => m.split(':') as [string, string]);
  }

  async isHotRoute(from: string, to: string): Promise<boolean> {
    const rank = await this.cache.guard((c) =>
      c.zrevrank(this.cache.key(Keys.popularRoutes()), popularRouteMember(from, to)),
    );
    return typeof rank === 'number' && rank < this.config.warming.topRoutes;
  }

  /**
   * Loads a route/day search again. Under a burst of bookings on one hot route, calls for the same search are
   * coalesced: one runs, and at most one more is queued behind it (it starts after every invalidation so far,
   * so what it stores is current), instead of one database query per event.
   */
  warmSearch(from: string, to: string, date: string): Promise<void> {
    const key = `${from}:${to}:${date}`;
    const slot = this.searchesWarming.get(key);
    if (!slot) return this.runWarmSearch(key, from, to, date);
    slot.queued ??= slot.running.catch(() => undefined).then(() => this.runWarmSearch(key, from, to, date));
    return slot.queued;
  }

  private runWarmSearch(key: string, from: string, to: string, date: string): Promise<void> {
    const running: Promise<void> = this.send('searchFlights', {
      from,
      to,
      date,
      refresh: true,
      warm: true,
    }).finally(() => {
      if (this.searchesWarming.get(key)?.running === running) this.searchesWarming.delete(key);
    });
    this.searchesWarming.set(key, { running });
    return running;
  }

  /** Scheduled: the top routes for today and the next WARM_DAYS - 1 days. Returns the searches warmed. */
  async warmTopRoutes(): Promise<number> {
    const routes = await this.topRoutes();
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const days = Array.from({ length: this.config.warming.days }, (_, i) =>
      new Date(today + i * 86_400_000).toISOString().slice(0, 10),
    );
    const work = routes.flatMap(([from, to]) => days.map((day) => () => this.warmSearch(from, to, day)));
    return this.runAll(work);
  }

  /** Scheduled: histories and profiles of the passengers who book the most. Returns the passengers warmed. */
  async warmActivePassengers(): Promise<number> {
    const passengers = await this.leaderboards.topPassengers(this.config.warming.topPassengers);
    const work = passengers.map((p) => async () => {
      await this.send('passengerFlights', { passportNo: p.passportNo, refresh: true });
      await this.send('passengerProfile', { passengerId: p.passengerId, refresh: true });
    });
    return this.runAll(work);
  }

  /** One warming read (what it loaded is not needed here, only that it was loaded). */
  private async send<N extends ReadName>(name: N, payload: ReadPayload<N>): Promise<void> {
    await this.reads.send(name, payload, CALL_TIMEOUT_MS);
  }

  /** Runs the calls CONCURRENCY at a time; a failed call is logged and does not stop the others. */
  private async runAll(work: Array<() => Promise<void>>): Promise<number> {
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < work.length) {
        const job = work[next++];
        try {
          await job();
          done++;
        } catch (e) {
          this.logger.warn(`warming call failed: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    return done;
  }
}
