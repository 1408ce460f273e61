/**
 * The mock provider's 100 cities, as in the original workshop: five per G20 member country plus five more EU
 * capitals. Keyed by ISO 3166-1 alpha-2 country code and a real postal code (the form OpenWeatherMap's
 * `?zip={zip},{country}` takes; Canada and the UK by their forward sortation area / postcode district).
 */
export interface City {
  country: string;
  zip: string;
  name: string;
  lat: number;
  lon: number;
  /** Offset from UTC in seconds, as OpenWeatherMap reports it. */
  timezone: number;
}

type Row = [zip: string, name: string, lat: number, lon: number, tzHours: number];

const BY_COUNTRY: Record<string, Row[]> = {
  AR: [
    ['C1002', 'Buenos Aires', -34.6037, -58.3816, -3],
    ['X5000', 'Córdoba', -31.4201, -64.1888, -3],
    ['S2000', 'Rosario', -32.9442, -60.6505, -3],
    ['M5500', 'Mendoza', -32.8895, -68.8458, -3],
    ['B7600', 'Mar del Plata', -38.0055, -57.5426, -3],
  ],
  AU: [
    ['2000', 'Sydney', -33.8688, 151.2093, 10],
    ['3000', 'Melbourne', -37.8136, 144.9631, 10],
    ['4000', 'Brisbane', -27.4698, 153.0251, 10],
    ['6000', 'Perth', -31.9505, 115.8605, 8],
    ['5000', 'Adelaide', -34.9285, 138.6007, 9.5],
  ],
  BR: [
    ['01310-100', 'São Paulo', -23.5614, -46.6559, -3],
    ['20040-020', 'Rio de Janeiro', -22.9035, -43.1755, -3],
    ['70040-010', 'Brasília', -15.7939, -47.8828, -3],
    ['40020-000', 'Salvador', -12.9714, -38.5014, -3],
    ['30130-000', 'Belo Horizonte', -19.9191, -43.9386, -3],
  ],
  CA: [
    ['M5H', 'Toronto', 43.6532, -79.3832, -5],
    ['H2Y', 'Montreal', 45.5017, -73.5673, -5],
    ['V6B', 'Vancouver', 49.2827, -123.1207, -8],
    ['T2P', 'Calgary', 51.0447, -114.0719, -7],
    ['K1P', 'Ottawa', 45.4215, -75.6972, -5],
  ],
  CN: [
    ['100000', 'Beijing', 39.9042, 116.4074, 8],
    ['200000', 'Shanghai', 31.2304, 121.4737, 8],
    ['510000', 'Guangzhou', 23.1291, 113.2644, 8],
    ['518000', 'Shenzhen', 22.5431, 114.0579, 8],
    ['610000', 'Chengdu', 30.5728, 104.0668, 8],
  ],
  DE: [
    ['10115', 'Berlin', 52.532, 13.3849, 1],
    ['80331', 'Munich', 48.1374, 11.5755, 1],
    ['20095', 'Hamburg', 53.5511, 9.9937, 1],
    ['50667', 'Cologne', 50.9375, 6.9603, 1],
    ['60311', 'Frankfurt am Main', 50.1109, 8.6821, 1],
  ],
  FR: [
    ['75001', 'Paris', 48.8606, 2.3376, 1],
    ['13001', 'Marseille', 43.2965, 5.3698, 1],
    ['69001', 'Lyon', 45.7676, 4.8344, 1],
    ['31000', 'Toulouse', 43.6047, 1.4442, 1],
    ['06000', 'Nice', 43.7102, 7.262, 1],
  ],
  GB: [
    ['EC1A', 'London', 51.5194, -0.1, 0],
    ['M1', 'Manchester', 53.4808, -2.2426, 0],
    ['B1', 'Birmingham', 52.4862, -1.8904, 0],
    ['EH1', 'Edinburgh', 55.9533, -3.1883, 0],
    ['L1', 'Liverpool', 53.4084, -2.9916, 0],
  ],
  ID: [
    ['10110', 'Jakarta', -6.1754, 106.8272, 7],
    ['60111', 'Surabaya', -7.2575, 112.7521, 7],
    ['40111', 'Bandung', -6.9175, 107.6191, 7],
    ['20111', 'Medan', 3.5952, 98.6722, 7],
    ['80361', 'Denpasar', -8.6705, 115.2126, 8],
  ],
  IN: [
    ['110001', 'New Delhi', 28.6315, 77.2167, 5.5],
    ['400001', 'Mumbai', 18.9388, 72.8354, 5.5],
    ['560001', 'Bengaluru', 12.9716, 77.5946, 5.5],
    ['600001', 'Chennai', 13.0878, 80.2785, 5.5],
    ['700001', 'Kolkata', 22.5726, 88.3639, 5.5],
  ],
  IT: [
    ['00118', 'Rome', 41.9028, 12.4964, 1],
    ['20121', 'Milan', 45.4685, 9.1824, 1],
    ['80121', 'Naples', 40.8358, 14.2488, 1],
    ['10121', 'Turin', 45.0703, 7.6869, 1],
    ['50121', 'Florence', 43.7696, 11.2558, 1],
  ],
  JP: [
    ['100-0001', 'Tokyo', 35.6852, 139.7528, 9],
    ['530-0001', 'Osaka', 34.7025, 135.4959, 9],
    ['600-8001', 'Kyoto', 35.0037, 135.7681, 9],
    ['460-0001', 'Nagoya', 35.1815, 136.9066, 9],
    ['060-0001', 'Sapporo', 43.0618, 141.3545, 9],
  ],
  KR: [
    ['04524', 'Seoul', 37.5665, 126.978, 9],
    ['48058', 'Busan', 35.1796, 129.0756, 9],
    ['21554', 'Incheon', 37.4563, 126.7052, 9],
    ['41911', 'Daegu', 35.8714, 128.6014, 9],
    ['34126', 'Daejeon', 36.3504, 127.3845, 9],
  ],
  MX: [
    ['06000', 'Mexico City', 19.4326, -99.1332, -6],
    ['44100', 'Guadalajara', 20.6597, -103.3496, -6],
    ['64000', 'Monterrey', 25.6866, -100.3161, -6],
    ['72000', 'Puebla', 19.0414, -98.2063, -6],
    ['77500', 'Cancún', 21.1619, -86.8515, -5],
  ],
  RU: [
    ['101000', 'Moscow', 55.7558, 37.6173, 3],
    ['190000', 'Saint Petersburg', 59.9311, 30.3609, 3],
    ['630000', 'Novosibirsk', 55.0084, 82.9357, 7],
    ['620000', 'Yekaterinburg', 56.8389, 60.6057, 5],
    ['420000', 'Kazan', 55.7961, 49.1064, 3],
  ],
  SA: [
    ['11564', 'Riyadh', 24.7136, 46.6753, 3],
    ['21577', 'Jeddah', 21.4858, 39.1925, 3],
    ['24231', 'Mecca', 21.3891, 39.8579, 3],
    ['42311', 'Medina', 24.5247, 39.5692, 3],
    ['31411', 'Dammam', 26.4207, 50.0888, 3],
  ],
  TR: [
    ['34110', 'Istanbul', 41.0082, 28.9784, 3],
    ['06420', 'Ankara', 39.9334, 32.8597, 3],
    ['35210', 'Izmir', 38.4237, 27.1428, 3],
    ['16010', 'Bursa', 40.1885, 29.061, 3],
    ['07100', 'Antalya', 36.8969, 30.7133, 3],
  ],
  US: [
    ['10001', 'New York', 40.7506, -73.9972, -5],
    ['90001', 'Los Angeles', 33.9731, -118.2479, -8],
    ['60601', 'Chicago', 41.8858, -87.6181, -6],
    ['77001', 'Houston', 29.7633, -95.3633, -6],
    ['94102', 'San Francisco', 37.7793, -122.4193, -8],
  ],
  ZA: [
    ['2001', 'Johannesburg', -26.2041, 28.0473, 2],
    ['8001', 'Cape Town', -33.9249, 18.4241, 2],
    ['4001', 'Durban', -29.8587, 31.0218, 2],
    ['0002', 'Pretoria', -25.7479, 28.2293, 2],
    ['6001', 'Gqeberha', -33.9608, 25.6022, 2],
  ],
};

/** EU member states beyond the G20's France, Germany and Italy: one capital each. */
const EU_CAPITALS: Array<[country: string, ...Row]> = [
  ['ES', '28001', 'Madrid', 40.4168, -3.7038, 1],
  ['NL', '1011', 'Amsterdam', 52.3676, 4.9041, 1],
  ['BE', '1000', 'Brussels', 50.8503, 4.3517, 1],
  ['AT', '1010', 'Vienna', 48.2082, 16.3738, 1],
  ['PL', '00-001', 'Warsaw', 52.2297, 21.0122, 1],
];

const toCity = (country: string, [zip, name, lat, lon, tz]: Row): City => ({
  country,
  zip,
  name,
  lat,
  lon,
  timezone: tz * 3600,
});

export const CITIES: readonly City[] = [
  ...Object.entries(BY_COUNTRY).flatMap(([country, rows]) => rows.map((r) => toCity(country, r))),
  ...EU_CAPITALS.map(([country, ...row]) => toCity(country, row)),
];

/** Canonical form used for lookups and cache keys: upper-case country and zip. */
export function cityId(country: string, zip: string): string {
  return `${country.toUpperCase()}:${zip.toUpperCase()}`;
}

const BY_ID = new Map(CITIES.map((c) => [cityId(c.country, c.zip), c]));

export function findCity(country: string, zip: string): City | undefined {
  return BY_ID.get(cityId(country, zip));
}
