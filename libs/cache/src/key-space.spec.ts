import calculateSlot from 'cluster-key-slot';
import { KeySpace, shardHashTags, slotEntity } from './key-space';
import { DurableWriteKeys, InfraKeys, Keys, SessionKeys, WriteKeys } from './keys';

describe('KeySpace', () => {
  it('on one server a key is the prefix and the logical key, nothing else', () => {
    const keys = new KeySpace('cmiyc:', null);
    expect(keys.isSharded).toBe(false);
    expect(keys.shardCount).toBe(1);
    expect(keys.key('flight:1')).toBe('cmiyc:flight:1');
    expect(keys.keyIn(0, 'tag:flight:1')).toBe('cmiyc:tag:flight:1');
    expect(keys.logicalOf('cmiyc:flight:1')).toBe('flight:1');
    expect(keys.logicalOf('other:flight:1')).toBeUndefined();
  });

  it('shard hash tags land in equal slot ranges, one per shard (spread over evenly split masters)', () => {
    for (const n of [1, 3, 6, 16]) {
      const tags = shardHashTags(n);
      expect(new Set(tags).size).toBe(n);
      tags.forEach((tag, i) => {
        const slot = calculateSlot(tag.slice(1, -1));
        expect(slot).toBeGreaterThanOrEqual(Math.floor((i * 16384) / n));
        expect(slot).toBeLessThan(Math.floor(((i + 1) * 16384) / n));
      });
    }
    expect(() => shardHashTags(0)).toThrow('bad shard count');
  });

  it('every key a script touches together shares one slot on a cluster', () => {
    const keys = new KeySpace('cmiyc:', 3);
    const slot = (logical: string) => calculateSlot(keys.key(logical));
    const together: string[][] = [
      // The seat map's build, hold, reservation and release scripts.
      [
        Keys.seatMap(7),
        Keys.seatCounters(7),
        DurableWriteKeys.pendingSeats(7),
        InfraKeys.fence(Keys.seatMap(7)),
        Keys.flight(7),
        Keys.manifest(7),
        InfraKeys.fence(Keys.flight(7)),
        InfraKeys.lock(Keys.flight(7)),
        DurableWriteKeys.flightChangeSeq(7),
        DurableWriteKeys.flightChangePending(7),
        WriteKeys.bookingFlightFacts(7),
      ],
      // The profile's in-place update.
      [
        Keys.passengerProfile(9),
        Keys.passengerRoutes(9),
        InfraKeys.fence(Keys.passengerProfile(9)),
        InfraKeys.fence(Keys.passengerRoutes(9)),
      ],
      [SessionKeys.session('abc'), SessionKeys.basket('abc'), SessionKeys.weather('abc')],
      [
        WriteKeys.airportLeaderboard(),
        WriteKeys.activePassengers(),
        WriteKeys.processedEvent('e1'),
        WriteKeys.processedDayEvent('e1'),
        Keys.airportBoard('2026-12-01', 'passengers'),
        Keys.airportBoardNames('2026-12-01', 'passengers'),
        InfraKeys.fence(Keys.airportBoard('2026-12-01', 'passengers')),
      ],
      [Keys.askSemantic('mysql', 'nomic:latest', 'h1'), Keys.askSemanticIndex('mysql', 'nomic:latest')],
      [InfraKeys.stats('a'), InfraKeys.latencyHistogram('a', 'cache'), InfraKeys.statsClasses()],
    ];
    for (const group of together) expect(new Set(group.map(slot)).size).toBe(1);
    // Tag sets and versions are per shard: those of an entry's shard are in its slot.
    const shard = keys.shardOf(Keys.seatMap(7));
    expect(calculateSlot(keys.keyIn(shard, InfraKeys.tagSet('flight:7')))).toBe(slot(Keys.seatMap(7)));
  });

  it('spreads entries over every shard, and reads a stored key back', () => {
    const keys = new KeySpace('p:', 3);
    const shards = new Set(Array.from({ length: 60 }, (_, i) => keys.shardOf(Keys.flight(i))));
    expect(shards).toEqual(new Set([0, 1, 2]));
    const stored = keys.key('search:JFK:LAX:2026-12-01');
    expect(stored).toMatch(/^p:\{c\d-\d+\}search:JFK:LAX:2026-12-01$/);
    expect(keys.logicalOf(stored)).toBe('search:JFK:LAX:2026-12-01');
  });

  it('infrastructure keys follow the key they are about', () => {
    expect(slotEntity(InfraKeys.lock('seatmap:3'))).toBe('flight:3');
    expect(slotEntity(InfraKeys.loadFailure('weather:de:10115'))).toBe('weather:de:10115');
    expect(slotEntity('search:A:B:2026-01-01')).toBe('search:A:B:2026-01-01');
  });
});
