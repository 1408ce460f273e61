import { createHash } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { Client, CustomTypesConfig } from 'pg';
import type { AppConfig } from '@app/platform';

type Db = AppConfig['db'];

/**
 * Runs SQL on a fresh connection and returns every value as the engine's own text (no driver conversion of
 * dates, decimals or points), so rows from MariaDB and PostgreSQL can be compared byte for byte.
 */
export async function rawRows(db: Db, sql: string): Promise<string[][]> {
  if (db.engine === 'postgres') {
    const client = new Client({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.name,
    });
    await client.connect();
    try {
      const types = { getTypeParser: () => (value: string) => value } as unknown as CustomTypesConfig;
      const result = await client.query({ text: sql, rowMode: 'array', types });
      return ((result.rows ?? []) as unknown[][]).map((r) => r.map(normalize));
    } finally {
      await client.end();
    }
  }
  const conn = await createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.name,
    dateStrings: true,
    decimalNumbers: false,
    rowsAsArray: true,
  });
  try {
    const [rows] = await conn.query(sql);
    // Statements without a result set (INSERT...) return a header, not rows.
    return Array.isArray(rows) ? (rows as unknown[][]).map((r) => r.map(normalize)) : [];
  } finally {
    await conn.end();
  }
}

function normalize(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  // mysql2 decodes POINT into {x, y}; PostgreSQL prints it as (x,y).
  if (typeof value === 'object' && 'x' in (value as object)) {
    const p = value as { x: number; y: number };
    return `(${p.x},${p.y})`;
  }
  // PostgreSQL pads char(n); MySQL/MariaDB strip the padding.
  return String(value).trimEnd();
}

/** SHA-256 over every row of a table (rows sorted, so the engines' collations do not matter). */
export async function tableChecksum(db: Db, table: string): Promise<{ rows: number; sha256: string }> {
  const rows = (await rawRows(db, `SELECT * FROM ${table}`)).map((r) => r.join('\t')).sort();
  return { rows: rows.length, sha256: createHash('sha256').update(rows.join('\n')).digest('hex') };
}

/** A single number from a query such as SELECT COUNT(*). */
export async function scalar(db: Db, sql: string): Promise<number> {
  const rows = await rawRows(db, sql);
  return Number(rows[0][0]);
}
