import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Connection, createConnection } from 'mysql2/promise';
import type { DbSettings } from '@app/platform';
import type { TableSource } from './generator';

/** Target size of one chunk handed to the database driver. */
const CHUNK_BYTES = 1 << 20;
/** Stop producing while this much is still queued on the socket, so memory stays flat at any scale. */
const MAX_QUEUED_BYTES = 16 << 20;

/**
 * Streams a table's lines in ~1 MB buffers, reporting rows as they are produced. mysql2 reads a LOCAL INFILE stream
 * in flowing mode without backpressure, so when a `socket` is given, production pauses while more than
 * MAX_QUEUED_BYTES wait in it (pg-copy-streams applies backpressure through pipeline() itself).
 */
class LineStream extends Readable {
  private readonly lines: Iterator<string>;
  private waiting = false;

  constructor(
    source: TableSource,
    private readonly onRows: (rows: number) => void,
    private readonly socket?: Writable,
  ) {
    super();
    this.lines = source.lines()[Symbol.iterator]();
  }

  override _read(): void {
    if (this.socket && this.socket.writableLength > MAX_QUEUED_BYTES) {
      if (!this.waiting) {
        this.waiting = true;
        this.socket.once('drain', () => {
          this.waiting = false;
          this._read();
        });
      }
      return;
    }
    try {
      let chunk = '';
      let rows = 0;
      for (;;) {
        const next = this.lines.next();
        if (next.done) {
          if (chunk) this.push(Buffer.from(chunk, 'utf8'));
          this.onRows(rows);
          this.push(null);
          return;
        }
        chunk += next.value;
        rows++;
        if (chunk.length >= CHUNK_BYTES) break;
      }
      this.onRows(rows);
      this.push(Buffer.from(chunk, 'utf8'));
    } catch (e) {
      this.destroy(e as Error);
    }
  }
}

export interface BulkLoader {
  /** Prepares the session (and, where that is faster, sheds the tables' constraints to rebuild after the load). */
  open(tables: string[]): Promise<void>;
  /** Streams one table in; resolves with the number of rows the database accepted. */
  load(source: TableSource, onRows: (rows: number) => void): Promise<number>;
  /** Rebuilds what open() removed, fixes sequences, updates statistics. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export function createBulkLoader(db: DbSettings): BulkLoader {
  return db.engine === 'postgres' ? new PostgresBulkLoader(db) : new MysqlBulkLoader(db);
}

// ---------------------------------------------------------------------------------------------- MySQL/MariaDB

const myId = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * The big tables whose secondary indexes and foreign keys are dropped before LOAD DATA and added back afterwards in
 * one ALTER TABLE each: InnoDB then builds every index by sorting once instead of inserting row by row.
 */
const MYSQL_SHED_TABLES = ['flight', 'booking'];

/** LOAD DATA LOCAL INFILE from a generated stream; foreign-key and unique checks are off for the session. */
export class MysqlBulkLoader implements BulkLoader {
  private conn?: Connection;
  private readonly loaded: string[] = [];
  /** ALTER TABLE statements that restore what was shed, in order; emptied once they ran. */
  private rebuild: string[] = [];

  constructor(private readonly db: DbSettings) {}

  async open(tables: string[]): Promise<void> {
    this.conn = await createConnection({
      host: this.db.host,
      port: this.db.port,
      user: this.db.user,
      password: this.db.password,
      database: this.db.name,
      flags: ['+LOCAL_FILES'],
      connectTimeout: 5000,
    });
    // The generator guarantees referential integrity and uniqueness; checking each row again only slows the load.
    await this.conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
    for (const table of MYSQL_SHED_TABLES.filter((t) => tables.includes(t))) await this.shed(table);
  }

  /**
   * Drops a table's secondary indexes and foreign keys. Their definitions are taken verbatim from SHOW CREATE TABLE,
   * so the ALTER TABLE that adds them back recreates exactly what the migration made.
   */
  private async shed(table: string): Promise<void> {
    const conn = this.conn!;
    const [[created]] = (await conn.query(`SHOW CREATE TABLE ${myId(table)}`)) as unknown as [
      Array<{ 'Create Table': string }>,
    ];
    const lines = created['Create Table'].split('\n').map((l) => l.trim().replace(/,$/, ''));
    const indexes = lines.filter((l) => /^(UNIQUE |FULLTEXT |SPATIAL )?KEY `/.test(l));
    const foreignKeys = lines.filter((l) => /^CONSTRAINT `[^`]+` FOREIGN KEY/.test(l));
    const nameOf = (line: string) => /`((?:[^`]|``)+)`/.exec(line)![1];
    if (foreignKeys.length > 0) {
      const drops = foreignKeys.map((l) => `DROP FOREIGN KEY \`${nameOf(l)}\``);
      await conn.query(`ALTER TABLE ${myId(table)} ${drops.join(', ')}`);
    }
    if (indexes.length > 0) {
      await conn.query(
        `ALTER TABLE ${myId(table)} ${indexes.map((l) => `DROP INDEX \`${nameOf(l)}\``).join(', ')}`,
      );
    }
    const adds = [...indexes, ...foreignKeys].map((l) => `ADD ${l}`);
    if (adds.length > 0) this.rebuild.push(`ALTER TABLE ${myId(table)} ${adds.join(', ')}`);
  }

  /** Restores what shed() removed (also after a failed load, so the schema is never left without its indexes). */
  private async restore(): Promise<void> {
    while (this.rebuild.length > 0) await this.conn!.query(this.rebuild.shift()!);
  }

  async load(source: TableSource, onRows: (rows: number) => void): Promise<number> {
    const conn = this.conn!;
    const socket = (conn as unknown as { connection: { stream: Writable } }).connection.stream;
    const set = source.mysqlSet ?? {};
    const columns = source.columns.map((c) => (c in set ? `@${c}` : myId(c))).join(', ');
    const assignments = Object.entries(set).map(([c, expr]) => `${myId(c)} = ${expr}`);
    const sql =
      `LOAD DATA LOCAL INFILE 'generated:${source.table}' INTO TABLE ${myId(source.table)} CHARACTER SET utf8mb4 ` +
      `(${columns})${assignments.length ? ` SET ${assignments.join(', ')}` : ''}`;
    const [result] = await conn.query({
      sql,
      infileStreamFactory: () => new LineStream(source, onRows, socket),
    } as Parameters<Connection['query']>[0]);
    const { affectedRows, warningStatus } = result as { affectedRows: number; warningStatus: number };
    if (warningStatus > 0) {
      // LOAD DATA turns bad values into warnings; a generator bug must fail loudly instead.
      const [warnings] = await conn.query('SHOW WARNINGS LIMIT 3');
      throw new Error(
        `Loading ${source.table} raised ${warningStatus} warning(s): ${JSON.stringify(warnings)}`,
      );
    }
    this.loaded.push(source.table);
    return affectedRows;
  }

  async finish(): Promise<void> {
    const conn = this.conn!;
    await this.restore();
    await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
    // Fresh statistics so the optimizer sees the real table sizes right away.
    await conn.query(`ANALYZE TABLE ${this.loaded.map(myId).join(', ')}`);
  }

  async close(): Promise<void> {
    if (!this.conn) return;
    await this.restore().catch(() => undefined);
    await this.conn.end();
    this.conn = undefined;
  }
}

// ---------------------------------------------------------------------------------------------- PostgreSQL

const pgId = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * COPY FROM STDIN inside one transaction: a failed load leaves the database as it was. Tables are truncated in the
 * same transaction so COPY can FREEZE rows (no later hint-bit rewrite).
 */
export class PostgresBulkLoader implements BulkLoader {
  private client?: Client;
  private readonly loaded: string[] = [];
  /** Statements that restore the constraints and indexes shed before the load. */
  private rebuild: string[] = [];

  constructor(private readonly db: DbSettings) {}

  async open(tables: string[]): Promise<void> {
    this.client = new Client({
      host: this.db.host,
      port: this.db.port,
      user: this.db.user,
      password: this.db.password,
      database: this.db.name,
      connectionTimeoutMillis: 5000,
    });
    await this.client.connect();
    await this.client.query('BEGIN');
    await this.client.query(`SET LOCAL synchronous_commit = off`);
    // Index builds after the load sort in memory instead of spilling to disk.
    await this.client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await this.shedConstraints(tables);
  }

  /**
   * Per-row foreign-key triggers and index maintenance make COPY several times slower than building them once
   * afterwards. The definitions are read from the catalogue, so finish() recreates exactly what the migration made.
   */
  private async shedConstraints(tables: string[]): Promise<void> {
    const client = this.client!;
    const constraints: Array<{ table: string; name: string; type: string; def: string }> = (
      await client.query(
        `SELECT cl.relname AS table, co.conname AS name, co.contype AS type, pg_get_constraintdef(co.oid) AS def
           FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
          WHERE cl.relnamespace = current_schema()::regnamespace
            AND ((co.contype IN ('p', 'u') AND cl.relname = ANY($1))
              -- Foreign keys from other tables (e.g. the project's own) that point at a loaded table count too.
              OR (co.contype = 'f' AND (cl.relname = ANY($1) OR co.confrelid IN
                   (SELECT oid FROM pg_class WHERE relname = ANY($1) AND relnamespace = current_schema()::regnamespace))))
          ORDER BY co.conname`,
        [tables],
      )
    ).rows;
    const indexes: Array<{ name: string; def: string }> = (
      await client.query(
        `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
          WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conname = i.indexname AND c.contype IN ('p', 'u')
                               AND c.connamespace = current_schema()::regnamespace)
          ORDER BY i.indexname`,
        [tables],
      )
    ).rows;
    const foreign = constraints.filter((c) => c.type === 'f');
    const keys = constraints.filter((c) => c.type !== 'f');
    // Foreign keys depend on the referenced keys: drop them first, recreate them last.
    for (const c of [...foreign, ...keys]) {
      await client.query(`ALTER TABLE ${pgId(c.table)} DROP CONSTRAINT ${pgId(c.name)}`);
    }
    for (const i of indexes) await client.query(`DROP INDEX ${pgId(i.name)}`);
    this.rebuild = [
      ...keys.map((c) => `ALTER TABLE ${pgId(c.table)} ADD CONSTRAINT ${pgId(c.name)} ${c.def}`),
      ...indexes.map((i) => i.def),
      ...foreign.map((c) => `ALTER TABLE ${pgId(c.table)} ADD CONSTRAINT ${pgId(c.name)} ${c.def}`),
    ];
  }

  async load(source: TableSource, onRows: (rows: number) => void): Promise<number> {
    const client = this.client!;
    const columns = source.columns.map(pgId).join(', ');
    await client.query(`TRUNCATE ${pgId(source.table)} CASCADE`);
    const copy = client.query(copyFrom(`COPY ${pgId(source.table)} (${columns}) FROM STDIN WITH (FREEZE)`));
    await pipeline(new LineStream(source, onRows), copy);
    this.loaded.push(source.table);
    return copy.rowCount;
  }

  async finish(): Promise<void> {
    const client = this.client!;
    for (const sql of this.rebuild) await client.query(sql);
    // Rows came with explicit ids: move each serial sequence past them.
    const serials: Array<{ table: string; column: string; seq: string }> = (
      await client.query(
        `SELECT c.table_name AS table, c.column_name AS column,
                pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
           FROM information_schema.columns c
          WHERE c.table_schema = current_schema() AND c.column_default LIKE 'nextval(%'`,
      )
    ).rows;
    for (const s of serials) {
      if (!this.loaded.includes(s.table) || !s.seq) continue;
      await client.query(
        `SELECT setval($1, COALESCE((SELECT MAX(${pgId(s.column)}) FROM ${pgId(s.table)}), 0) + 1, false)`,
        [s.seq],
      );
    }
    await client.query('COMMIT');
    await client.query(`ANALYZE ${this.loaded.map(pgId).join(', ')}`);
  }

  async close(): Promise<void> {
    if (!this.client) return;
    // A load that failed midway is rolled back as a whole.
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end();
    this.client = undefined;
  }
}
