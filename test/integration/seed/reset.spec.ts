import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig, dropDatabase } from '@app/platform';
import {
  DatabaseNotEmptyError,
  NotGeneratedDatabaseError,
  isDatabaseEmpty,
  seedDatabase,
} from '../../../tools/seed/seed';
import { TEST_ENGINES, createTestDatabase, testConfig } from '../../support/test-env';
import { rawRows, scalar } from './db-helpers';

const SEED_CLI = resolve(__dirname, '../../../dist/scripts/seed.js');

/** Runs the built db:seed script against a database; resolves with its exit code and output. */
function runSeedCli(config: AppConfig, args: string[]): Promise<{ code: number | null; output: string }> {
  const { db } = config;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [SEED_CLI, ...args], {
      env: {
        ...process.env,
        DB_ENGINE: db.flavor,
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.name,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

describe.each(TEST_ENGINES)('seeding rules on %s', (engine) => {
  let config: AppConfig;
  const passengers = () => scalar(config.db, 'SELECT COUNT(*) FROM passenger');
  const addMarkerPassenger = () =>
    rawRows(
      config.db,
      `INSERT INTO passenger (passportno, firstname, lastname) VALUES ('XX0000042', 'Marker', 'Row')`,
    );

  beforeEach(() => {
    config = testConfig(engine);
  });
  afterEach(() => dropDatabase(config.db));

  it('treats a missing or schema-only database as empty, and one with rows as not empty', async () => {
    expect(await isDatabaseEmpty(config.db)).toBe(true);
    await createTestDatabase(config);
    expect(await isDatabaseEmpty(config.db)).toBe(true);
    await addMarkerPassenger();
    expect(await isDatabaseEmpty(config.db)).toBe(false);
  });

  it('refuses to seed a database that holds data, and leaves it untouched (API and db:seed, exit code 1)', async () => {
    expect(existsSync(SEED_CLI)).toBe(true); // built by `npm test` (npm run build)
    await seedDatabase(config.db, { scale: 'tiny' });
    await addMarkerPassenger();
    const before = await passengers();
    await expect(seedDatabase(config.db, { scale: 'tiny' })).rejects.toBeInstanceOf(DatabaseNotEmptyError);
    const refused = await runSeedCli(config, ['--scale', 'tiny']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('already holds FlughafenDB data');
    expect(refused.output).toContain('--reset');
    const bad = await runSeedCli(config, ['--scale', 'huge']);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('Invalid --scale "huge"');
    expect(await passengers()).toBe(before);
  });

  it('--reset drops and regenerates a generated database (API and db:seed)', async () => {
    const first = await seedDatabase(config.db, { scale: 'tiny' });
    await addMarkerPassenger();
    const summary = await seedDatabase(config.db, { scale: 'tiny', reset: true });
    expect(summary.tables).toEqual(first.tables.map((t) => ({ ...t, seconds: expect.any(Number) })));
    expect(await scalar(config.db, `SELECT COUNT(*) FROM passenger WHERE passportno = 'XX0000042'`)).toBe(0);
    await addMarkerPassenger();
    const reset = await runSeedCli(config, ['--scale', 'tiny', '--reset']);
    expect(reset.code).toBe(0);
    expect(reset.output).toMatch(/booking\s+[\d,]+/);
    expect(await scalar(config.db, `SELECT COUNT(*) FROM passenger WHERE passportno = 'XX0000042'`)).toBe(0);
  });

  it('--reset refuses to drop a database it did not generate unless forced', async () => {
    await createTestDatabase(config);
    await rawRows(
      config.db,
      `INSERT INTO airport (airport_id, iata, icao, name) VALUES (1, 'QQ9', 'QQQ9', 'Imported dump airport')`,
    );
    await expect(seedDatabase(config.db, { scale: 'tiny', reset: true })).rejects.toBeInstanceOf(
      NotGeneratedDatabaseError,
    );
    expect(await scalar(config.db, `SELECT COUNT(*) FROM airport WHERE icao = 'QQQ9'`)).toBe(1);
    await seedDatabase(config.db, { scale: 'tiny', reset: true, force: true });
    expect(await scalar(config.db, `SELECT COUNT(*) FROM airport WHERE icao = 'QQQ9'`)).toBe(0);
  });
});
