import { AppConfig } from '@app/platform/config';
import {
  DurableWriteKeys,
  InfraKeys,
  Keys,
  NON_CACHE_KEY_PREFIXES,
  Tags,
  WriteKeys,
  queuePrefix,
  ttlSeconds,
} from './keys';

/** Whether DELETE /api/cache leaves a (logical) key alone. */
const kept = (key: string) => NON_CACHE_KEY_PREFIXES.some((p) => key.startsWith(p));

describe('read keys', () => {
  it('name each entry after what it holds, with its parameters', () => {
    expect(Keys.flight(42)).toBe('flight:42');
    expect(Keys.manifest(42)).toBe('manifest:42');
    expect(Keys.seatCounters(42)).toBe('seats:42');
    expect(Keys.seatMap(42)).toBe('seatmap:42');
    expect(Keys.passengerFlights('P123')).toBe('passenger_flights:P123');
    expect(Keys.passengerProfile(7)).toBe('passenger:7:profile');
    expect(Keys.passengerRoutes(7)).toBe('passenger:7:routes');
    expect(Keys.passengerSample(20)).toBe('passengers:sample:20');
    expect(Keys.airportsByCountry('Germany', 50)).toBe('airports:country:Germany:50');
    expect(Keys.airport('FRA')).toBe('airport:FRA');
    expect(Keys.flightSearch('FRA', 'JFK', '2030-05-01')).toBe('search:FRA:JFK:2030-05-01');
    expect(Keys.roundTrip('FRA', 'JFK', '2030-05-01', '2030-05-08')).toBe(
      'roundtrip:FRA:JFK:2030-05-01:2030-05-08',
    );
    expect(Keys.popularRoutes()).toBe('routes:popular');
    expect(Keys.hubRoutes(['ATL', 'JFK'], 10)).toBe('hubs:ATL,JFK:10');
    expect(Keys.explain('flight_search', 'postgres')).toBe('explain:postgres:flight_search');
    expect(Keys.weather('DE', '60311')).toBe('weather:DE:60311');
    expect(InfraKeys.loadFailure('weather:DE:60311')).toBe('load-failure:weather:DE:60311');
    expect(InfraKeys.fence('flight:7')).toBe('fence:flight:7');
    expect(Keys.weatherCities()).toBe('weather-cities');
  });

  it('keeps a country as spelled (one key per spelling)', () => {
    expect(Keys.airportsByCountry('germany', 50)).not.toBe(Keys.airportsByCountry('Germany', 50));
  });

  it('are cached copies: DELETE /api/cache removes every one of them', () => {
    const samples = [
      Keys.flight(1),
      Keys.manifest(1),
      Keys.seatCounters(1),
      Keys.seatMap(1),
      Keys.passengerFlights('P1'),
      Keys.passengerProfile(1),
      Keys.passengerRoutes(1),
      Keys.passengerSample(1),
      Keys.airportsByCountry('X', 1),
      Keys.airport('X'),
      Keys.flightSearch('A', 'B', 'd'),
      Keys.roundTrip('A', 'B', 'd', 'r'),
      Keys.popularRoutes(),
      Keys.hubRoutes(['A'], 1),
      Keys.explain('n', 'e'),
      Keys.weather('C', 'Z'),
      InfraKeys.loadFailure('weather:C:Z'),
      Keys.weatherCities(),
      WriteKeys.bookingFlightFacts(1),
      WriteKeys.bookingPassengerFacts(1),
      InfraKeys.tagSet(Tags.flight(1)),
    ];
    expect(samples.filter(kept)).toEqual([]);
  });

  it('different reads never share a key', () => {
    const keys = [
      Keys.flight(1),
      Keys.manifest(1),
      Keys.seatCounters(1),
      Keys.seatMap(1),
      Keys.passengerProfile(1),
      Keys.passengerRoutes(1),
      Keys.passengerSample(1),
      Keys.flightSearch('A', 'B', 'C'),
      Keys.roundTrip('A', 'B', 'C', 'D'),
      Keys.weather('A', 'B'),
      InfraKeys.loadFailure('weather:A:B'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('tags', () => {
  it('name what a write invalidates', () => {
    expect(Tags.flight(42)).toBe('flight:42');
    expect(Tags.route('FRA', 'JFK', '2030-05-01')).toBe('route:FRA:JFK:2030-05-01');
    expect(Tags.passenger(7)).toBe('passenger:7');
    expect(Tags.airport('FRA')).toBe('airport:FRA');
    expect(Tags.passengerProfile(7)).toBe('passenger-profile:7');
  });

  it('a tag has a member set (cache class) and a version (kept, so a late load cannot write back)', () => {
    const tag = Tags.route('FRA', 'JFK', '2030-05-01');
    expect(InfraKeys.tagSet(tag)).toBe('tag:route:FRA:JFK:2030-05-01');
    expect(InfraKeys.tagVersion(tag)).toBe('tagver:route:FRA:JFK:2030-05-01');
    expect(kept(InfraKeys.tagSet(tag))).toBe(false);
    expect(kept(InfraKeys.tagVersion(tag))).toBe(true);
  });
});

describe('bookkeeping and state of record', () => {
  it('statistics, locks and leaderboards survive DELETE /api/cache', () => {
    for (const key of [
      InfraKeys.statsClasses(),
      InfraKeys.stats('flight'),
      InfraKeys.latencyHistogram('flight', 'cache'),
      InfraKeys.lock(Keys.flight(1)),
      WriteKeys.invalidationLag(),
      WriteKeys.airportLeaderboard(),
      WriteKeys.activePassengers(),
      WriteKeys.processedEvent('booking.created-1'),
    ]) {
      expect([key, kept(key)]).toEqual([key, true]);
    }
  });

  it('the write-behind state of record lives under wb:, which is kept', () => {
    for (const key of [
      DurableWriteKeys.writeBehindStream(),
      DurableWriteKeys.bookingStatus('WB-1'),
      DurableWriteKeys.pendingSeats(42),
    ]) {
      expect(key.startsWith('wb:')).toBe(true);
      expect(kept(key)).toBe(true);
    }
    expect(DurableWriteKeys.writeBehindGroup()).toBe('wb-flushers');
  });

  it('a lock and a statistics hash are named after what they guard or count', () => {
    expect(InfraKeys.lock('flight:1')).toBe('lock:flight:1');
    expect(InfraKeys.stats('weather')).toBe('stats:weather');
    expect(InfraKeys.latencyHistogram('weather', 'upstream')).toBe('stats:weather:hist:upstream');
  });
});

describe('configuration-derived names', () => {
  const config = {
    cache: { keyPrefix: 'cmiyc:', ttl: { flight: 900, seats: 90 } },
  } as unknown as AppConfig;

  it('the queue prefix sits under the key prefix, in the kept bull: family', () => {
    expect(queuePrefix(config)).toBe('cmiyc:bull');
    // On a cluster, one hash tag: BullMQ's scripts touch several keys of a queue at once.
    const clustered = {
      ...config,
      queue: { clusterNodes: [{ host: 'n', port: 7000 }] },
    } as unknown as AppConfig;
    expect(queuePrefix(clustered)).toBe('{cmiyc:bull}');
    expect(kept(`${queuePrefix(config).slice('cmiyc:'.length)}:cmiyc-events:meta`)).toBe(true);
  });

  it('a TTL class reads its configured seconds', () => {
    expect(ttlSeconds(config, 'flight')).toBe(900);
    expect(ttlSeconds(config, 'seats')).toBe(90);
  });
});
