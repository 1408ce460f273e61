import { DataSource, DataSourceOptions } from 'typeorm';
import { types as pgTypes } from 'pg';
import { AppConfig } from '../config/config';
import { Dialect } from './dialect';
import { MIGRATIONS } from './migrations';

// FlughafenDB timestamps carry no zone; the project treats them as UTC on both engines.
pgTypes.setTypeParser(1114, (value: string) => new Date(value.replace(' ', 'T') + 'Z'));

export type DbSettings = AppConfig['db'];

export function dataSourceOptions(
  db: DbSettings,
  overrides: Partial<DataSourceOptions> = {},
): DataSourceOptions {
  const common = {
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.name,
    migrations: MIGRATIONS,
    migrationsTableName: 'cmiyc_migrations',
    synchronize: false,
    logging: false,
  };
  if (db.engine === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      extra: { max: db.poolSize, connectionTimeoutMillis: 5000 },
      ...overrides,
    } as DataSourceOptions;
  }
  return {
    ...common,
    type: db.flavor === 'mariadb' ? 'mariadb' : 'mysql',
    timezone: 'Z',
    // Bulk loading uses LOAD DATA LOCAL INFILE from a stream.
    extra: {
      connectionLimit: db.poolSize,
      connectTimeout: 5000,
      flags: ['+LOCAL_FILES'],
      decimalNumbers: false,
    },
    ...overrides,
  } as DataSourceOptions;
}

export function createDataSource(db: DbSettings, overrides: Partial<DataSourceOptions> = {}): DataSource {
  return new DataSource(dataSourceOptions(db, overrides));
}

/**
 * Runs `work` on a one-connection data source to the server's default database (`postgres` on PostgreSQL, none on
 * MySQL/MariaDB): the database named in `db` may not exist yet, or is about to be dropped.
 */
async function withAdminConnection(
  db: DbSettings,
  work: (admin: DataSource) => Promise<void>,
): Promise<void> {
  const admin = createDataSource({ ...db, name: db.engine === 'postgres' ? 'postgres' : '', poolSize: 1 }, {
    migrations: [],
  } as Partial<DataSourceOptions>);
  await admin.initialize();
  try {
    await work(admin);
  } finally {
    await admin.destroy();
  }
}

/** The database name as a quoted identifier of the engine. */
function quotedName(db: DbSettings): string {
  return new Dialect(db.engine).id(db.name);
}

/** Creates the database named in `db` if it does not exist, by connecting to the server's default database. */
export async function ensureDatabase(db: DbSettings): Promise<void> {
  await withAdminConnection(db, async (admin) => {
    if (db.engine === 'postgres') {
      const rows = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
      if (rows.length === 0) await admin.query(`CREATE DATABASE ${quotedName(db)}`);
    } else {
      await admin.query(
        `CREATE DATABASE IF NOT EXISTS ${quotedName(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    }
  });
}

/** Drops the database named in `db` (tests and `--reset`). */
export async function dropDatabase(db: DbSettings): Promise<void> {
  await withAdminConnection(db, async (admin) => {
    const force = db.engine === 'postgres' ? ' WITH (FORCE)' : '';
    await admin.query(`DROP DATABASE IF EXISTS ${quotedName(db)}${force}`);
  });
}
