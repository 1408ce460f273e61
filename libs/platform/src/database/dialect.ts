import { DataSource } from 'typeorm';
import { DbEngine } from '../config/config';

/**
 * The few places MySQL/MariaDB and PostgreSQL SQL differ, so each query is written once.
 * `flight.from`, `flight.to` and `flight_log.user` are reserved words and must always go through `id()`.
 */
export class Dialect {
  constructor(readonly engine: DbEngine) {}

  static of(ds: DataSource): Dialect {
    return new Dialect(ds.options.type === 'postgres' ? 'postgres' : 'mysql');
  }

  get isPostgres(): boolean {
    return this.engine === 'postgres';
  }

  /** Quotes an identifier: backticks on MySQL/MariaDB, double quotes on PostgreSQL. */
  id(name: string): string {
    return this.isPostgres ? `"${name.replace(/"/g, '""')}"` : `\`${name.replace(/`/g, '``')}\``;
  }

  /** The n-th (1-based) bind placeholder. */
  param(n: number): string {
    return this.isPostgres ? `$${n}` : '?';
  }

  /** Minutes between two timestamp expressions. */
  minutesBetween(from: string, to: string): string {
    return this.isPostgres
      ? `CAST(EXTRACT(EPOCH FROM (${to} - ${from})) / 60 AS integer)`
      : `TIMESTAMPDIFF(MINUTE, ${from}, ${to})`;
  }

  /** Random row order (sampling). */
  get random(): string {
    return this.isPostgres ? 'RANDOM()' : 'RAND()';
  }

  /** Prefix that makes the database print its plan for a statement. */
  get explain(): string {
    return this.isPostgres ? 'EXPLAIN (FORMAT JSON)' : 'EXPLAIN FORMAT=JSON';
  }
}

/**
 * Writes a statement with `:name` placeholders once and binds it for either engine.
 * Returns the SQL with `?`/`$n` and the parameter array in order.
 */
export function bind(dialect: Dialect, sql: string, params: Record<string, unknown>): [string, unknown[]] {
  const values: unknown[] = [];
  const text = sql.replace(/(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)/g, (_m, name: string) => {
    if (!(name in params)) throw new Error(`Missing SQL parameter :${name}`);
    values.push(params[name]);
    return dialect.param(values.length);
  });
  return [text, values];
}
