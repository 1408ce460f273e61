import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { createPool as createMysqlPool, Pool as MysqlPool, PoolConnection } from 'mysql2/promise';
import { Pool as PgPool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, isDatabaseUnreachable } from '@app/platform';
import type { AskResult } from '@app/contracts';
import { askPolicy } from './knowledge-base';

/** Rows of one guarded statement as read by the read-only user. */
export type AskRows = Omit<AskResult, 'sql'>;

/** The statement ran past ASK_STATEMENT_TIMEOUT_MS and the database stopped it. */
export class StatementTimeoutError extends UnprocessableEntityException {}

const MYSQL_TIMEOUT_ERRNOS = new Set([1969, 3024]); // MariaDB max_statement_time, MySQL max_execution_time
const PG_QUERY_CANCELED = '57014';

/**
 * The database as generated SQL sees it: its own small pool, logged in as ASK_DB_USER, which has SELECT on the
 * allowed tables (and columns) and nothing else. Every statement runs in a READ ONLY transaction that is rolled
 * back, with the statement timeout set for the session, the transaction and (on MariaDB and PostgreSQL) the user
 * itself. So even SQL that got past the guard can neither write nor run for long.
 *
 * The user is created (or its password and grants refreshed) on first use, as DB_USER, unless ASK_DB_PROVISION is
 * false; either way it is checked before use, and a user with more than SELECT is refused.
 */
@Injectable()
export class ReadOnlyDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('ReadOnlyDatabase');
  private ready?: Promise<void>;
  private mysql?: MysqlPool;
  private pg?: PgPool;
  private mariadb = false;
  state: 'not-yet-provisioned' | 'ready' | 'failed' = 'not-yet-provisioned';
  reason?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ds: DataSource,
  ) {}

  get user(): string {
    return this.config.ask.dbUser;
  }

  private get timeoutMs(): number {
    return this.config.ask.statementTimeoutMs;
  }

  /** Provisions and checks the user and opens the pool, once; a failure is retried by the next call. */
  ensureReady(): Promise<void> {
    this.ready ??= this.prepare().then(
      () => {
        this.state = 'ready';
        this.reason = undefined;
      },
      (e: Error) => {
        this.ready = undefined;
        this.state = 'failed';
        this.reason = e.message;
        this.logger.warn(`read-only user ${this.user} not available: ${e.message}`);
        if (e instanceof HttpException) throw e;
        throw new ServiceUnavailableException(
          `the read-only database user ${this.user} is not available: ${e.message}`,
        );
      },
    );
    return this.ready;
  }

  /** Runs one statement (already guarded) as the read-only user. */
  async run(sql: string): Promise<AskRows & { ms: number }> {
    await this.ensureReady();
    const started = performance.now();
    try {
      const rows = this.config.db.engine === 'postgres' ? await this.runPg(sql) : await this.runMysql(sql);
      return { ...rows, ms: performance.now() - started };
    } catch (e) {
      throw this.translate(e);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.mysql?.end(), this.pg?.end()]);
  }

  // -------------------------------------------------------------------------------------------------------------

  private translate(e: unknown): Error {
    if (e instanceof HttpException) return e;
    const err = e as { errno?: number; code?: string; message?: string };
    if (
      (typeof err.errno === 'number' && MYSQL_TIMEOUT_ERRNOS.has(err.errno)) ||
      err.code === PG_QUERY_CANCELED
    )
      return new StatementTimeoutError(
        `the query ran longer than ${this.timeoutMs} ms (ASK_STATEMENT_TIMEOUT_MS) and was stopped by the database`,
      );
    if (isDatabaseUnreachable(e))
      return new ServiceUnavailableException(`the database is unavailable: ${err.message ?? e}`);
    return new UnprocessableEntityException(`the database refused the query: ${err.message ?? e}`);
  }

  private async runMysql(sql: string): Promise<AskRows> {
    const conn: PoolConnection = await this.mysql!.getConnection();
    let broken = false;
    try {
      await conn.query('START TRANSACTION READ ONLY');
      try {
        const [rows, fields] = await conn.query({ sql, rowsAsArray: true });
        return shape(
          (fields ?? []).map((f) => f.name),
          rows as unknown as unknown[][],
        );
      } finally {
        await conn.query('ROLLBACK');
      }
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      // A connection in an unknown state (an interrupted statement) is not given back to the pool.
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  private async runPg(sql: string): Promise<AskRows> {
    const client: PoolClient = await this.pg!.connect();
    let broken = false;
    try {
      await client.query('BEGIN READ ONLY');
      try {
        await client.query(`SET LOCAL statement_timeout = ${Math.floor(this.timeoutMs)}`);
        // The extended protocol: the server itself refuses more than one statement in it.
        const r = await client.query({ text: sql, rowMode: 'array', queryMode: 'extended' } as never);
        const result = r as unknown as { fields: Array<{ name: string }>; rows: unknown[][] };
        return shape(
          result.fields.map((f) => f.name),
          result.rows,
        );
      } finally {
        // Rolled back whatever happened: SET LOCAL, and any set_config that slipped through, end with it.
        await client.query('ROLLBACK').catch(() => (broken = true));
      }
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private async prepare(): Promise<void> {
    const db = this.config.db;
    if (db.engine === 'postgres') {
      if (this.config.ask.provision) await this.provisionPg();
      await this.checkPg();
      this.pg = new PgPool({
        host: db.host,
        port: db.port,
        user: this.user,
        password: this.config.ask.dbPassword,
        database: db.name,
        max: 2,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 5000,
        // Also for the session: read-only transactions and the timeout even outside ours.
        options: `-c default_transaction_read_only=on -c statement_timeout=${this.timeoutMs}`,
      });
      this.pg.on('error', (e) => this.logger.warn(`read-only pool: ${e.message}`));
      await this.runPg('SELECT 1');
      return;
    }
    const [{ v }] = (await this.ds.query('SELECT VERSION() AS v')) as Array<{ v: string }>;
    this.mariadb = /mariadb/i.test(v);
    if (this.config.ask.provision) await this.provisionMysql();
    await this.checkMysql();
    const timeout = this.mariadb
      ? `SET SESSION max_statement_time = ${this.timeoutMs / 1000}`
      : `SET SESSION max_execution_time = ${Math.floor(this.timeoutMs)}`;
    this.mysql = createMysqlPool({
      host: db.host,
      port: db.port,
      user: this.user,
      password: this.config.ask.dbPassword,
      database: db.name,
      connectionLimit: 2,
      connectTimeout: 5000,
      // Never: one statement per query is also what the server will accept from this pool.
      multipleStatements: false,
      timezone: 'Z',
      decimalNumbers: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    (
      this.mysql as unknown as {
        pool: { on(e: string, f: (c: { query: (s: string) => void }) => void): void };
      }
    ).pool.on('connection', (c) => {
      c.query(timeout);
      c.query('SET SESSION TRANSACTION READ ONLY');
    });
    await this.runMysql('SELECT 1');
  }

  /** Allowed tables with the columns to grant (null: the whole table). */
  private grants(): Array<{ table: string; columns: string[] | null }> {
    const policy = askPolicy();
    return [...policy.tables].map(([table, columns]) => ({
      table,
      columns: policy.restricted.has(table) ? [...columns] : null,
    }));
  }

  private async provisionMysql(): Promise<void> {
    const user = `${sqlString(this.user)}@'%'`;
    const password = sqlString(this.config.ask.dbPassword);
    const dbName = `\`${this.config.db.name.replace(/`/g, '``')}\``;
    await this.ds.query(`CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY ${password}`);
    await this.ds.query(
      `ALTER USER ${user} IDENTIFIED BY ${password}${this.mariadb ? ` WITH MAX_STATEMENT_TIME ${this.timeoutMs / 1000}` : ''}`,
    );
    for (const g of this.grants()) {
      const cols = g.columns ? ` (${g.columns.map((c) => `\`${c}\``).join(', ')})` : '';
      await this.ds.query(`GRANT SELECT${cols} ON ${dbName}.\`${g.table}\` TO ${user}`);
    }
  }

  /** The user may hold SELECT on this database's allowed tables (or their columns) and nothing else. */
  private async checkMysql(): Promise<void> {
    const rows = (await this.ds.query(`SHOW GRANTS FOR ${sqlString(this.user)}@'%'`)) as Array<
      Record<string, string>
    >;
    const allowed = new Set(this.grants().map((g) => g.table));
    for (const row of rows) {
      const line = Object.values(row)[0];
      if (/^GRANT USAGE ON \*\.\* TO /i.test(line)) continue;
      const m = /^GRANT (SELECT(?: \([^)]*\))?(?:, SELECT \([^)]*\))*) ON `([^`]+)`\.`([^`]+)` TO /i.exec(
        line,
      );
      if (!m || m[2] !== this.config.db.name || !allowed.has(m[3])) {
        // Grants on other databases are theirs; anything but SELECT on an allowed table here is not acceptable.
        if (m && m[2] !== this.config.db.name) continue;
        throw new Error(`${this.user} has more than SELECT on the allowed tables: ${line}`);
      }
    }
  }

  private async provisionPg(): Promise<void> {
    const role = pgIdent(this.user);
    const password = sqlString(this.config.ask.dbPassword);
    for (let attempt = 1; ; attempt++) {
      try {
        const exists = await this.ds.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [this.user]);
        if (exists.length === 0) await this.ds.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password}`);
        await this.ds.query(`ALTER ROLE ${role} WITH LOGIN NOINHERIT PASSWORD ${password}`);
        await this.ds.query(`ALTER ROLE ${role} SET statement_timeout = ${Math.floor(this.timeoutMs)}`);
        await this.ds.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
        await this.ds.query(`GRANT CONNECT ON DATABASE ${pgIdent(this.config.db.name)} TO ${role}`);
        await this.ds.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
        for (const g of this.grants()) {
          if (g.columns) {
            await this.ds.query(`REVOKE ALL ON ${pgIdent(g.table)} FROM ${role}`);
            await this.ds.query(
              `GRANT SELECT (${g.columns.map(pgIdent).join(', ')}) ON ${pgIdent(g.table)} TO ${role}`,
            );
          } else await this.ds.query(`GRANT SELECT ON ${pgIdent(g.table)} TO ${role}`);
        }
        return;
      } catch (e) {
        // Another process provisioning the same role at the same moment: try again.
        const code = (e as { driverError?: { code?: string }; code?: string }).driverError?.code;
        if (attempt < 5 && (code === 'XX000' || code === '23505' || code === '42710')) continue;
        throw e;
      }
    }
  }

  /** No superuser, no role creation, no membership in another role, no write privilege on any allowed table. */
  private async checkPg(): Promise<void> {
    const [role] = (await this.ds.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`,
      [this.user],
    )) as Array<Record<string, boolean>>;
    if (!role) throw new Error(`role ${this.user} does not exist (ASK_DB_PROVISION=false)`);
    const powers = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'].filter(
      (k) => role[k],
    );
    if (powers.length) throw new Error(`${this.user} must be a plain role, but has ${powers.join(', ')}`);
    const memberOf = (await this.ds.query(
      `SELECT r.rolname FROM pg_roles r WHERE r.rolname <> $1 AND pg_has_role($1, r.oid, 'MEMBER')`,
      [this.user],
    )) as Array<{ rolname: string }>;
    if (memberOf.length)
      throw new Error(`${this.user} is a member of ${memberOf.map((r) => r.rolname).join(', ')}`);
    const writable = (await this.ds.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p')
         AND has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')`,
      [this.user],
    )) as Array<{ relname: string }>;
    if (writable.length)
      throw new Error(`${this.user} may write to ${writable.map((r) => r.relname).join(', ')}`);
  }
}

/** Column names made unique (a join may return two `name` columns) and rows as objects in column order. */
function shape(names: string[], rows: unknown[][]): AskRows {
  const seen = new Map<string, number>();
  const columns = names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k + 1}`;
  });
  return {
    columns,
    rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, plain(r[i])]))),
  };
}

/** Values as JSON carries them: dates as ISO strings, buffers as hex, bigints as strings. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** A string literal both engines read the same way (no backslashes: refused rather than escaped). */
export function sqlString(s: string): string {
  if (s.includes('\\')) throw new Error('database user names and passwords must not contain backslashes');
  return `'${s.replace(/'/g, "''")}'`;
}

function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
