import {
  BadRequestException,
  GatewayTimeoutException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig, unavailableIfDown } from '@app/platform';
import {
  CacheResult,
  CacheService,
  DurableWriteKeys,
  InfraKeys,
  Keys,
  WriteKeys,
  fenceTtlSeconds,
  runScript,
} from '@app/cache';
import {
  FlightChangeAccepted,
  FlightChangeStatusView,
  FlightChangeTotals,
  WritePayload,
} from '@app/contracts';
import { BookingsRepository, FlightFacts } from '../bookings/bookings.repository';
import { FlightChangeRepository } from './flight-change.repository';

/**
 * Write-behind flight changes (PATCH /api/flights/:id with mode write-behind): accepted at cache speed by one
 * script (lua/accept-flight-change.lua) that numbers the change among its flight's changes, shows it in the
 * cached flight at once, keeps it as the flight's pending change (laid over database loads until persisted) and
 * appends it to the wb:flight-changes stream; the FlightChangeFlusher writes it with its flight_log row. The same
 * durable machinery as write-behind bookings: a stream read by a consumer group, acknowledged after the commit,
 * claimed from a dead flusher, idempotent by reference.
 */
@Injectable()
export class FlightChangesService {
  constructor(
    private readonly cache: CacheService,
    private readonly bookings: BookingsRepository,
    private readonly repo: FlightChangeRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async accept(msg: WritePayload<'updateFlight'>): Promise<CacheResult<FlightChangeAccepted>> {
    const started = performance.now();
    const departure = new Date(msg.departure);
    const arrival = new Date(msg.arrival);
    if (!(arrival.getTime() > departure.getTime()))
      throw new BadRequestException('arrival must be after departure');
    await this.flightFacts(msg.flightId);
    // On a cluster the change's status, stream entry and totals go to the flight's shard: one script.
    const flight = Keys.flight(msg.flightId);
    const reference = this.cache.referenceBeside(flight, DurableWriteKeys.flightChangeStatus);
    const k = (key: string) => this.cache.key(key);
    const keys = [
      k(DurableWriteKeys.flightChangeSeq(msg.flightId)),
      k(DurableWriteKeys.flightChangePending(msg.flightId)),
      k(DurableWriteKeys.flightChangeStatus(reference)),
      this.cache.keyBeside(flight, DurableWriteKeys.flightChangeStream()),
      k(flight),
      k(InfraKeys.fence(flight)),
      this.cache.keyBeside(flight, DurableWriteKeys.flightChangeTotals()),
    ];
    const value = {
      departure: departure.toISOString(),
      arrival: arrival.toISOString(),
    };
    const attempt = await this.cache.attempt((c) =>
      runScript<number>(c, 'accept-flight-change', keys, [
        reference,
        msg.flightId,
        value.departure,
        value.arrival,
        Math.round((arrival.getTime() - departure.getTime()) / 60_000),
        msg.comment ?? '',
        new Date().toISOString(),
        fenceTtlSeconds(this.config.cache.loaderTimeoutMs),
      ]),
    );
    if (attempt.outcome === 'unknown')
      throw new GatewayTimeoutException(
        `Valkey did not confirm whether flight change ${reference} was accepted (${attempt.reason}); ` +
          `GET /api/flight-changes/${reference} tells once it answers`,
      );
    if (attempt.outcome === 'not-sent')
      throw new ServiceUnavailableException(
        'write-behind flight changes are accepted by Valkey, which is unavailable right now; retry, or use mode write-through',
      );
    // Accepted on the primary: answered as accepted once enough replicas have it (CACHE_WAIT_REPLICAS).
    if (!(await this.cache.replicated(flight)))
      throw new GatewayTimeoutException(
        `flight change ${reference} is accepted but no replica confirmed it in time; ` +
          `GET /api/flight-changes/${reference} tells whether it stands`,
      );
    return {
      value: { reference, status: 'pending', flightId: msg.flightId, seq: Number(attempt.value), ...value },
      source: 'cache',
      latencyMs: performance.now() - started,
      cacheKey: k(Keys.flight(msg.flightId)),
    };
  }

  async status(reference: string): Promise<CacheResult<FlightChangeStatusView>> {
    const started = performance.now();
    const key = this.cache.key(DurableWriteKeys.flightChangeStatus(reference));
    const h = await this.cache.guard((c) => c.hgetall(key));
    if (h?.status) {
      const value: FlightChangeStatusView = {
        reference,
        status: h.status as FlightChangeStatusView['status'],
        flightId: Number(h.flightId),
        seq: Number(h.seq),
        departure: h.departure,
        arrival: h.arrival,
        acceptedAt: h.acceptedAt,
        ...(h.persistedAt ? { persistedAt: h.persistedAt } : {}),
        ...(h.batchChanges ? { batchChanges: Number(h.batchChanges) } : {}),
        ...(h.batchUpdates ? { batchUpdates: Number(h.batchUpdates) } : {}),
        ...(h.reason ? { reason: h.reason } : {}),
      };
      return { value, source: 'cache', latencyMs: performance.now() - started, cacheKey: key };
    }
    const row = await unavailableIfDown(() => this.repo.persisted(reference));
    if (row) {
      const value: FlightChangeStatusView = {
        reference,
        status: 'persisted',
        flightId: row.flightId,
        seq: row.seq,
        departure: '',
        arrival: '',
        acceptedAt: row.acceptedAt,
        persistedAt: row.persistedAt,
      };
      return { value, source: 'database', latencyMs: performance.now() - started, cacheKey: null };
    }
    if (h === undefined)
      throw new ServiceUnavailableException(
        'Valkey is unavailable: the status of a pending change cannot be read',
      );
    throw new NotFoundException(`no flight change with reference ${reference}`);
  }

  async totals(): Promise<CacheResult<FlightChangeTotals>> {
    const started = performance.now();
    // One totals hash per shard (one on one server): summed.
    const keys = this.cache.keyInEveryShard(DurableWriteKeys.flightChangeTotals());
    const hashes = await this.cache.guard((c) => Promise.all(keys.map((key) => c.hgetall(key))));
    if (hashes === undefined)
      throw new ServiceUnavailableException('Valkey is unavailable: no totals to read');
    const n = (f: string) => hashes.reduce((sum, h) => sum + Number(h[f] ?? 0), 0);
    const key = keys[0];
    const value: FlightChangeTotals = {
      accepted: n('accepted'),
      persisted: n('persisted'),
      failed: n('failed'),
      updates: n('updates'),
      batches: n('batches'),
      pending: Math.max(0, n('accepted') - n('persisted') - n('failed')),
    };
    return { value, source: 'cache', latencyMs: performance.now() - started, cacheKey: key };
  }

  /** The flight exists (from the booking facts cache, else the database). */
  private async flightFacts(flightId: number): Promise<FlightFacts> {
    const key = WriteKeys.bookingFlightFacts(flightId);
    const cached = await this.cache.guard((c) => c.get(this.cache.key(key)));
    if (cached) return JSON.parse(cached) as FlightFacts;
    const facts = await unavailableIfDown(() => this.bookings.flightFacts(flightId));
    if (!facts) throw new NotFoundException(`flight ${flightId} does not exist`);
    await this.cache.set(key, facts, { ttl: this.config.cache.ttl.flight });
    return facts;
  }
}
