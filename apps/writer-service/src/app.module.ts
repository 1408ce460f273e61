import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig, CoreModule, serviceClients, warnUnlessNoEviction } from '@app/platform';
import { WriteBehindHealth } from './write-behind/write-behind-health';
import { CACHE_CLIENT, QUEUE_CLIENT, ValkeyClient } from '@app/cache';
import { BookingFactsCache } from './bookings/booking-facts';
import { BookingsController } from './bookings/bookings.controller';
import { BookingsRepository } from './bookings/bookings.repository';
import { BookingsService } from './bookings/bookings.service';
import { ProfileUpdate } from './bookings/profile-update';
import { EventPublisher } from './events/event-publisher';
import { OutboxRelay } from './events/outbox-relay';
import { OutboxRepository } from './events/outbox.repository';
import { FlightsController } from './flights/flights.controller';
import { FlightsRepository } from './flights/flights.repository';
import { FlightsService } from './flights/flights.service';
import { SeatInventory } from './seats/seat-inventory';
import { WriteSideEffects } from './write-side-effects';
import { FLUSHER_ENABLED, WriteBehindFlusher } from './write-behind/flusher';
import { FlushRepository } from './write-behind/flush.repository';
import { FlusherMetrics } from './write-behind/flusher-metrics';
import { FlightChangeFlusher } from './flight-changes/flight-change.flusher';
import { FlightChangeRepository } from './flight-changes/flight-change.repository';
import { FlightChangesController } from './flight-changes/flight-changes.controller';
import { FlightChangesService } from './flight-changes/flight-changes.service';

export interface WriterOptions {
  /** Run the write-behind flusher in this process (default true; false: an accepting process, another flushes). */
  flusher?: boolean;
}

@Module({})
export class WriterServiceModule implements OnApplicationBootstrap {
  constructor(
    @Inject(QUEUE_CLIENT) private readonly queueServer: ValkeyClient,
    @Inject(CACHE_CLIENT) private readonly cacheServer: ValkeyClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  static forRoot(config: AppConfig, options: WriterOptions = {}): DynamicModule {
    return {
      module: WriterServiceModule,
      imports: [
        CoreModule.forRoot(config, {
          name: 'writer-service',
          database: true,
          serviceHealth: true,
          checks: WriteBehindHealth,
        }),
        // A flight update asks the query-service to load the flight into the cache again.
        serviceClients(config, ['query']),
      ],
      controllers: [BookingsController, FlightsController, FlightChangesController],
      providers: [
        BookingsRepository,
        BookingFactsCache,
        SeatInventory,
        EventPublisher,
        OutboxRepository,
        OutboxRelay,
        WriteSideEffects,
        BookingsService,
        ProfileUpdate,
        FlightsRepository,
        FlightsService,
        FlushRepository,
        WriteBehindFlusher,
        FlusherMetrics,
        FlightChangeRepository,
        FlightChangesService,
        FlightChangeFlusher,
        { provide: FLUSHER_ENABLED, useValue: options.flusher ?? true },
      ],
      exports: [WriteBehindFlusher, FlightChangeFlusher],
    };
  }

  onApplicationBootstrap() {
    // Not awaited: a server that is down right now must not hold up the start.
    const logger = new Logger('writer-service');
    void warnUnlessNoEviction(this.queueServer, 'the queue server (events)', logger);
    const { cache, queue } = this.config;
    if (cache.host !== queue.host || cache.port !== queue.port) {
      void warnUnlessNoEviction(
        this.cacheServer,
        'the cache server (write-behind stream and reservations)',
        logger,
        true,
      );
    }
  }
}
