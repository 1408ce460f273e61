import { InitialSchema1700000000000 } from './1700000000000-initial-schema';
import { WorkshopIndexes1700000000001 } from './1700000000001-workshop-indexes';
import { BookingReference1700000000010 } from './1700000000010-booking-reference';
import { EventOutbox1700000000020 } from './1700000000020-event-outbox';
import { FlightChange1700000000030 } from './1700000000030-flight-change';

/** Every migration, in order. Add new ones at the end. */
export const MIGRATIONS = [
  InitialSchema1700000000000,
  WorkshopIndexes1700000000001,
  BookingReference1700000000010,
  EventOutbox1700000000020,
  FlightChange1700000000030,
];

/** The schema's DDL per engine (the NL->SQL knowledge base is built from it). */
export { SCHEMA_DDL } from './1700000000000-initial-schema';
