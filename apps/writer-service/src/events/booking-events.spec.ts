import { EVENTS, eventJobId } from '@app/contracts';
import { bookingCancelled, bookingCreated, departureDay, flightUpdated } from './booking-events';

describe('departureDay', () => {
  it('is the UTC day of the departure, as route/day tags and searches use it', () => {
    expect(departureDay('2030-05-01T23:59:59.999Z')).toBe('2030-05-01');
    expect(departureDay('2030-05-02T00:00:00.000Z')).toBe('2030-05-02');
  });
});

describe('booking events', () => {
  const created = {
    occurredAt: '2030-04-01T10:00:00.000Z',
    bookingId: 17,
    reference: null,
    flightId: 3,
    passengerId: 5,
    passportNo: 'P5',
    seat: '1A',
    price: '10.00',
    fromIata: 'FRA',
    toIata: 'JFK',
    departureDate: '2030-05-01',
    mode: 'write-through' as const,
  };

  it('a booking is identified by its id: replaying its event publishes the same job id', () => {
    const e = bookingCreated(created);
    expect(e).toMatchObject({ name: EVENTS.bookingCreated, id: 17 });
    expect(eventJobId(e.name, e.id, e.version)).toBe('booking.created-17');
    const c = bookingCancelled({ ...created, occurredAt: created.occurredAt });
    expect(eventJobId(c.name, c.id, c.version)).toBe('booking.cancelled-17');
  });

  it('every update of a flight is an event of its own, versioned by its time', () => {
    const base = { flightId: 3, fromIata: 'FRA', toIata: 'JFK', departureDates: ['2030-05-01'] };
    const first = flightUpdated({ ...base, occurredAt: '2030-04-01T10:00:00.000Z' });
    const second = flightUpdated({ ...base, occurredAt: '2030-04-01T10:00:00.001Z' });
    expect(first.version).toBe(Date.parse('2030-04-01T10:00:00.000Z'));
    expect(eventJobId(first.name, first.id, first.version)).not.toBe(
      eventJobId(second.name, second.id, second.version),
    );
  });
});
