import { Parser } from 'node-sql-parser';
import { DbEngine, Dialect, SCHEMA_DDL } from '@app/platform';
import { KnowledgeBase, KnowledgeTable } from '@app/contracts';
import { EXPLAIN_SAMPLES, readQueries } from '../reads/read-queries';

/**
 * What the model is told about the database, built from the project's own schema definitions (the DDL of the
 * initial migration, parsed) rather than a second, hand-written copy that could drift: tables, columns with their
 * types, primary and foreign keys, indexes; plus a sentence per table, some of the project's own queries with
 * sample values, and question -> SQL examples written for the active dialect.
 *
 * The same tables and columns are the guard's allow-list (askPolicy), so what the model is shown is exactly what
 * it may use.
 */

/** Tables the model may read, with what they hold. Anything else (the project's own tables) is not shown. */
export const TABLE_DESCRIPTIONS: Record<string, string> = {
  airport: 'Airports: IATA (3 letters, may be null) and ICAO codes and the name',
  airport_geo:
    'Where each airport is: city, country (English name, e.g. "United States", "Germany"), coordinates',
  airport_reachable: 'Hops needed to reach an airport (often empty)',
  airline: 'Airlines: IATA code (2 letters), name and home airport',
  airplane_type: 'Aircraft types: identifier (e.g. "Boeing 747") and description',
  airplane: 'Aircraft of an airline: capacity (seats) and type',
  flightschedule:
    'Regular flights by flight number: route, local times and the weekdays they fly (1 = flies)',
  flight:
    'Individual flights: flight number, route (columns from/to are airport ids), departure and arrival time, airline and aircraft',
  flight_log: 'Changes made to flights: old and new values, who made them and when',
  passenger: 'Passengers: passport number and name',
  passengerdetails: 'Passenger details: birthdate, sex, address, country, email, telephone',
  booking: 'Bookings: a passenger on a flight, with the seat and the price paid',
  employee: 'Airport staff: name, address, department, salary (login columns are not available)',
  weatherdata: 'Weather readings of weather stations: temperature, humidity, pressure, wind, conditions',
};

/** Columns the guard refuses (and the read-only user is not granted), though their table is allowed. */
export const RESTRICTED_COLUMNS: Record<string, readonly string[]> = {
  employee: ['username', 'password'],
};

/** Reserved words of the schema that must be quoted in SQL (flight.from/to, flightschedule.from/to, flight_log.user). */
const RESERVED = new Set(['from', 'to', 'user', 'time']);

interface ParsedColumn {
  name: string;
  type: string;
  nullable: boolean;
}

type Ast = Record<string, unknown>;

/** Tables and their keys, parsed once from the MySQL/MariaDB DDL (the dump's own definitions). */
let parsed: KnowledgeTable[] | undefined;

export function schemaTables(): KnowledgeTable[] {
  if (parsed) return parsed;
  const parser = new Parser();
  const tables: KnowledgeTable[] = [];
  for (const ddl of SCHEMA_DDL.mysql) {
    const ast = parser.astify(ddl, { database: 'MariaDB' }) as unknown as Ast | Ast[];
    const create = (Array.isArray(ast) ? ast[0] : ast) as {
      table: Array<{ table: string }>;
      create_definitions: Ast[];
    };
    const name = create.table[0].table;
    if (!(name in TABLE_DESCRIPTIONS)) continue;
    const columns: ParsedColumn[] = [];
    const table: KnowledgeTable = {
      name,
      description: TABLE_DESCRIPTIONS[name],
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      indexes: [],
    };
    for (const def of create.create_definitions) {
      if (def.resource === 'column') {
        const column = columnName((def.column as Ast).column);
        const d = def.definition as { dataType: string; length?: number; scale?: number; expr?: Ast };
        columns.push({
          name: column,
          type: typeName(d),
          nullable: (def.nullable as { type?: string } | undefined)?.type !== 'not null',
        });
      } else if (def.resource === 'constraint') {
        const cols = (def.definition as Ast[]).map((c) => columnName(c.column));
        const kind = String(def.constraint_type).toLowerCase();
        if (kind === 'primary key') table.primaryKey = cols;
        else if (kind.startsWith('unique'))
          table.indexes.push({
            name: String(def.index ?? def.constraint ?? cols.join('_')),
            columns: cols,
            unique: true,
          });
        else if (kind === 'foreign key') {
          const ref = def.reference_definition as { table: Array<{ table: string }>; definition: Ast[] };
          table.foreignKeys.push({
            columns: cols,
            references: {
              table: ref.table[0].table,
              columns: ref.definition.map((c) => columnName(c.column)),
            },
          });
        }
      } else if (def.resource === 'index') {
        const cols = (def.definition as Ast[]).map((c) => columnName(c.column));
        table.indexes.push({ name: String(def.index ?? cols.join('_')), columns: cols, unique: false });
      }
    }
    const restricted = RESTRICTED_COLUMNS[name] ?? [];
    table.columns = columns
      .filter((c) => !restricted.includes(c.name))
      .map((c) => ({ ...c, ...(RESERVED.has(c.name) ? { note: 'reserved word: always quote it' } : {}) }));
    // The other side of airline.base_airport and flight.from/to: the keys the model most needs to join on.
    tables.push(table);
  }
  parsed = tables;
  return tables;
}

function columnName(c: unknown): string {
  if (typeof c === 'string') return c;
  const expr = (c as { expr?: { value?: unknown } })?.expr;
  return String(expr?.value ?? c);
}

function typeName(d: { dataType: string; length?: number; scale?: number; expr?: Ast }): string {
  const base = d.dataType.toLowerCase();
  if (base === 'enum' && d.expr) {
    const values = ((d.expr as { value?: Ast[] }).value ?? []).map((v) => `'${String(v.value)}'`);
    return `enum(${values.join(', ')})`;
  }
  if (d.length !== undefined) return `${base}(${d.length}${d.scale !== undefined ? `,${d.scale}` : ''})`;
  return base;
}

/** The allow-list of the guard: every table of the knowledge base and its columns (restricted ones left out). */
export interface AskPolicy {
  tables: ReadonlyMap<string, ReadonlySet<string>>;
  /** table -> columns it has but may not be read (SELECT * on it is refused). */
  restricted: ReadonlyMap<string, ReadonlySet<string>>;
}

export function askPolicy(): AskPolicy {
  const tables = new Map<string, Set<string>>();
  for (const t of schemaTables()) tables.set(t.name, new Set(t.columns.map((c) => c.name)));
  const restricted = new Map<string, Set<string>>();
  for (const [t, cols] of Object.entries(RESTRICTED_COLUMNS)) restricted.set(t, new Set(cols));
  return { tables, restricted };
}

/** The knowledge base for an engine: schema, the project's own queries, and question -> SQL examples. */
export function knowledgeBase(engine: DbEngine): KnowledgeBase {
  const d = new Dialect(engine);
  const q = readQueries(d);
  const sample = (name: keyof typeof EXPLAIN_SAMPLES) => {
    const s = EXPLAIN_SAMPLES[name];
    return inlineParams(s.sql(q), s.params);
  };
  return {
    engine,
    dialect: dialectName(engine),
    tables: schemaTables(),
    exampleQueries: [
      { name: 'flight details (3 joins)', sql: sample('flight') },
      { name: 'manifest of a flight', sql: sample('manifest') },
      { name: "a passenger's last 10 flights (8 tables)", sql: sample('passenger_flights') },
      { name: 'airports in a country', sql: sample('airports_by_country') },
    ],
    examples: questionExamples(d),
    restrictedColumns: Object.entries(RESTRICTED_COLUMNS).flatMap(([t, cols]) =>
      cols.map((c) => `${t}.${c}`),
    ),
  };
}

export function dialectName(engine: DbEngine): string {
  return engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
}

/** The original workshop's example questions, answered in the active dialect. */
export function questionExamples(d: Dialect): Array<{ question: string; sql: string }> {
  const from = d.id('from');
  const to = d.id('to');
  return [
    {
      question: 'airport details for JFK',
      sql: `SELECT a.airport_id, a.iata, a.icao, a.name, g.city, g.country, g.latitude, g.longitude FROM airport a LEFT JOIN airport_geo g ON g.airport_id = a.airport_id WHERE a.iata = 'JFK' LIMIT 1`,
    },
    {
      question: 'flights from JFK to LAX',
      sql: `SELECT f.flight_id, f.flightno, f.departure, f.arrival, al.airlinename FROM flight f JOIN airport dep ON dep.airport_id = f.${from} JOIN airport arr ON arr.airport_id = f.${to} JOIN airline al ON al.airline_id = f.airline_id WHERE dep.iata = 'JFK' AND arr.iata = 'LAX' ORDER BY f.departure LIMIT 20`,
    },
    {
      question: '10 passengers from the United States',
      sql: `SELECT p.passenger_id, p.passportno, p.firstname, p.lastname, pd.city FROM passenger p JOIN passengerdetails pd ON pd.passenger_id = p.passenger_id WHERE pd.country = 'United States' ORDER BY p.passenger_id LIMIT 10`,
    },
    {
      question: 'booking count for passenger 1000',
      sql: `SELECT COUNT(*) AS bookings FROM booking WHERE passenger_id = 1000`,
    },
    {
      question: 'manifest for flight 115',
      sql: `SELECT b.seat, p.firstname, p.lastname, p.passportno, pd.country, b.price FROM booking b JOIN passenger p ON p.passenger_id = b.passenger_id LEFT JOIN passengerdetails pd ON pd.passenger_id = b.passenger_id WHERE b.flight_id = 115 ORDER BY b.seat LIMIT 1000`,
    },
    {
      question: 'top 5 airlines by number of flights',
      sql: `SELECT al.airlinename, COUNT(*) AS flights FROM flight f JOIN airline al ON al.airline_id = f.airline_id GROUP BY al.airlinename ORDER BY flights DESC LIMIT 5`,
    },
  ];
}

/** `:name` placeholders replaced by SQL literals (the examples are shown to the model with real values). */
export function inlineParams(sql: string, params: Record<string, unknown>): string {
  return sql
    .replace(/(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)/g, (_m, name: string) => {
      const v = params[name];
      if (typeof v === 'number') return String(v);
      return `'${String(v).replace(/'/g, "''")}'`;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** The schema as the prompt shows it: one block per table. */
export function describeSchema(kb: KnowledgeBase): string {
  return kb.tables
    .map((t) => {
      const cols = t.columns
        .map((c) => `  - ${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}${c.note ? ` (${c.note})` : ''}`)
        .join('\n');
      const keys = [
        t.primaryKey.length ? `  primary key: (${t.primaryKey.join(', ')})` : '',
        ...t.foreignKeys.map(
          (fk) =>
            `  foreign key: (${fk.columns.join(', ')}) -> ${fk.references.table}(${fk.references.columns.join(', ')})`,
        ),
        ...t.indexes.map((i) => `  ${i.unique ? 'unique ' : ''}index: (${i.columns.join(', ')})`),
      ].filter(Boolean);
      return `Table ${t.name}: ${t.description}\n${cols}\n${keys.join('\n')}`;
    })
    .join('\n\n');
}

/** The prompt of a question: the schema, the rules, the examples, then the question. */
export function buildPrompt(
  kb: KnowledgeBase,
  question: string,
  maxRows: number,
): { system: string; prompt: string } {
  const quote =
    kb.engine === 'postgres' ? 'double quotes ("from", "to", "user")' : 'backticks (`from`, `to`, `user`)';
  const system = [
    `You translate questions about an airport database into one ${kb.dialect} SELECT statement.`,
    'Answer with the SQL only: no explanation, no comments, no markdown.',
    'Rules: exactly one SELECT (WITH is allowed); only the tables and columns listed below;',
    `quote the reserved column names with ${quote}; end with LIMIT ${Math.min(maxRows, 100)} or less unless the question asks for a count;`,
    'never modify data; never use database functions that read files, sleep or inspect the server.',
  ].join(' ');
  const examples = kb.examples.map((e) => `Question: ${e.question}\nSQL: ${e.sql}`).join('\n\n');
  const queries = kb.exampleQueries.map((e) => `-- ${e.name}\n${e.sql}`).join('\n\n');
  const prompt = [
    `Dialect: ${kb.dialect}`,
    '',
    'Schema:',
    describeSchema(kb),
    '',
    'Queries the application runs:',
    queries,
    '',
    'Examples:',
    examples,
    '',
    `Question: ${question}`,
    'SQL:',
  ].join('\n');
  return { system, prompt };
}
