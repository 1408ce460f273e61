import type { AppConfig } from '@app/platform';
import { rawRows } from '../seed/db-helpers';

type Db = AppConfig['db'];

export interface TableShape {
  /** name -> normalised type ('smallint', 'char(3)', 'decimal(11,8)', 'enum', ...) and nullability. */
  columns: Record<string, { type: string; nullable: boolean }>;
  primaryKey: string[];
  /** "u:flight_id,seat" for unique indexes, "i:flight_id" for plain ones (names differ between engines). */
  indexes: string[];
  /** "from->airport.airport_id" */
  foreignKeys: string[];
}

const MYSQL_TYPE = (columnType: string): string => {
  const t = columnType.toLowerCase();
  if (t.startsWith('enum(')) return 'enum';
  if (t === 'tinyint(1)') return t;
  return t.replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1');
};

const PG_TYPE = (r: string[]): string => {
  const [, dataType, charLength, precision, scale] = r;
  switch (dataType) {
    case 'integer':
      return 'int';
    case 'character':
      return `char(${charLength})`;
    case 'character varying':
      return `varchar(${charLength})`;
    case 'numeric':
      return `decimal(${precision},${scale})`;
    case 'timestamp without time zone':
      return 'datetime';
    case 'time without time zone':
      return 'time';
    default:
      return dataType;
  }
};

/** The tables, columns, keys and indexes as the catalogue reports them, in one engine-neutral shape. */
export async function tableShapes(db: Db): Promise<Record<string, TableShape>> {
  const shapes: Record<string, TableShape> = {};
  const shape = (table: string) =>
    (shapes[table] ??= { columns: {}, primaryKey: [], indexes: [], foreignKeys: [] });
  if (db.engine === 'postgres') {
    for (const r of await rawRows(
      db,
      `SELECT c.table_name, c.data_type, c.character_maximum_length, c.numeric_precision, c.numeric_scale,
              c.is_nullable, c.column_name
         FROM information_schema.columns c JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
        WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position`,
    )) {
      shape(r[0]).columns[r[6]] = { type: PG_TYPE(r), nullable: r[5] === 'YES' };
    }
    for (const r of await rawRows(
      db,
      `SELECT t.relname, i.indisunique, i.indisprimary,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND t.relkind = 'r'`,
    )) {
      if (r[2] === 't') shape(r[0]).primaryKey = r[3].split(',');
      else shape(r[0]).indexes.push(`${r[1] === 't' ? 'u' : 'i'}:${r[3]}`);
    }
    for (const r of await rawRows(
      db,
      `SELECT cl.relname,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum),
              rf.relname,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum)
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class rf ON rf.oid = co.confrelid
        WHERE co.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace`,
    )) {
      shape(r[0]).foreignKeys.push(`${r[1]}->${r[2]}.${r[3]}`);
    }
  } else {
    for (const r of await rawRows(
      db,
      `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE
         FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
           ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
        WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    )) {
      shape(r[0]).columns[r[1]] = { type: MYSQL_TYPE(r[2]), nullable: r[3] === 'YES' };
    }
    for (const r of await rawRows(
      db,
      `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',')
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE`,
    )) {
      if (r[1] === 'PRIMARY') shape(r[0]).primaryKey = r[3].split(',');
      else shape(r[0]).indexes.push(`${r[2] === '0' ? 'u' : 'i'}:${r[3]}`);
    }
    for (const r of await rawRows(
      db,
      `SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ','), REFERENCED_TABLE_NAME,
              GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',')
         FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL
        GROUP BY TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME`,
    )) {
      shape(r[0]).foreignKeys.push(`${r[1]}->${r[2]}.${r[3]}`);
    }
  }
  for (const s of Object.values(shapes)) {
    s.indexes.sort();
    s.foreignKeys.sort();
  }
  return shapes;
}

/**
 * Everything the engine knows about the schema, as text, so two databases can be compared exactly: SHOW CREATE TABLE
 * on MySQL/MariaDB (minus the AUTO_INCREMENT counter; key lines sorted), catalogue definitions on PostgreSQL.
 */
export async function schemaFingerprint(db: Db): Promise<string[]> {
  if (db.engine === 'postgres') {
    const columns = await rawRows(
      db,
      `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || COALESCE(character_maximum_length::text, '')
              || ' ' || COALESCE(numeric_precision::text, '') || ',' || COALESCE(numeric_scale::text, '')
              || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
         FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const indexes = await rawRows(db, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()`);
    const constraints = await rawRows(
      db,
      `SELECT cl.relname || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid) || ' valid=' || co.convalidated
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
        WHERE co.connamespace = current_schema()::regnamespace`,
    );
    return [...columns, ...indexes, ...constraints].map((r) => r[0]).sort();
  }
  const tables = (await rawRows(db, `SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'`))
    .map((r) => r[0])
    .sort();
  const out: string[] = [];
  for (const table of tables) {
    const [[, create]] = await rawRows(db, `SHOW CREATE TABLE \`${table}\``);
    const lines = create
      .replace(/ AUTO_INCREMENT=\d+/, '')
      .split('\n')
      .map((l) => l.trim().replace(/,$/, ''));
    const isKey = (l: string) => /^(PRIMARY|UNIQUE|KEY|FULLTEXT|SPATIAL|CONSTRAINT)\b/.test(l);
    out.push(table, ...lines.filter((l) => !isKey(l)), ...lines.filter(isKey).sort());
  }
  return out;
}
