import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The FlughafenDB schema exactly as the public dump defines it (see shared/reference/flughafendb.md).
 * When `flight` already exists (a real dump was loaded first) the tables are left as they are.
 */
const MYSQL = [
  `CREATE TABLE airport (
    airport_id smallint NOT NULL AUTO_INCREMENT,
    iata char(3) DEFAULT NULL,
    icao char(4) NOT NULL,
    name varchar(50) NOT NULL,
    PRIMARY KEY (airport_id),
    UNIQUE KEY icao_unq (icao),
    KEY name_idx (name),
    KEY iata_idx (iata)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE airport_geo (
    airport_id smallint NOT NULL,
    name varchar(50) NOT NULL,
    city varchar(50) DEFAULT NULL,
    country varchar(50) DEFAULT NULL,
    latitude decimal(11,8) NOT NULL,
    longitude decimal(11,8) NOT NULL,
    geolocation point NOT NULL,
    KEY flughafen_idx (airport_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE airport_reachable (
    airport_id int NOT NULL,
    hops int DEFAULT NULL,
    PRIMARY KEY (airport_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE airline (
    airline_id smallint NOT NULL AUTO_INCREMENT,
    iata char(2) NOT NULL,
    airlinename varchar(30) DEFAULT NULL,
    base_airport smallint NOT NULL,
    PRIMARY KEY (airline_id),
    UNIQUE KEY iata_unq (iata),
    KEY base_airport_idx (base_airport),
    CONSTRAINT airline_ibfk_1 FOREIGN KEY (base_airport) REFERENCES airport (airport_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE airplane_type (
    type_id int NOT NULL AUTO_INCREMENT,
    identifier varchar(50) DEFAULT NULL,
    description text,
    PRIMARY KEY (type_id),
    FULLTEXT KEY description_full (identifier, description)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE airplane (
    airplane_id int NOT NULL AUTO_INCREMENT,
    capacity mediumint unsigned NOT NULL,
    type_id int NOT NULL,
    airline_id int NOT NULL,
    PRIMARY KEY (airplane_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE flightschedule (
    flightno char(8) NOT NULL,
    \`from\` smallint NOT NULL,
    \`to\` smallint NOT NULL,
    departure time NOT NULL,
    arrival time NOT NULL,
    airline_id smallint NOT NULL,
    monday tinyint(1) DEFAULT 0,
    tuesday tinyint(1) DEFAULT 0,
    wednesday tinyint(1) DEFAULT 0,
    thursday tinyint(1) DEFAULT 0,
    friday tinyint(1) DEFAULT 0,
    saturday tinyint(1) DEFAULT 0,
    sunday tinyint(1) DEFAULT 0,
    PRIMARY KEY (flightno),
    KEY from_idx (\`from\`),
    KEY to_idx (\`to\`),
    KEY airline_idx (airline_id),
    CONSTRAINT flightschedule_ibfk_1 FOREIGN KEY (\`from\`) REFERENCES airport (airport_id),
    CONSTRAINT flightschedule_ibfk_2 FOREIGN KEY (\`to\`) REFERENCES airport (airport_id),
    CONSTRAINT flightschedule_ibfk_3 FOREIGN KEY (airline_id) REFERENCES airline (airline_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE flight (
    flight_id int NOT NULL AUTO_INCREMENT,
    flightno char(8) NOT NULL,
    \`from\` smallint NOT NULL,
    \`to\` smallint NOT NULL,
    departure datetime NOT NULL,
    arrival datetime NOT NULL,
    airline_id smallint NOT NULL,
    airplane_id int NOT NULL,
    PRIMARY KEY (flight_id),
    KEY from_idx (\`from\`),
    KEY to_idx (\`to\`),
    KEY departure_idx (departure),
    KEY arrivals_idx (arrival),
    KEY airline_idx (airline_id),
    KEY airplane_idx (airplane_id),
    CONSTRAINT flight_ibfk_1 FOREIGN KEY (\`from\`) REFERENCES airport (airport_id),
    CONSTRAINT flight_ibfk_2 FOREIGN KEY (\`to\`) REFERENCES airport (airport_id),
    CONSTRAINT flight_ibfk_3 FOREIGN KEY (airline_id) REFERENCES airline (airline_id),
    CONSTRAINT flight_ibfk_4 FOREIGN KEY (airplane_id) REFERENCES airplane (airplane_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE flight_log (
    log_date datetime NOT NULL,
    \`user\` varchar(100) NOT NULL,
    flight_id int NOT NULL,
    flightno_old char(8) NOT NULL,
    flightno_new char(8) NOT NULL,
    from_old smallint NOT NULL,
    to_old smallint NOT NULL,
    from_new smallint NOT NULL,
    to_new smallint NOT NULL,
    departure_old datetime NOT NULL,
    arrival_old datetime NOT NULL,
    departure_new datetime NOT NULL,
    arrival_new datetime NOT NULL,
    airplane_id_old int NOT NULL,
    airplane_id_new int NOT NULL,
    airline_id_old smallint NOT NULL,
    airline_id_new smallint NOT NULL,
    comment varchar(200) DEFAULT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE passenger (
    passenger_id int NOT NULL AUTO_INCREMENT,
    passportno char(9) NOT NULL,
    firstname varchar(100) NOT NULL,
    lastname varchar(100) NOT NULL,
    PRIMARY KEY (passenger_id),
    UNIQUE KEY pass_unq (passportno)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE passengerdetails (
    passenger_id int NOT NULL,
    birthdate date NOT NULL,
    sex char(1) DEFAULT NULL,
    street varchar(100) NOT NULL,
    city varchar(100) NOT NULL,
    zip smallint NOT NULL,
    country varchar(100) NOT NULL,
    emailaddress varchar(120) DEFAULT NULL,
    telephoneno varchar(30) DEFAULT NULL,
    PRIMARY KEY (passenger_id),
    CONSTRAINT passengerdetails_ibfk_1 FOREIGN KEY (passenger_id) REFERENCES passenger (passenger_id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE booking (
    booking_id int NOT NULL AUTO_INCREMENT,
    flight_id int NOT NULL,
    seat char(4) DEFAULT NULL,
    passenger_id int NOT NULL,
    price decimal(10,2) NOT NULL,
    PRIMARY KEY (booking_id),
    UNIQUE KEY seatplan_unq (flight_id, seat),
    KEY flight_idx (flight_id),
    KEY passenger_idx (passenger_id),
    CONSTRAINT booking_ibfk_1 FOREIGN KEY (flight_id) REFERENCES flight (flight_id),
    CONSTRAINT booking_ibfk_2 FOREIGN KEY (passenger_id) REFERENCES passenger (passenger_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE employee (
    employee_id int NOT NULL AUTO_INCREMENT,
    firstname varchar(100) NOT NULL,
    lastname varchar(100) NOT NULL,
    birthdate date NOT NULL,
    sex char(1) DEFAULT NULL,
    street varchar(100) NOT NULL,
    city varchar(100) NOT NULL,
    zip smallint NOT NULL,
    country varchar(100) NOT NULL,
    emailaddress varchar(120) DEFAULT NULL,
    telephoneno varchar(30) DEFAULT NULL,
    salary decimal(8,2) DEFAULT NULL,
    department enum('marketing','accounting','management','logistics','airfield') DEFAULT NULL,
    username varchar(20) DEFAULT NULL,
    password char(32) DEFAULT NULL,
    PRIMARY KEY (employee_id),
    UNIQUE KEY user_unq (username)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE weatherdata (
    log_date date NOT NULL,
    time time NOT NULL,
    station int NOT NULL,
    temp decimal(3,1) NOT NULL,
    humidity decimal(4,1) NOT NULL,
    airpressure decimal(10,2) NOT NULL,
    wind decimal(5,2) NOT NULL,
    weather enum('fog-snowfall','snowfall','rain','rain-snowfall','fog-rain','fog-rain-thunderstorm','thunderstorm','fog','rain-thunderstorm') DEFAULT NULL,
    winddirection smallint NOT NULL,
    PRIMARY KEY (log_date, time, station)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

const POSTGRES = [
  `CREATE TABLE airport (
    airport_id smallserial PRIMARY KEY,
    iata char(3) NULL,
    icao char(4) NOT NULL,
    name varchar(50) NOT NULL,
    CONSTRAINT icao_unq UNIQUE (icao)
  )`,
  `CREATE INDEX airport_name_idx ON airport (name)`,
  `CREATE INDEX airport_iata_idx ON airport (iata)`,
  `CREATE TABLE airport_geo (
    airport_id smallint NOT NULL,
    name varchar(50) NOT NULL,
    city varchar(50) NULL,
    country varchar(50) NULL,
    latitude numeric(11,8) NOT NULL,
    longitude numeric(11,8) NOT NULL,
    geolocation point NULL
  )`,
  `CREATE INDEX airport_geo_flughafen_idx ON airport_geo (airport_id)`,
  `CREATE TABLE airport_reachable (
    airport_id integer PRIMARY KEY,
    hops integer NULL
  )`,
  `CREATE TABLE airline (
    airline_id smallserial PRIMARY KEY,
    iata char(2) NOT NULL,
    airlinename varchar(30) NULL,
    base_airport smallint NOT NULL REFERENCES airport (airport_id),
    CONSTRAINT airline_iata_unq UNIQUE (iata)
  )`,
  `CREATE INDEX airline_base_airport_idx ON airline (base_airport)`,
  `CREATE TABLE airplane_type (
    type_id serial PRIMARY KEY,
    identifier varchar(50) NULL,
    description text NULL
  )`,
  `CREATE TABLE airplane (
    airplane_id serial PRIMARY KEY,
    capacity integer NOT NULL CHECK (capacity >= 0 AND capacity <= 16777215),
    type_id integer NOT NULL,
    airline_id integer NOT NULL
  )`,
  `CREATE TABLE flightschedule (
    flightno char(8) PRIMARY KEY,
    "from" smallint NOT NULL REFERENCES airport (airport_id),
    "to" smallint NOT NULL REFERENCES airport (airport_id),
    departure time NOT NULL,
    arrival time NOT NULL,
    airline_id smallint NOT NULL REFERENCES airline (airline_id),
    monday smallint DEFAULT 0,
    tuesday smallint DEFAULT 0,
    wednesday smallint DEFAULT 0,
    thursday smallint DEFAULT 0,
    friday smallint DEFAULT 0,
    saturday smallint DEFAULT 0,
    sunday smallint DEFAULT 0
  )`,
  `CREATE INDEX flightschedule_from_idx ON flightschedule ("from")`,
  `CREATE INDEX flightschedule_to_idx ON flightschedule ("to")`,
  `CREATE INDEX flightschedule_airline_idx ON flightschedule (airline_id)`,
  `CREATE TABLE flight (
    flight_id serial PRIMARY KEY,
    flightno char(8) NOT NULL,
    "from" smallint NOT NULL REFERENCES airport (airport_id),
    "to" smallint NOT NULL REFERENCES airport (airport_id),
    departure timestamp NOT NULL,
    arrival timestamp NOT NULL,
    airline_id smallint NOT NULL REFERENCES airline (airline_id),
    airplane_id integer NOT NULL REFERENCES airplane (airplane_id)
  )`,
  `CREATE INDEX flight_from_idx ON flight ("from")`,
  `CREATE INDEX flight_to_idx ON flight ("to")`,
  `CREATE INDEX flight_departure_idx ON flight (departure)`,
  `CREATE INDEX flight_arrivals_idx ON flight (arrival)`,
  `CREATE INDEX flight_airline_idx ON flight (airline_id)`,
  `CREATE INDEX flight_airplane_idx ON flight (airplane_id)`,
  `CREATE TABLE flight_log (
    log_date timestamp NOT NULL,
    "user" varchar(100) NOT NULL,
    flight_id integer NOT NULL,
    flightno_old char(8) NOT NULL,
    flightno_new char(8) NOT NULL,
    from_old smallint NOT NULL,
    to_old smallint NOT NULL,
    from_new smallint NOT NULL,
    to_new smallint NOT NULL,
    departure_old timestamp NOT NULL,
    arrival_old timestamp NOT NULL,
    departure_new timestamp NOT NULL,
    arrival_new timestamp NOT NULL,
    airplane_id_old integer NOT NULL,
    airplane_id_new integer NOT NULL,
    airline_id_old smallint NOT NULL,
    airline_id_new smallint NOT NULL,
    comment varchar(200) NULL
  )`,
  `CREATE TABLE passenger (
    passenger_id serial PRIMARY KEY,
    passportno char(9) NOT NULL,
    firstname varchar(100) NOT NULL,
    lastname varchar(100) NOT NULL,
    CONSTRAINT pass_unq UNIQUE (passportno)
  )`,
  `CREATE TABLE passengerdetails (
    passenger_id integer PRIMARY KEY REFERENCES passenger (passenger_id) ON DELETE CASCADE,
    birthdate date NOT NULL,
    sex char(1) NULL,
    street varchar(100) NOT NULL,
    city varchar(100) NOT NULL,
    zip smallint NOT NULL,
    country varchar(100) NOT NULL,
    emailaddress varchar(120) NULL,
    telephoneno varchar(30) NULL
  )`,
  `CREATE TABLE booking (
    booking_id serial PRIMARY KEY,
    flight_id integer NOT NULL REFERENCES flight (flight_id),
    seat char(4) NULL,
    passenger_id integer NOT NULL REFERENCES passenger (passenger_id),
    price numeric(10,2) NOT NULL,
    CONSTRAINT seatplan_unq UNIQUE (flight_id, seat)
  )`,
  `CREATE INDEX booking_flight_idx ON booking (flight_id)`,
  `CREATE INDEX booking_passenger_idx ON booking (passenger_id)`,
  `CREATE TABLE employee (
    employee_id serial PRIMARY KEY,
    firstname varchar(100) NOT NULL,
    lastname varchar(100) NOT NULL,
    birthdate date NOT NULL,
    sex char(1) NULL,
    street varchar(100) NOT NULL,
    city varchar(100) NOT NULL,
    zip smallint NOT NULL,
    country varchar(100) NOT NULL,
    emailaddress varchar(120) NULL,
    telephoneno varchar(30) NULL,
    salary numeric(8,2) NULL,
    department varchar(20) NULL CHECK (department IN ('marketing','accounting','management','logistics','airfield')),
    username varchar(20) NULL,
    password char(32) NULL,
    CONSTRAINT user_unq UNIQUE (username)
  )`,
  `CREATE TABLE weatherdata (
    log_date date NOT NULL,
    "time" time NOT NULL,
    station integer NOT NULL,
    temp numeric(3,1) NOT NULL,
    humidity numeric(4,1) NOT NULL,
    airpressure numeric(10,2) NOT NULL,
    wind numeric(5,2) NOT NULL,
    weather varchar(30) NULL CHECK (weather IN ('fog-snowfall','snowfall','rain','rain-snowfall','fog-rain',
      'fog-rain-thunderstorm','thunderstorm','fog','rain-thunderstorm')),
    winddirection smallint NOT NULL,
    PRIMARY KEY (log_date, "time", station)
  )`,
];

/** Dropped children first. */
const TABLES = [
  'booking',
  'passengerdetails',
  'passenger',
  'flight_log',
  'flight',
  'flightschedule',
  'airplane',
  'airplane_type',
  'airline',
  'airport_geo',
  'airport_reachable',
  'airport',
  'employee',
  'weatherdata',
];

export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(q: QueryRunner): Promise<void> {
    // A real FlughafenDB dump loaded before the first start already has these tables: keep them as they are.
    if (await q.hasTable('flight')) return;
    const isPg = q.connection.options.type === 'postgres';
    for (const sql of isPg ? POSTGRES : MYSQL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const isPg = q.connection.options.type === 'postgres';
    for (const t of TABLES)
      await q.query(isPg ? `DROP TABLE IF EXISTS ${t} CASCADE` : `DROP TABLE IF EXISTS ${t}`);
  }
}

/** The schema's DDL per engine, for code that describes the schema (the NL->SQL knowledge base reads it). */
export const SCHEMA_DDL = { mysql: MYSQL, postgres: POSTGRES } as const;
