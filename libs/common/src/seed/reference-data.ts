/**
 * Real-world reference data the generator starts from: major airports with their real codes and coordinates
 * (every airport the workshop texts name, the big hubs, and the German airports), real airlines and aircraft types.
 * Everything else (the long tail up to the dump's row counts) is synthesised deterministically from these.
 */
export interface RealAirport {
  iata: string;
  icao: string;
  name: string;
  city: string;
  country: string;
  lat: number;
  lon: number;
}

const A = (
  iata: string,
  icao: string,
  name: string,
  city: string,
  country: string,
  lat: number,
  lon: number,
): RealAirport => ({ iata, icao, name, city, country, lat, lon });

/** Ordered by traffic: the generator gives earlier airports more routes (the hubs come first). */
export const REAL_AIRPORTS: readonly RealAirport[] = [
  A('JFK', 'KJFK', 'John F Kennedy International', 'New York', 'USA', 40.63980103, -73.77890015),
  A('LAX', 'KLAX', 'Los Angeles International', 'Los Angeles', 'USA', 33.94250107, -118.40799713),
  A('ATL', 'KATL', 'Hartsfield Jackson Atlanta International Airport', 'Atlanta', 'USA', 33.63669968, -84.42810059),
  A('ORD', 'KORD', "Chicago O'Hare International Airport", 'Chicago', 'USA', 41.97859955, -87.90480042),
  A('DFW', 'KDFW', 'Dallas Fort Worth International Airport', 'Dallas', 'USA', 32.89680099, -97.03800201),
  A('LHR', 'EGLL', 'London Heathrow Airport', 'London', 'United Kingdom', 51.47060013, -0.46194100),
  A('CDG', 'LFPG', 'Charles de Gaulle International Airport', 'Paris', 'France', 49.01279831, 2.54999995),
  A('FRA', 'EDDF', 'Frankfurt am Main Airport', 'Frankfurt', 'Germany', 50.03333282, 8.57055569),
  A('SFO', 'KSFO', 'San Francisco International Airport', 'San Francisco', 'USA', 37.61899948, -122.37500000),
  A('SEA', 'KSEA', 'Seattle Tacoma International Airport', 'Seattle', 'USA', 47.44900131, -122.30899811),
  A('MIA', 'KMIA', 'Miami International Airport', 'Miami', 'USA', 25.79319954, -80.29060364),
  A('BOS', 'KBOS', 'Boston Logan International Airport', 'Boston', 'USA', 42.36429977, -71.00520325),
  A('DXB', 'OMDB', 'Dubai International Airport', 'Dubai', 'United Arab Emirates', 25.25279999, 55.36439896),
  A('AMS', 'EHAM', 'Amsterdam Airport Schiphol', 'Amsterdam', 'Netherlands', 52.30860138, 4.76388979),
  A('MUC', 'EDDM', 'Munich Airport', 'Munich', 'Germany', 48.35380173, 11.78610039),
  A('HND', 'RJTT', 'Tokyo Haneda International Airport', 'Tokyo', 'Japan', 35.55229950, 139.77999878),
  A('PEK', 'ZBAA', 'Beijing Capital International Airport', 'Beijing', 'China', 40.08010101, 116.58499908),
  A('SIN', 'WSSS', 'Singapore Changi Airport', 'Singapore', 'Singapore', 1.35019000, 103.99400330),
  A('MAD', 'LEMD', 'Adolfo Suarez Madrid-Barajas Airport', 'Madrid', 'Spain', 40.47190094, -3.56264000),
  A('FCO', 'LIRF', 'Leonardo da Vinci-Fiumicino Airport', 'Rome', 'Italy', 41.80027771, 12.23888874),
  A('ZRH', 'LSZH', 'Zurich Airport', 'Zurich', 'Switzerland', 47.46469879, 8.54916954),
  A('VIE', 'LOWW', 'Vienna International Airport', 'Vienna', 'Austria', 48.11029816, 16.56970024),
  A('NRT', 'RJAA', 'Narita International Airport', 'Tokyo', 'Japan', 35.76470184, 140.38600159),
  A('SYD', 'YSSY', 'Sydney Kingsford Smith International Airport', 'Sydney', 'Australia', -33.94609833, 151.17700195),
  A('GRU', 'SBGR', 'Guarulhos International Airport', 'Sao Paulo', 'Brazil', -23.43555641, -46.47305679),
  A('YYZ', 'CYYZ', 'Toronto Pearson International Airport', 'Toronto', 'Canada', 43.67720032, -79.63059998),
  A('BER', 'EDDB', 'Berlin Brandenburg Airport', 'Berlin', 'Germany', 52.36666700, 13.50333300),
  A('DUS', 'EDDL', 'Düsseldorf Airport', 'Dusseldorf', 'Germany', 51.28950119, 6.76678000),
  A('HAM', 'EDDH', 'Hamburg Airport', 'Hamburg', 'Germany', 53.63040161, 9.98822975),
  A('CGN', 'EDDK', 'Cologne Bonn Airport', 'Cologne', 'Germany', 50.86589813, 7.14274979),
  A('STR', 'EDDS', 'Stuttgart Airport', 'Stuttgart', 'Germany', 48.68989944, 9.22196007),
  A('DEN', 'KDEN', 'Denver International Airport', 'Denver', 'USA', 39.86169815, -104.67299652),
  A('EWR', 'KEWR', 'Newark Liberty International Airport', 'Newark', 'USA', 40.69250107, -74.16870117),
  A('LAS', 'KLAS', 'Harry Reid International Airport', 'Las Vegas', 'USA', 36.08010101, -115.15200043),
  A('IAH', 'KIAH', 'George Bush Intercontinental Airport', 'Houston', 'USA', 29.98440170, -95.34140015),
  A('MCO', 'KMCO', 'Orlando International Airport', 'Orlando', 'USA', 28.42939949, -81.30899811),
  A('PHX', 'KPHX', 'Phoenix Sky Harbor International Airport', 'Phoenix', 'USA', 33.43429947, -112.01200104),
  A('LGW', 'EGKK', 'London Gatwick Airport', 'London', 'United Kingdom', 51.14810181, -0.19027799),
  A('ORY', 'LFPO', 'Paris-Orly Airport', 'Paris', 'France', 48.72529984, 2.35944009),
  A('BCN', 'LEBL', 'Barcelona-El Prat Airport', 'Barcelona', 'Spain', 41.29710007, 2.07846000),
  A('IST', 'LTFM', 'Istanbul Airport', 'Istanbul', 'Turkey', 41.27527800, 28.75194400),
  A('DOH', 'OTHH', 'Hamad International Airport', 'Doha', 'Qatar', 25.27305600, 51.60805600),
  A('HKG', 'VHHH', 'Hong Kong International Airport', 'Hong Kong', 'China', 22.30800056, 113.91500092),
  A('PVG', 'ZSPD', 'Shanghai Pudong International Airport', 'Shanghai', 'China', 31.14340019, 121.80500031),
  A('ICN', 'RKSI', 'Incheon International Airport', 'Seoul', 'South Korea', 37.46910095, 126.45099640),
  A('BKK', 'VTBS', 'Suvarnabhumi Airport', 'Bangkok', 'Thailand', 13.68109989, 100.74700165),
  A('DEL', 'VIDP', 'Indira Gandhi International Airport', 'Delhi', 'India', 28.56649971, 77.10310364),
  A('BOM', 'VABB', 'Chhatrapati Shivaji International Airport', 'Mumbai', 'India', 19.08869934, 72.86789703),
  A('MEL', 'YMML', 'Melbourne International Airport', 'Melbourne', 'Australia', -37.67330170, 144.84300232),
  A('AKL', 'NZAA', 'Auckland International Airport', 'Auckland', 'New Zealand', -37.00809860, 174.79200745),
  A('EZE', 'SAEZ', 'Ministro Pistarini International Airport', 'Buenos Aires', 'Argentina', -34.82220078, -58.53580093),
  A('MEX', 'MMMX', 'Mexico City International Airport', 'Mexico City', 'Mexico', 19.43630028, -99.07209778),
  A('YVR', 'CYVR', 'Vancouver International Airport', 'Vancouver', 'Canada', 49.19390106, -123.18399811),
  A('JNB', 'FAOR', 'O. R. Tambo International Airport', 'Johannesburg', 'South Africa', -26.13920021, 28.24600029),
  A('CAI', 'HECA', 'Cairo International Airport', 'Cairo', 'Egypt', 30.12190056, 31.40559959),
  A('CPH', 'EKCH', 'Copenhagen Kastrup Airport', 'Copenhagen', 'Denmark', 55.61790085, 12.65600014),
  A('OSL', 'ENGM', 'Oslo Gardermoen Airport', 'Oslo', 'Norway', 60.19390106, 11.10039997),
  A('ARN', 'ESSA', 'Stockholm-Arlanda Airport', 'Stockholm', 'Sweden', 59.65190125, 17.91860008),
  A('HEL', 'EFHK', 'Helsinki Vantaa Airport', 'Helsinki', 'Finland', 60.31719971, 24.96330070),
  A('DUB', 'EIDW', 'Dublin Airport', 'Dublin', 'Ireland', 53.42129898, -6.27007008),
  A('BRU', 'EBBR', 'Brussels Airport', 'Brussels', 'Belgium', 50.90140152, 4.48443985),
  A('LIS', 'LPPT', 'Humberto Delgado Airport', 'Lisbon', 'Portugal', 38.78129959, -9.13591957),
  A('MXP', 'LIMC', 'Milan Malpensa Airport', 'Milan', 'Italy', 45.63059998, 8.72811031),
  A('HAJ', 'EDDV', 'Hannover Airport', 'Hannover', 'Germany', 52.46110153, 9.68507957),
  A('NUE', 'EDDN', 'Nuremberg Airport', 'Nuremberg', 'Germany', 49.49869919, 11.07800007),
  A('LEJ', 'EDDP', 'Leipzig/Halle Airport', 'Leipzig', 'Germany', 51.42390060, 12.23629951),
  A('BRE', 'EDDW', 'Bremen Airport', 'Bremen', 'Germany', 53.04750061, 8.78666973),
  A('DRS', 'EDDC', 'Dresden Airport', 'Dresden', 'Germany', 51.13280106, 13.76720047),
  A('DTM', 'EDLW', 'Dortmund Airport', 'Dortmund', 'Germany', 51.51829910, 7.61223984),
  A('FMO', 'EDDG', 'Münster Osnabrück Airport', 'Munster', 'Germany', 52.13460159, 7.68483019),
  A('PAD', 'EDLP', 'Paderborn Lippstadt Airport', 'Paderborn', 'Germany', 51.61410141, 8.61631966),
  A('SCN', 'EDDR', 'Saarbrücken Airport', 'Saarbrucken', 'Germany', 49.21459961, 7.10950994),
  A('FKB', 'EDSB', 'Karlsruhe/Baden-Baden Airport', 'Karlsruhe', 'Germany', 48.77939987, 8.08049965),
  A('FDH', 'EDNY', 'Friedrichshafen Airport', 'Friedrichshafen', 'Germany', 47.67129898, 9.51148987),
  A('HHN', 'EDFH', 'Frankfurt-Hahn Airport', 'Hahn', 'Germany', 49.94869995, 7.26389003),
  A('NRN', 'EDLV', 'Weeze Airport', 'Weeze', 'Germany', 51.60240173, 6.14216995),
  A('FMM', 'EDJA', 'Memmingen Airport', 'Memmingen', 'Germany', 47.98880005, 10.23950005),
];

/** The hubs other suites rely on: each has flights at every scale. */
export const HUB_IATAS = ['JFK', 'LAX', 'ATL', 'ORD', 'DFW'] as const;

export interface RealAirline {
  iata: string;
  name: string;
  base: string;
}

const L = (iata: string, name: string, base: string): RealAirline => ({ iata, name, base });

export const REAL_AIRLINES: readonly RealAirline[] = [
  L('AA', 'American Airlines', 'DFW'),
  L('DL', 'Delta Air Lines', 'ATL'),
  L('UA', 'United Airlines', 'ORD'),
  L('B6', 'JetBlue Airways', 'JFK'),
  L('AS', 'Alaska Airlines', 'SEA'),
  L('WN', 'Southwest Airlines', 'DFW'),
  L('LH', 'Lufthansa', 'FRA'),
  L('BA', 'British Airways', 'LHR'),
  L('AF', 'Air France', 'CDG'),
  L('KL', 'KLM Royal Dutch Airlines', 'AMS'),
  L('EK', 'Emirates', 'DXB'),
  L('QR', 'Qatar Airways', 'DOH'),
  L('SQ', 'Singapore Airlines', 'SIN'),
  L('NH', 'All Nippon Airways', 'HND'),
  L('JL', 'Japan Airlines', 'NRT'),
  L('CA', 'Air China', 'PEK'),
  L('QF', 'Qantas', 'SYD'),
  L('AC', 'Air Canada', 'YYZ'),
  L('LX', 'Swiss International Air Lines', 'ZRH'),
  L('OS', 'Austrian Airlines', 'VIE'),
  L('IB', 'Iberia', 'MAD'),
  L('AZ', 'ITA Airways', 'FCO'),
  L('EW', 'Eurowings', 'DUS'),
  L('DE', 'Condor', 'FRA'),
  L('X3', 'TUIfly', 'HAJ'),
  L('SK', 'SAS Scandinavian Airlines', 'CPH'),
  L('AY', 'Finnair', 'HEL'),
  L('EI', 'Aer Lingus', 'DUB'),
  L('SN', 'Brussels Airlines', 'BRU'),
  L('TP', 'TAP Air Portugal', 'LIS'),
  L('TK', 'Turkish Airlines', 'IST'),
  L('CX', 'Cathay Pacific', 'HKG'),
  L('KE', 'Korean Air', 'ICN'),
  L('TG', 'Thai Airways', 'BKK'),
  L('AI', 'Air India', 'DEL'),
  L('LA', 'LATAM Airlines', 'GRU'),
  L('AM', 'Aeromexico', 'MEX'),
  L('NZ', 'Air New Zealand', 'AKL'),
  L('SA', 'South African Airways', 'JNB'),
  L('MS', 'EgyptAir', 'CAI'),
  L('FR', 'Ryanair', 'DUB'),
  L('U2', 'easyJet', 'LGW'),
  L('VS', 'Virgin Atlantic', 'LHR'),
  L('MU', 'China Eastern Airlines', 'PVG'),
];

export interface AircraftType {
  identifier: string;
  seats: number;
  maker: string;
}

const T = (maker: string, identifier: string, seats: number): AircraftType => ({ maker, identifier, seats });

export const REAL_AIRCRAFT_TYPES: readonly AircraftType[] = [
  T('Airbus', 'A318', 107),
  T('Airbus', 'A319', 140),
  T('Airbus', 'A320', 180),
  T('Airbus', 'A321', 220),
  T('Airbus', 'A320neo', 186),
  T('Airbus', 'A321neo', 230),
  T('Airbus', 'A220-300', 140),
  T('Airbus', 'A330-200', 260),
  T('Airbus', 'A330-300', 290),
  T('Airbus', 'A340-300', 280),
  T('Airbus', 'A340-600', 320),
  T('Airbus', 'A350-900', 315),
  T('Airbus', 'A350-1000', 360),
  T('Airbus', 'A380-800', 520),
  T('Boeing', '737-700', 140),
  T('Boeing', '737-800', 186),
  T('Boeing', '737 MAX 8', 178),
  T('Boeing', '737-900ER', 200),
  T('Boeing', '747-400', 410),
  T('Boeing', '747-8', 460),
  T('Boeing', '757-200', 200),
  T('Boeing', '767-300ER', 250),
  T('Boeing', '777-200ER', 310),
  T('Boeing', '777-300ER', 380),
  T('Boeing', '787-8', 248),
  T('Boeing', '787-9', 290),
  T('Boeing', '787-10', 330),
  T('Embraer', 'E175', 78),
  T('Embraer', 'E190', 100),
  T('Embraer', 'E195', 120),
  T('Bombardier', 'CRJ-700', 70),
  T('Bombardier', 'CRJ-900', 86),
  T('ATR', '72-600', 70),
  T('ATR', '42-500', 48),
  T('De Havilland', 'Dash 8-400', 78),
  T('Saab', '340', 34),
  T('Dornier', '328', 32),
  T('Fokker', '100', 100),
  T('McDonnell Douglas', 'MD-11', 290),
];

export const FIRST_NAMES_FEMALE = [
  'Anna', 'Maria', 'Emma', 'Olivia', 'Sophia', 'Mia', 'Lena', 'Laura', 'Julia', 'Sarah', 'Hannah', 'Lea', 'Emily',
  'Charlotte', 'Amelia', 'Isabella', 'Chloe', 'Lucia', 'Elena', 'Sofia', 'Yuki', 'Mei', 'Aisha', 'Fatima', 'Priya',
  'Ingrid', 'Astrid', 'Camille', 'Giulia', 'Marta',
];

export const FIRST_NAMES_MALE = [
  'James', 'John', 'Robert', 'Michael', 'David', 'Thomas', 'Daniel', 'Paul', 'Lukas', 'Jonas', 'Felix', 'Max',
  'Leon', 'Noah', 'Liam', 'Oliver', 'Lucas', 'Mateo', 'Hugo', 'Louis', 'Kenji', 'Wei', 'Omar', 'Ahmed', 'Arjun',
  'Lars', 'Erik', 'Pierre', 'Marco', 'Pablo',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Martinez', 'Wilson', 'Anderson',
  'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Hall',
  'Young', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Müller', 'Schmidt', 'Schneider', 'Fischer',
  'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann',
  'Schwarz', 'Braun', 'Zimmermann', 'Krüger', 'Dubois', 'Durand', 'Lefebvre', 'Moreau', 'Rossi', 'Russo', 'Ferrari',
  'Esposito', 'Rodriguez', 'Lopez', 'Gonzalez', 'Fernandez', 'Silva', 'Santos', 'Oliveira', 'Kowalski', 'Nowak',
  'Jansen', 'de Vries', 'van Dijk', 'Andersson', 'Johansson', 'Nielsen', 'Hansen', 'Tanaka', 'Suzuki', 'Sato',
  'Wang', 'Li', 'Zhang', 'Chen', 'Kim', 'Park', 'Singh', 'Kumar', 'Patel', 'Khan', "O'Brien", 'Murphy',
];

export const STREET_NAMES = [
  'Main Street', 'Oak Avenue', 'Park Road', 'Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Lindenallee', 'Rue de la Paix',
  'Via Roma', 'Calle Mayor', 'High Street', 'Church Lane', 'Mill Road', 'Station Road', 'Elm Street', 'Maple Drive',
  'Schillerstraße', 'Goethestraße', 'Kirchweg', 'Marktplatz', 'Sunset Boulevard', 'Harbour View', 'King Street',
  'Queen Street', 'Victoria Road', 'Rosenweg', 'Am Flughafen', 'Airport Road', 'Lake Shore Drive', 'Broadway',
];

/** City and country pairs for people's addresses (passengerdetails, employee). */
export const PLACES: ReadonlyArray<readonly [string, string]> = [
  ['New York', 'USA'], ['Los Angeles', 'USA'], ['Chicago', 'USA'], ['Atlanta', 'USA'], ['Dallas', 'USA'],
  ['Seattle', 'USA'], ['Boston', 'USA'], ['Miami', 'USA'], ['Berlin', 'Germany'], ['Hamburg', 'Germany'],
  ['Munich', 'Germany'], ['Cologne', 'Germany'], ['Frankfurt', 'Germany'], ['Dresden', 'Germany'],
  ['Dortmund', 'Germany'], ['Dusseldorf', 'Germany'], ['London', 'United Kingdom'], ['Manchester', 'United Kingdom'],
  ['Paris', 'France'], ['Lyon', 'France'], ['Madrid', 'Spain'], ['Barcelona', 'Spain'], ['Rome', 'Italy'],
  ['Milan', 'Italy'], ['Amsterdam', 'Netherlands'], ['Zurich', 'Switzerland'], ['Vienna', 'Austria'],
  ['Tokyo', 'Japan'], ['Beijing', 'China'], ['Singapore', 'Singapore'], ['Sydney', 'Australia'],
  ['Toronto', 'Canada'], ['Sao Paulo', 'Brazil'], ['Dubai', 'United Arab Emirates'], ['Stockholm', 'Sweden'],
  ['Copenhagen', 'Denmark'], ['Dublin', 'Ireland'], ['Lisbon', 'Portugal'], ['Warsaw', 'Poland'], ['Istanbul', 'Turkey'],
];

/** Countries for the synthetic long tail of airports, with a rough bounding box to place them in. */
export const SYNTHETIC_REGIONS: ReadonlyArray<{ country: string; lat: [number, number]; lon: [number, number] }> = [
  { country: 'USA', lat: [26, 48], lon: [-123, -70] },
  { country: 'Canada', lat: [43, 60], lon: [-130, -60] },
  { country: 'Brazil', lat: [-30, -3], lon: [-60, -35] },
  { country: 'Russia', lat: [45, 68], lon: [30, 140] },
  { country: 'China', lat: [20, 45], lon: [85, 125] },
  { country: 'Australia', lat: [-38, -12], lon: [115, 153] },
  { country: 'India', lat: [8, 32], lon: [70, 90] },
  { country: 'Germany', lat: [47.5, 54.5], lon: [6, 14.5] },
  { country: 'France', lat: [43, 50.5], lon: [-1.5, 7.5] },
  { country: 'Mexico', lat: [16, 31], lon: [-115, -88] },
  { country: 'Indonesia', lat: [-8, 4], lon: [96, 140] },
  { country: 'Argentina', lat: [-50, -23], lon: [-70, -58] },
  { country: 'South Africa', lat: [-34, -23], lon: [18, 32] },
  { country: 'Spain', lat: [36.5, 43.5], lon: [-8.5, 3] },
  { country: 'Italy', lat: [38, 46.5], lon: [7.5, 17.5] },
  { country: 'Japan', lat: [31, 43], lon: [130, 145] },
  { country: 'Norway', lat: [58, 70], lon: [5, 28] },
  { country: 'Kenya', lat: [-4, 4], lon: [34, 41] },
  { country: 'Chile', lat: [-45, -18], lon: [-73, -69] },
  { country: 'United Kingdom', lat: [50.5, 58], lon: [-5, 1.5] },
];

/** Syllables for synthetic place and airline names ("Valmora", "Kestrin"...). */
export const NAME_SYLLABLES = [
  'ka', 'lo', 'ren', 'mar', 'vel', 'to', 'sa', 'din', 'bor', 'el', 'an', 'ri', 'mo', 'ston', 'ber', 'ga', 'lin',
  'ta', 'nor', 'vik', 'hal', 'den', 'rus', 'ca', 'sul', 've', 'tra', 'mi', 'ko', 'zen', 'pa', 'ros', 'le', 'una',
];

export const AIRPORT_NAME_SUFFIXES = ['Airport', 'International Airport', 'Regional Airport', 'Airfield', 'Municipal Airport'];
export const AIRLINE_NAME_SUFFIXES = ['Air', 'Airways', 'Airlines', 'Aviation', 'Express', 'Jet'];
