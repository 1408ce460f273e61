import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@app/platform';
import { createDataSource, dropDatabase } from '@app/platform';
import { migrateDatabase } from '@app/platform';
import { createBulkLoader } from './bulk-loader';
import { FlughafenGenerator } from './generator';
import { Scale } from './scales';

export interface SeedOptions {
  scale: Scale;
  /** Same seed (and same `today`) = same rows on every engine. Default 1. */
  seed?: number;
  /** Drop and recreate the database first (refused for a database this generator did not create, see `force`). */
  reset?: boolean;
  /** Allow `reset` to drop a database that does not look generated (e.g. an imported real dump). */
  force?: boolean;
  /** Flights straddle this day (UTC). Default: now. */
  today?: Date;
  onProgress?: (p: SeedProgress) => void;
}

export interface SeedProgress {
  table: string;
  /** Rows of this table sent so far, and its total. */
  done: number;
  total: number;
  /** Rows of all tables sent so far, and their total. */
  allDone: number;
  allTotal: number;
}

export interface SeedTableSummary {
  table: string;
  rows: number;
  seconds: number;
}

export interface SeedSummary {
  scale: Scale;
  seed: number;
  database: string;
  tables: SeedTableSummary[];
  totalRows: number;
  /** Wall time including schema creation and index/statistics work. */
  seconds: number;
  /** Where the time went: schema (reset + migrations), streaming rows in, rebuilding keys/indexes + statistics. */
  phases: { schemaSeconds: number; loadSeconds: number; rebuildSeconds: number };
}

/** The per-table summary as an aligned text table: table, rows, seconds, rows/s. */
export function formatSeedTable(summary: SeedSummary): string {
  const rows = summary.tables.map((t) => [
    t.table,
    t.rows.toLocaleString('en-US'),
    t.seconds.toFixed(2),
    t.seconds > 0 ? Math.round(t.rows / t.seconds).toLocaleString('en-US') : '-',
  ]);
  const header = ['table', 'rows', 'seconds', 'rows/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Seeding refused: the database already holds data. */
export class DatabaseNotEmptyError extends Error {
  constructor(database: string) {
    super(
      `Database "${database}" already holds FlughafenDB data; refusing to add generated rows to it. ` +
        `Use --reset to drop and regenerate it, or choose another DB_NAME.`,
    );
    this.name = 'DatabaseNotEmptyError';
  }
}

/** Reset refused: the database does not look like one this generator created. */
export class NotGeneratedDatabaseError extends Error {
  constructor(database: string) {
    super(
      `Database "${database}" holds data this generator did not create (an imported dump?); refusing to drop it. ` +
        `Choose another DB_NAME, or add --force if you really want it dropped.`,
    );
    this.name = 'NotGeneratedDatabaseError';
  }
}

const DATA_TABLES = ['airport', 'flight', 'booking', 'passenger'];

/** Opens the database, or returns null when it does not exist. */
async function openExisting(db: AppConfig['db']): Promise<DataSource | null> {
  const ds = createDataSource({ ...db, poolSize: 1 }, { migrations: [] });
  try {
    await ds.initialize();
    return ds;
  } catch (e) {
    const code = (e as { code?: string }).code;
    // MySQL/MariaDB: unknown database; PostgreSQL: invalid_catalog_name.
    if (code === 'ER_BAD_DB_ERROR' || code === '3D000') return null;
    throw e;
  }
}

async function hasTable(ds: DataSource, table: string): Promise<boolean> {
  const runner = ds.createQueryRunner();
  try {
    return await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}

/** True when the database is missing, has no FlughafenDB tables, or they hold no rows. */
export async function isDatabaseEmpty(db: AppConfig['db']): Promise<boolean> {
  const ds = await openExisting(db);
  if (!ds) return true;
  try {
    for (const table of DATA_TABLES) {
      if (!(await hasTable(ds, table))) continue;
      const rows: unknown[] = await ds.query(`SELECT 1 FROM ${table} LIMIT 1`);
      if (rows.length > 0) return false;
    }
    return true;
  } finally {
    await ds.destroy();
  }
}

/** The generator's fingerprint: its first airport, airline and aircraft type are always these. */
async function looksGenerated(db: AppConfig['db']): Promise<boolean> {
  const ds = await openExisting(db);
  if (!ds) return true;
  try {
    if (!(await hasTable(ds, 'airport')) || !(await hasTable(ds, 'airline'))) return false;
    const airport: Array<{ icao: string }> = await ds.query(`SELECT icao FROM airport WHERE airport_id = 1`);
    const airline: Array<{ iata: string }> = await ds.query(`SELECT iata FROM airline WHERE airline_id = 1`);
    return airport[0]?.icao === 'KJFK' && airline[0]?.iata === 'AA';
  } finally {
    await ds.destroy();
  }
}

/**
 * Creates the database and schema if needed and fills it with deterministic FlughafenDB data at the given scale,
 * by bulk loading (LOAD DATA LOCAL INFILE / COPY) straight from the generator.
 */
export async function seedDatabase(db: AppConfig['db'], opts: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const seed = opts.seed ?? 1;
  if (opts.reset) {
    if (!opts.force && !(await isDatabaseEmpty(db)) && !(await looksGenerated(db))) {
      throw new NotGeneratedDatabaseError(db.name);
    }
    await dropDatabase(db);
  }
  await migrateDatabase(db);
  if (!(await isDatabaseEmpty(db))) throw new DatabaseNotEmptyError(db.name);
  const schemaDone = performance.now();

  const generator = new FlughafenGenerator(opts.scale, seed, opts.today ?? new Date());
  const sources = generator.tables();
  const allTotalRows = sources.reduce((sum, s) => sum + s.rows, 0);
  let allRows = 0;
  const tables: SeedTableSummary[] = [];
  const loader = createBulkLoader(db);
  const phases = { schemaSeconds: (schemaDone - started) / 1000, loadSeconds: 0, rebuildSeconds: 0 };
  try {
    await loader.open(sources.map((s) => s.table));
    for (const source of sources) {
      const tableStarted = performance.now();
      let rows = 0;
      const report = () =>
        opts.onProgress?.({
          table: source.table,
          done: rows,
          total: source.rows,
          allDone: allRows,
          allTotal: allTotalRows,
        });
      report();
      const accepted = await loader.load(source, (n) => {
        rows += n;
        allRows += n;
        report();
      });
      if (accepted !== source.rows) {
        throw new Error(`Loading ${source.table}: the database accepted ${accepted} of ${source.rows} rows`);
      }
      tables.push({
        table: source.table,
        rows: accepted,
        seconds: (performance.now() - tableStarted) / 1000,
      });
    }
    const loadDone = performance.now();
    phases.loadSeconds = (loadDone - schemaDone) / 1000;
    await loader.finish();
    phases.rebuildSeconds = (performance.now() - loadDone) / 1000;
  } finally {
    await loader.close();
  }
  return {
    scale: opts.scale,
    seed,
    database: db.name,
    tables,
    totalRows: allRows,
    seconds: (performance.now() - started) / 1000,
    phases,
  };
}
