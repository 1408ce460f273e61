import { BadRequestException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { performance } from 'node:perf_hooks';
import { CacheResult, Tags } from '@app/cache';
import {
  FlightChangeAccepted,
  FlightUpdateView,
  OperationClient,
  READS,
  SERVICES,
  WritePayload,
} from '@app/contracts';
import { FlightChangesService } from '../flight-changes/flight-changes.service';
import { BookingFactsCache } from '../bookings/booking-facts';
import { unavailableIfDown } from '@app/platform';
import { departureDay, flightUpdated } from '../events/booking-events';
import { OutboxRepository } from '../events/outbox.repository';
import { WriteSideEffects } from '../write-side-effects';
import { FlightsRepository } from './flights.repository';

/** How long the update waits for the query-service to re-cache the flight before answering anyway. */
const REFRESH_TIMEOUT_MS = 2000;

@Injectable()
export class FlightsService {
  private readonly logger = new Logger('FlightsService');
  /** The query-service's reads: a moved flight is loaded into the cache again through them. */
  private readonly reads: OperationClient<typeof READS>;

  constructor(
    private readonly repo: FlightsRepository,
    private readonly facts: BookingFactsCache,
    private readonly sideEffects: WriteSideEffects,
    private readonly outbox: OutboxRepository,
    private readonly changes: FlightChangesService,
    @Inject(SERVICES.query) queryService: ClientProxy,
  ) {
    this.reads = new OperationClient(queryService, 'query-service', READS);
  }

  /**
   * Write-through update of a flight's times: one transaction with its flight_log row, then every cached entry
   * the move makes stale is dropped (the flight, its searches on the old and the new day) and the flight is
   * loaded into the cache again at once (the query-service's own loader, so the query is written once).
   */
  async update(
    msg: WritePayload<'updateFlight'>,
  ): Promise<CacheResult<FlightUpdateView | FlightChangeAccepted>> {
    // Write-behind: the cache now, the database shortly after (FlightChangeFlusher).
    if (msg.mode === 'write-behind') return this.changes.accept(msg);
    const started = performance.now();
    const departure = new Date(msg.departure);
    const arrival = new Date(msg.arrival);
    if (!(arrival.getTime() > departure.getTime())) {
      throw new BadRequestException('arrival must be after departure');
    }
    const comment = msg.comment ?? null;
    const occurredAt = new Date().toISOString();
    // The event commits with the change (the outbox), so a queue server that is down cannot lose it.
    const done = await unavailableIfDown(() =>
      this.repo.transaction(async (m) => {
        const previous = await this.repo.updateTimes(m, msg.flightId, departure, arrival, comment);
        if (!previous) return null;
        const days = [...new Set([departureDay(previous.departure), departureDay(departure.toISOString())])];
        const event = flightUpdated({
          occurredAt,
          flightId: msg.flightId,
          fromIata: previous.fromIata,
          toIata: previous.toIata,
          departureDates: days,
        });
        return { previous, days, events: await this.outbox.add(m, [event]) };
      }),
    );
    if (!done) throw new NotFoundException(`flight ${msg.flightId} does not exist`);
    const { previous: before, days, events } = done;
    await this.facts.forgetFlight(msg.flightId);
    await this.sideEffects.afterCommit(
      [
        Tags.flight(msg.flightId),
        Tags.seats(msg.flightId),
        ...days.map((day) => Tags.route(before.fromIata, before.toIata, day)),
      ],
      events,
    );
    await this.refreshCachedFlight(msg.flightId);
    const value: FlightUpdateView = {
      flightId: msg.flightId,
      departure: departure.toISOString(),
      arrival: arrival.toISOString(),
      previous: { departure: before.departure, arrival: before.arrival },
      comment,
    };
    return { value, source: 'database', latencyMs: performance.now() - started, cacheKey: null };
  }

  private async refreshCachedFlight(flightId: number): Promise<void> {
    try {
      await this.reads.send('flight', { flightId, refresh: true }, REFRESH_TIMEOUT_MS);
    } catch (e) {
      // The stale entry is gone already; the next read loads the new times.
      this.logger.warn(`could not re-cache flight ${flightId}: ${(e as Error).message}`);
    }
  }
}
