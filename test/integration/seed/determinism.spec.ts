import { AppConfig } from '@app/platform';
import { FlughafenGenerator } from '../../../tools/seed/generator';
import { seedDatabase } from '../../../tools/seed/seed';
import { createTestDatabase, testConfig } from '../../support/test-env';
import { dropDatabase } from '@app/platform';
import { createHash } from 'node:crypto';
import { tableChecksum } from './db-helpers';

const TODAY = new Date('2025-06-01T08:00:00Z');
const TABLES = [
  'airport',
  'airport_geo',
  'airport_reachable',
  'airline',
  'airplane_type',
  'airplane',
  'flightschedule',
  'flight',
  'flight_log',
  'passenger',
  'passengerdetails',
  'booking',
  'employee',
  'weatherdata',
];

async function checksums(config: AppConfig): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const table of TABLES) {
    const { rows, sha256 } = await tableChecksum(config.db, table);
    sums[table] = `${rows}:${sha256}`;
  }
  return sums;
}

function generatorHash(seed: number, today: Date): string {
  const hash = createHash('sha256');
  for (const table of new FlughafenGenerator('tiny', seed, today).tables()) {
    for (const line of table.lines()) hash.update(line);
  }
  return hash.digest('hex');
}

describe('generator determinism', () => {
  it('produces the same rows for the same seed and day, different rows otherwise', () => {
    const base = generatorHash(7, TODAY);
    expect(generatorHash(7, new Date('2025-06-01T23:59:00Z'))).toBe(base);
    expect(generatorHash(8, TODAY)).not.toBe(base);
    expect(generatorHash(7, new Date('2025-06-02T08:00:00Z'))).not.toBe(base);
  });

  it('stores identical rows in MariaDB and PostgreSQL for the same seed', async () => {
    const mysql = testConfig('mysql');
    const postgres = testConfig('postgres');
    const other = testConfig('postgres');
    try {
      await Promise.all([
        seedDatabase(mysql.db, { scale: 'tiny', seed: 7, today: TODAY }),
        seedDatabase(postgres.db, { scale: 'tiny', seed: 7, today: TODAY }),
      ]);
      await seedDatabase(other.db, { scale: 'tiny', seed: 8, today: TODAY });
      const [a, b, c] = [await checksums(mysql), await checksums(postgres), await checksums(other)];
      expect(a).toEqual(b);
      expect(a.booking.startsWith('0:')).toBe(false);
      // A different seed really gives different data (the checksum is not blind).
      expect(c.booking).not.toBe(a.booking);
      expect(c.passenger).not.toBe(a.passenger);
    } finally {
      await Promise.all([dropDatabase(mysql.db), dropDatabase(postgres.db), dropDatabase(other.db)]);
    }
  });
});

// Keeps createTestDatabase in this suite's imports honest: an empty schema checksums to zero rows everywhere.
describe('checksum helper', () => {
  it('sees an empty migrated database as empty on both engines', async () => {
    for (const engine of ['mysql', 'postgres'] as const) {
      const config = testConfig(engine);
      const cleanup = await createTestDatabase(config);
      try {
        expect((await tableChecksum(config.db, 'booking')).rows).toBe(0);
      } finally {
        await cleanup();
      }
    }
  });
});
