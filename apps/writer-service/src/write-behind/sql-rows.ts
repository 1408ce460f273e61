import { EntityManager } from 'typeorm';
import { Dialect } from '@app/platform';

/** Bind parameters of one statement: `list` adds values and returns their placeholders ($1 / ?). */
export function sqlParams(dialect: Dialect) {
  const values: unknown[] = [];
  return {
    values,
    list(items: unknown[]): string {
      return items
        .map((v) => {
          values.push(v);
          return dialect.param(values.length);
        })
        .join(', ');
    },
  };
}

/** One multi-row INSERT of `rows` into `table` ("name (columns)"), `suffix` appended (RETURNING ...). */
export function insertRows<T = unknown>(
  m: EntityManager,
  dialect: Dialect,
  table: string,
  rows: unknown[][],
  suffix = '',
): Promise<T> {
  const p = sqlParams(dialect);
  const values = rows.map((r) => `(${p.list(r)})`).join(', ');
  return m.query(`INSERT INTO ${table} VALUES ${values}${suffix}`, p.values);
}

/** The rows of `table` holding any of `references` (those a replayed batch already wrote). */
export function rowsByReference<R>(
  m: EntityManager,
  dialect: Dialect,
  table: string,
  columns: string[],
  references: string[],
): Promise<R[]> {
  const p = sqlParams(dialect);
  return m.query(
    `SELECT ${columns.join(', ')} FROM ${table} WHERE reference IN (${p.list(references)})`,
    p.values,
  );
}
