import {
  AppConfig,
  createDataSource,
  dropDatabase,
  migrateDatabase,
  MIGRATIONS,
  revertAllMigrations,
} from '@app/platform';
import { seedDatabase } from '../../../tools/seed/seed';
import { TEST_ENGINES, createTestDatabase, testConfig } from '../../support/test-env';
import { rawRows } from '../seed/db-helpers';
import { schemaFingerprint, tableShapes } from './schema-helpers';

/**
 * The reference schema (shared/reference/flughafendb.md): column types in MySQL notation, `!` = NOT NULL.
 * On PostgreSQL: tinyint(1) -> smallint, mediumint unsigned -> int, enum -> varchar, datetime -> timestamp.
 */
const REFERENCE: Record<string, string> = {
  airline: 'airline_id smallint!, iata char(2)!, airlinename varchar(30), base_airport smallint!',
  airplane: 'airplane_id int!, capacity mediumint unsigned!, type_id int!, airline_id int!',
  airplane_type: 'type_id int!, identifier varchar(50), description text',
  airport: 'airport_id smallint!, iata char(3), icao char(4)!, name varchar(50)!',
  airport_geo:
    'airport_id smallint!, name varchar(50)!, city varchar(50), country varchar(50), latitude decimal(11,8)!, ' +
    'longitude decimal(11,8)!, geolocation point!',
  airport_reachable: 'airport_id int!, hops int',
  booking: 'booking_id int!, flight_id int!, seat char(4), passenger_id int!, price decimal(10,2)!',
  employee:
    'employee_id int!, firstname varchar(100)!, lastname varchar(100)!, birthdate date!, sex char(1), ' +
    'street varchar(100)!, city varchar(100)!, zip smallint!, country varchar(100)!, emailaddress varchar(120), ' +
    'telephoneno varchar(30), salary decimal(8,2), department enum, username varchar(20), password char(32)',
  flight:
    'flight_id int!, flightno char(8)!, from smallint!, to smallint!, departure datetime!, arrival datetime!, ' +
    'airline_id smallint!, airplane_id int!',
  flight_log:
    'log_date datetime!, user varchar(100)!, flight_id int!, flightno_old char(8)!, flightno_new char(8)!, ' +
    'from_old smallint!, to_old smallint!, from_new smallint!, to_new smallint!, departure_old datetime!, ' +
    'arrival_old datetime!, departure_new datetime!, arrival_new datetime!, airplane_id_old int!, ' +
    'airplane_id_new int!, airline_id_old smallint!, airline_id_new smallint!, comment varchar(200)',
  flightschedule:
    'flightno char(8)!, from smallint!, to smallint!, departure time!, arrival time!, airline_id smallint!, ' +
    'monday tinyint(1), tuesday tinyint(1), wednesday tinyint(1), thursday tinyint(1), friday tinyint(1), ' +
    'saturday tinyint(1), sunday tinyint(1)',
  passenger: 'passenger_id int!, passportno char(9)!, firstname varchar(100)!, lastname varchar(100)!',
  passengerdetails:
    'passenger_id int!, birthdate date!, sex char(1), street varchar(100)!, city varchar(100)!, zip smallint!, ' +
    'country varchar(100)!, emailaddress varchar(120), telephoneno varchar(30)',
  weatherdata:
    'log_date date!, time time!, station int!, temp decimal(3,1)!, humidity decimal(4,1)!, ' +
    'airpressure decimal(10,2)!, wind decimal(5,2)!, weather enum, winddirection smallint!',
};

const PRIMARY_KEYS: Record<string, string[]> = {
  airline: ['airline_id'],
  airplane: ['airplane_id'],
  airplane_type: ['type_id'],
  airport: ['airport_id'],
  airport_reachable: ['airport_id'],
  booking: ['booking_id'],
  employee: ['employee_id'],
  flight: ['flight_id'],
  flightschedule: ['flightno'],
  passenger: ['passenger_id'],
  passengerdetails: ['passenger_id'],
  weatherdata: ['log_date', 'time', 'station'],
};

/** Reference indexes plus the workshop indexes of migration 2 ("u:" unique, "i:" plain). */
const INDEXES: Record<string, string[]> = {
  airline: ['u:iata', 'i:base_airport'],
  airport: ['u:icao', 'i:name', 'i:iata'],
  airport_geo: ['i:airport_id', 'i:country'],
  booking: ['u:flight_id,seat', 'i:flight_id', 'i:passenger_id', 'i:passenger_id,flight_id'],
  employee: ['u:username'],
  flight: [
    'i:from',
    'i:to',
    'i:departure',
    'i:arrival',
    'i:airline_id',
    'i:airplane_id',
    'i:from,to,departure',
  ],
  flightschedule: ['i:from', 'i:to', 'i:airline_id'],
  passenger: ['u:passportno'],
};

const FOREIGN_KEYS: Record<string, string[]> = {
  airline: ['base_airport->airport.airport_id'],
  booking: ['flight_id->flight.flight_id', 'passenger_id->passenger.passenger_id'],
  flight: [
    'from->airport.airport_id',
    'to->airport.airport_id',
    'airline_id->airline.airline_id',
    'airplane_id->airplane.airplane_id',
  ],
  flightschedule: ['from->airport.airport_id', 'to->airport.airport_id', 'airline_id->airline.airline_id'],
  passengerdetails: ['passenger_id->passenger.passenger_id'],
};

const PG_TYPES: Record<string, string> = {
  'tinyint(1)': 'smallint',
  'mediumint unsigned': 'int',
  enum: 'varchar',
};

function expectedColumns(table: string, engine: string) {
  const columns: Record<string, { type: string; nullable: boolean }> = {};
  for (const spec of REFERENCE[table].split(', ')) {
    const [, name, type, bang] = /^(\S+) (.+?)(!?)$/.exec(spec)!;
    let t = type;
    let nullable = bang !== '!';
    if (engine === 'postgres') {
      t = PG_TYPES[type] ?? type;
      // PostgreSQL has no spatial type requirement: the point is optional there (reference: "MySQL only").
      if (name === 'geolocation') nullable = true;
    }
    columns[name] = { type: t, nullable };
  }
  return columns;
}

describe.each(TEST_ENGINES)('schema migrations on %s', (engine) => {
  let config: AppConfig;
  beforeEach(() => {
    config = testConfig(engine);
  });
  afterEach(() => dropDatabase(config.db));

  it('creates every reference table, column, key and index with the right types', async () => {
    await createTestDatabase(config);
    const shapes = await tableShapes(config.db);
    for (const table of Object.keys(REFERENCE)) {
      expect(shapes[table]).toBeDefined();
      const actual = Object.fromEntries(
        Object.entries(shapes[table].columns).map(([c, v]) => [
          c,
          // PostgreSQL enums are varchar(n) with a CHECK; compare the family only.
          engine === 'postgres' && v.type.startsWith('varchar(') && REFERENCE[table].includes(`${c} enum`)
            ? { ...v, type: 'varchar' }
            : v,
        ]),
      );
      expect({ table, columns: actual }).toEqual({ table, columns: expectedColumns(table, engine) });
      expect({ table, pk: shapes[table].primaryKey }).toEqual({ table, pk: PRIMARY_KEYS[table] ?? [] });
      // The original dump's full-text index on airplane_type exists on MySQL/MariaDB only.
      const extra = engine === 'mysql' && table === 'airplane_type' ? ['i:identifier,description'] : [];
      const indexes = [...(INDEXES[table] ?? []), ...extra].sort();
      expect({ table, indexes: shapes[table].indexes }).toEqual({ table, indexes });
      expect({ table, fks: shapes[table].foreignKeys }).toEqual({
        table,
        fks: [...(FOREIGN_KEYS[table] ?? [])].sort(),
      });
    }
  });

  it('reverts every migration, and applying them again gives the same schema', async () => {
    await createTestDatabase(config);
    const first = await schemaFingerprint(config.db);
    const ds = createDataSource({ ...config.db, poolSize: 1 });
    await ds.initialize();
    try {
      expect(await revertAllMigrations(ds)).toBe(MIGRATIONS.length);
    } finally {
      await ds.destroy();
    }
    const left = Object.keys(await tableShapes(config.db)).filter((t) => t !== 'cmiyc_migrations');
    expect(left).toEqual([]);
    await migrateDatabase(config.db);
    expect(await schemaFingerprint(config.db)).toEqual(first);
  });

  it('leaves a pre-existing dump-like schema alone and adds only the workshop indexes', async () => {
    // A "real dump": the tables exist (with an extra column the project does not know), no migration history,
    // no workshop indexes.
    await createTestDatabase(config);
    const q = (sql: string) => rawRows(config.db, sql);
    await q('DROP TABLE cmiyc_migrations');
    await q('DROP TABLE booking_reference').catch(() => undefined);
    for (const [table, index] of [
      ['flight', 'flight_route_departure_idx'],
      ['booking', 'booking_passenger_flight_idx'],
      ['airport_geo', 'airport_geo_country_idx'],
    ]) {
      await q(engine === 'postgres' ? `DROP INDEX ${index}` : `DROP INDEX ${index} ON ${table}`);
    }
    await q(`ALTER TABLE airport ADD COLUMN airport_type varchar(20) NULL`);
    await q(
      `INSERT INTO airport (airport_id, iata, icao, name, airport_type) VALUES (7, 'QQ7', 'QQQ7', 'Dump Airport', 'heliport')`,
    );

    const applied = await migrateDatabase(config.db);
    expect(applied).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await q(`SELECT airport_type FROM airport WHERE icao = 'QQQ7'`)).toEqual([['heliport']]);
    const shapes = await tableShapes(config.db);
    expect(shapes.airport.columns.airport_type).toBeDefined();
    expect(shapes.flight.indexes).toContain('i:from,to,departure');
    expect(shapes.booking.indexes).toContain('i:passenger_id,flight_id');
    expect(shapes.airport_geo.indexes).toContain('i:country');
  });

  it('seeding leaves the schema exactly as the migrations made it', async () => {
    await createTestDatabase(config);
    const migrated = await schemaFingerprint(config.db);
    await seedDatabase(config.db, { scale: 'tiny' });
    expect(await schemaFingerprint(config.db)).toEqual(migrated);
  });
});
