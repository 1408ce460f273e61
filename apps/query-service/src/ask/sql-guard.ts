import { createHash } from 'node:crypto';
import { Parser } from 'node-sql-parser';
import type { DbFlavor } from '@app/platform';
import { ASK_ROW_CEILING, ASK_SQL_MAX_LENGTH } from '@app/contracts';
import type { AskPolicy } from './knowledge-base';

/**
 * The guard between generated SQL and the database. It assumes the model is hostile:
 *
 * 1. A lexical pass with the dialect's own rules for strings, quoted names and comments: executable comments
 *    (`/*! … *\/`), comments that hide SQL, dollar quoting, control characters and anything after the first
 *    statement are refused before any parsing.
 * 2. A real SQL parser for the active dialect (node-sql-parser: MariaDB/MySQL or PostgreSQL) turns it into a
 *    tree; exactly one statement, and it must be a SELECT (CTEs and set operations of SELECTs allowed).
 * 3. The tree is checked against allow-lists, not deny-lists: every node type, table, column, function and cast
 *    type must be one the guard knows to be a plain read of the allowed tables. SELECT … INTO, locking reads,
 *    variables, system catalogs, qualified names, unknown tables and restricted columns are refused, each with the
 *    reason.
 * 4. A LIMIT is added, or capped to maxRows (at most 1,000).
 * 5. The SQL that runs is the tree written back out (not the text the model wrote), and it must survive a second
 *    round through 2-4 unchanged: whatever the parser misunderstood in the original text cannot reach the database.
 *
 * Behind it, the statement runs as a read-only database user, in a read-only transaction, with a statement
 * timeout (read-only-database.ts): a parser bypass still cannot write or run for long.
 */

export type RejectCode =
  | 'empty'
  | 'too-long'
  | 'characters'
  | 'comment'
  | 'syntax'
  | 'multiple-statements'
  | 'not-select'
  | 'into'
  | 'locking'
  | 'system-catalog'
  | 'qualified-name'
  | 'unknown-table'
  | 'unknown-column'
  | 'restricted-column'
  | 'function'
  | 'variable'
  | 'cast'
  | 'construct'
  | 'limit';

/** A statement the guard refuses: the API answers 422 with `reason`. */
export class SqlRejectedError extends Error {
  constructor(
    readonly code: RejectCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SqlRejectedError';
  }
}

export interface GuardedSql {
  /** What runs: the parsed statement written back out, with its LIMIT. */
  sql: string;
  /** Base tables it reads (sorted): the query cache's tags. */
  tables: string[];
  /** The LIMIT it runs with. */
  limit: number;
  /** SHA-256 (hex) of the engine and the normalised SQL: the query cache's key. */
  hash: string;
}

export interface GuardOptions {
  flavor: DbFlavor;
  policy: AskPolicy;
  /** Rows at most (capped to ASK_ROW_CEILING). */
  maxRows: number;
}

const reject = (code: RejectCode, reason: string): never => {
  throw new SqlRejectedError(code, reason);
};

type Node = Record<string, unknown>;

export function parserDatabase(flavor: DbFlavor): string {
  return flavor === 'postgres' ? 'PostgresQL' : flavor === 'mariadb' ? 'MariaDB' : 'MySQL';
}

const parser = new Parser();

/** Checks, limits and normalises one statement; throws SqlRejectedError saying why it cannot run. */
export function guardSql(input: string, options: GuardOptions): GuardedSql {
  const maxRows = Math.max(1, Math.min(options.maxRows, ASK_ROW_CEILING));
  const first = checkOnce(input, options, maxRows);
  // Round two on what would run: it must come out unchanged (the parser and the writer agree on its meaning).
  const second = checkOnce(first.sql, options, maxRows);
  if (second.sql !== first.sql)
    reject(
      'construct',
      'the statement could not be normalised reliably (it reads differently once rewritten)',
    );
  const engine = options.flavor === 'postgres' ? 'postgres' : 'mysql';
  return { ...first, hash: sqlHash(engine, first.sql) };
}

/** The query cache's key of a normalised statement. */
export function sqlHash(engine: string, sql: string): string {
  return createHash('sha256').update(`${engine}\n${sql}`).digest('hex');
}

function checkOnce(input: string, options: GuardOptions, maxRows: number): Omit<GuardedSql, 'hash'> {
  const pg = options.flavor === 'postgres';
  const text = lexicalCheck(input, pg);
  let ast: Node | Node[];
  try {
    ast = parser.astify(text, { database: parserDatabase(options.flavor) }) as unknown as Node | Node[];
  } catch (e) {
    const message = String((e as Error).message ?? e).split('\n')[0];
    return reject(
      'syntax',
      `not a statement the ${pg ? 'PostgreSQL' : 'MySQL/MariaDB'} parser accepts: ${short(message)}`,
    );
  }
  const statements = Array.isArray(ast) ? ast.filter(Boolean) : [ast];
  if (statements.length === 0) reject('empty', 'no SQL statement');
  if (statements.length > 1) reject('multiple-statements', `more than one statement (${statements.length})`);
  const root = statements[0];
  if (root.type !== 'select') {
    const kind = String(root.type ?? 'unknown').toUpperCase();
    const what = WRITES.has(kind) ? 'a write' : DDL.has(kind) ? 'DDL' : 'not a query';
    reject('not-select', `only SELECT is allowed: this is ${kind} (${what})`);
  }
  const check = new TreeCheck(options.policy, pg);
  check.select(root, new Scope(undefined));
  const limit = applyLimit(root, maxRows, pg);
  let sql: string;
  try {
    sql = parser.sqlify(root as never, { database: parserDatabase(options.flavor) });
  } catch (e) {
    return reject('construct', `the statement could not be written back: ${short((e as Error).message)}`);
  }
  return { sql, tables: [...check.tables].sort(), limit };
}

const WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'MERGE', 'UPSERT', 'LOAD']);
const DDL = new Set(['CREATE', 'DROP', 'ALTER', 'TRUNCATE', 'RENAME', 'GRANT', 'REVOKE', 'COMMENT']);

const short = (s: string) => (s.length > 160 ? `${s.slice(0, 157)}...` : s);

// ---------------------------------------------------------------------------------------------------------------
// 1. Lexical pass

const HIDDEN_SQL =
  /;|\b(select|insert|update|delete|drop|create|alter|grant|revoke|truncate|call|exec|execute|load|copy|set|do|handler|lock|rename|replace|into|outfile|shutdown|kill)\b/i;

/**
 * Walks the text as the dialect's lexer would: strings, quoted identifiers and comments. Returns the statement
 * without a trailing semicolon. Refuses control characters, dollar quoting, executable or SQL-hiding comments and
 * anything after the first statement.
 */
export function lexicalCheck(input: string, pg: boolean): string {
  const text = input.trim();
  if (!text) reject('empty', 'no SQL statement');
  if (text.length > ASK_SQL_MAX_LENGTH) reject('too-long', `longer than ${ASK_SQL_MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    reject('characters', 'control characters are not allowed in SQL');
  let i = 0;
  let end = -1; // index of a top-level ';'
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    const next = text[i + 1];
    if (end >= 0 && !/\s/.test(ch) && !(ch === ';')) {
      // Something after the first statement: only comments may follow (and are checked below).
      if (!(ch === '-' && next === '-') && !(ch === '/' && next === '*') && !(ch === '#' && !pg))
        reject('multiple-statements', 'more than one statement (text follows the first ";")');
    }
    if (ch === "'" || (ch === '"' && !pg)) {
      const backslash = !pg || /[eE]/.test(text[i - 1] ?? '');
      i = skipQuoted(text, i, ch, backslash);
      continue;
    }
    if (ch === '"' || ch === '`') {
      i = skipQuoted(text, i, ch, false);
      continue;
    }
    if (pg && ch === '$' && /[A-Za-z_$]/.test(next ?? '') && /^\$[A-Za-z_]*\$/.test(text.slice(i)))
      reject('syntax', 'dollar-quoted strings are not accepted');
    if ((ch === '-' && next === '-') || (ch === '#' && !pg)) {
      // MySQL needs whitespace after "--" for a comment; PostgreSQL does not.
      if (ch === '-' && !pg && !/[\s]/.test(text[i + 2] ?? ' ')) {
        i += 2;
        continue;
      }
      const stop = text.indexOf('\n', i);
      const body = text.slice(i + (ch === '#' ? 1 : 2), stop < 0 ? n : stop);
      checkComment(body);
      i = stop < 0 ? n : stop + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      if (/^\/\*(!|M!|\+)/.test(text.slice(i, i + 4)))
        reject(
          'comment',
          'executable comment (/*! … */ or an optimizer hint): the server would run its content',
        );
      const stop = pg ? pgCommentEnd(text, i) : text.indexOf('*/', i + 2);
      if (stop < 0) reject('syntax', 'unterminated comment');
      checkComment(text.slice(i + 2, stop));
      i = stop + 2;
      continue;
    }
    if (ch === ';' && end < 0) end = i;
    i++;
  }
  return (end >= 0 ? text.slice(0, end) : text).trim();
}

function checkComment(body: string): void {
  if (HIDDEN_SQL.test(body)) reject('comment', 'a comment hides SQL (a second statement or a keyword)');
}

function skipQuoted(text: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (backslash && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return reject('syntax', `unterminated ${quote === "'" ? 'string' : 'quoted name'}`);
}

/** PostgreSQL block comments nest. Returns the index of the closing "*\/" of the comment opened at `start`. */
function pgCommentEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i++;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      if (depth === 0) return i;
      i++;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The tree

const SYSTEM_SCHEMAS = new Set([
  'information_schema',
  'mysql',
  'performance_schema',
  'sys',
  'pg_catalog',
  'pg_toast',
  'pg_temp',
]);

/** Functions a plain read may call, lower case. Anything else is refused. */
const FUNCTIONS = new Set([
  // numbers
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'round',
  'trunc',
  'truncate',
  'mod',
  'power',
  'pow',
  'sqrt',
  'exp',
  'ln',
  'log',
  'log10',
  'sign',
  'greatest',
  'least',
  'radians',
  'degrees',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'pi',
  // null handling and conditions
  'coalesce',
  'nullif',
  'ifnull',
  'if',
  'exists',
  // text
  'lower',
  'upper',
  'lcase',
  'ucase',
  'length',
  'char_length',
  'character_length',
  'concat',
  'concat_ws',
  'substring',
  'substr',
  'left',
  'right',
  'trim',
  'ltrim',
  'rtrim',
  'replace',
  'position',
  'locate',
  'instr',
  'initcap',
  // time
  'now',
  'current_date',
  'current_timestamp',
  'current_time',
  'curdate',
  'curtime',
  'date',
  'time',
  'year',
  'month',
  'day',
  'dayofmonth',
  'dayofweek',
  'dayofyear',
  'dayname',
  'monthname',
  'hour',
  'minute',
  'second',
  'week',
  'weekday',
  'quarter',
  'date_format',
  'to_char',
  'date_trunc',
  'date_part',
  'datediff',
  'timestampdiff',
  'timestampadd',
  'date_add',
  'date_sub',
  'adddate',
  'subdate',
  'age',
  'str_to_date',
  'to_date',
  'to_timestamp',
  'unix_timestamp',
  'from_unixtime',
  'makedate',
  'last_day',
  'timestamp',
]);
const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'group_concat',
  'string_agg',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'bool_and',
  'bool_or',
]);
const WINDOW_FUNCTIONS = new Set([
  'row_number',
  'rank',
  'dense_rank',
  'ntile',
  'lag',
  'lead',
  'first_value',
  'last_value',
  'nth_value',
  'percent_rank',
  'cume_dist',
]);
/** Known-dangerous functions, with the reason given. */
const DANGEROUS: Array<[RegExp, string]> = [
  [
    /^(sleep|pg_sleep|pg_sleep_for|pg_sleep_until|benchmark)$/,
    'it stalls the database (a denial of service)',
  ],
  [
    /^(load_file|pg_read_file|pg_read_binary_file|pg_ls_dir|pg_stat_file|lo_import|lo_export|lo_get|lo_open|lo_from_bytea)$/,
    'it reads or writes files on the database server',
  ],
  [/^(dblink|dblink_exec|dblink_connect)$/, 'it connects to another server'],
  [/^(set_config|current_setting)$/, 'it reads or changes server settings'],
  [
    /^(query_to_xml|query_to_json|table_to_xml|cursor_to_xml|xpath|database_to_xml)$/,
    'it runs SQL given as text',
  ],
  [
    /^(pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile)$/,
    'it administers the server',
  ],
  [/^(get_lock|release_lock|pg_advisory_lock|pg_advisory_xact_lock|pg_try_advisory_lock)$/, 'it takes locks'],
  [/^(nextval|setval|lastval)$/, 'it changes a sequence'],
  [/^(sys_exec|sys_eval)$/, 'it runs programs on the server'],
  [
    /^(version|user|current_user|session_user|system_user|database|schema|current_database|current_schema|connection_id|pg_backend_pid|inet_server_addr|inet_server_port|has_table_privilege)$/,
    'it reveals server internals',
  ],
];
/** Types a CAST may convert to (reg* casts look things up in the catalogs). */
const CAST_TYPES = new Set([
  'char',
  'varchar',
  'text',
  'int',
  'integer',
  'bigint',
  'smallint',
  'decimal',
  'numeric',
  'date',
  'time',
  'timestamp',
  'datetime',
  'signed',
  'unsigned',
  'float',
  'double',
  'real',
  'boolean',
  'bool',
  'interval',
  'double precision',
  'signed integer',
  'unsigned integer',
]);
const LITERALS = new Set([
  'number',
  'single_quote_string',
  'string',
  'natural_string',
  'hex_string',
  'full_hex_string',
  'bit_string',
  'bool',
  'boolean',
  'null',
  'date',
  'datetime',
  'time',
  'timestamp',
  'star',
  'default',
]);

/** One level of FROM: alias or name -> the base table (null: a CTE or a derived table). */
class Scope {
  readonly sources = new Map<string, string | null>();
  readonly aliases = new Set<string>();
  /** CTE names visible here. */
  readonly ctes: Set<string>;

  constructor(readonly parent: Scope | undefined) {
    this.ctes = new Set(parent?.ctes ?? []);
  }

  /** This level and the enclosing ones (a correlated subquery sees its outer query's names). */
  private chain(): Scope[] {
    const out: Scope[] = [];
    for (let s: Scope | undefined = this.parent; s; s = s.parent) out.push(s);
    return [this as Scope, ...out];
  }

  resolve(name: string): string | null | undefined {
    for (const s of this.chain()) if (s.sources.has(name)) return s.sources.get(name);
    return undefined;
  }

  /** Base tables visible here and in enclosing levels (correlated subqueries). */
  baseTables(): string[] {
    const out: string[] = [];
    for (const s of this.chain()) for (const t of s.sources.values()) if (t) out.push(t);
    return out;
  }

  hasOpaqueSource(): boolean {
    for (const s of this.chain()) for (const t of s.sources.values()) if (t === null) return true;
    return false;
  }

  hasAlias(name: string): boolean {
    for (const s of this.chain()) if (s.aliases.has(name)) return true;
    return false;
  }
}

class TreeCheck {
  readonly tables = new Set<string>();
  private readonly restrictedNames: Set<string>;

  constructor(
    private readonly policy: AskPolicy,
    private readonly pg: boolean,
  ) {
    this.restrictedNames = new Set([...policy.restricted.values()].flatMap((s) => [...s]));
  }

  select(node: Node, outer: Scope): void {
    const scope = new Scope(outer);
    this.known(node, SELECT_KEYS, 'SELECT');
    for (const cte of (node.with as Node[] | null) ?? []) {
      const name = identifier((cte.name as Node)?.value ?? cte.name);
      scope.ctes.add(name);
      const stmt = cte.stmt as Node;
      this.select(((stmt?.ast as Node) ?? stmt) as Node, scope);
    }
    const into = node.into as Node | null | undefined;
    if (into && (into.keyword || into.expr || into.type))
      reject('into', 'SELECT … INTO writes to a file or variables');
    if (node.locking_read || node.for_update || node.lock)
      reject('locking', 'a locking read (FOR UPDATE / LOCK IN SHARE MODE) is not a plain read');
    if (node.options && (node.options as unknown[]).length)
      for (const o of node.options as unknown[]) {
        const opt = String((o as Node)?.value ?? o).toUpperCase();
        if (!['DISTINCT', 'ALL', 'SQL_NO_CACHE'].includes(opt))
          reject('construct', `SELECT option ${opt} is not allowed`);
      }
    for (const item of (node.from as Node[] | null) ?? []) this.from(item, scope);
    for (const item of (node.from as Node[] | null) ?? []) {
      if (item.on) this.expr(item.on as Node, scope);
      for (const u of (item.using as unknown[] | null) ?? [])
        this.columnName(identifier((u as Node)?.value ?? u), scope);
    }
    const columns = node.columns;
    if (columns === '*') this.star(null, scope);
    else
      for (const c of (columns as Node[] | null) ?? []) {
        this.expr(c.expr as Node, scope);
        if (c.as) scope.aliases.add(identifier(c.as));
      }
    if (node.where) this.expr(node.where as Node, scope);
    const groupby = node.groupby as Node | Node[] | null;
    for (const g of Array.isArray(groupby) ? groupby : ((groupby?.columns as Node[] | null) ?? []))
      this.expr(g, scope);
    if (node.having) this.expr(node.having as Node, scope);
    for (const o of (node.orderby as Node[] | null) ?? []) this.expr(o.expr as Node, scope);
    if (node.window) this.windowClause(node.window, scope);
    this.limitValues(node.limit as Node | null);
    if (node._next) this.select(node._next as Node, outer);
  }

  private from(item: Node, scope: Scope): void {
    if (item.type === 'dual') return;
    const expr = item.expr as Node | undefined;
    if (expr) {
      const ast = (expr.ast as Node | undefined) ?? (expr.type === 'select' ? expr : undefined);
      if (!ast)
        reject(
          'construct',
          `${expr.type === 'function' ? 'a table function' : `a ${String(expr.type)}`} in FROM is not allowed`,
        );
      this.select(ast!, scope);
      if (item.as) scope.sources.set(identifier(item.as), null);
      return;
    }
    if (typeof item.table !== 'string') reject('construct', 'an unsupported FROM item');
    this.known(item, FROM_KEYS, 'FROM');
    const name = (item.table as string).toLowerCase();
    const schema = (item.db ?? item.schema) as string | null | undefined;
    if (schema) {
      const s = String(schema).toLowerCase();
      if (SYSTEM_SCHEMAS.has(s)) reject('system-catalog', `${s}.${name} is a system catalog`);
      if (!(this.pg && s === 'public'))
        reject('qualified-name', `${s}.${name}: tables must not name a database or schema`);
    }
    if (scope.ctes.has(name) && !schema) {
      scope.sources.set(identifier(item.as ?? name), null);
      return;
    }
    if (/^pg_|^information_schema$/.test(name) || SYSTEM_TABLE_NAMES.has(name))
      reject('system-catalog', `${name} is a system catalog`);
    if (!this.policy.tables.has(name))
      reject(
        'unknown-table',
        `unknown table ${name} (allowed: ${[...this.policy.tables.keys()].join(', ')})`,
      );
    this.tables.add(name);
    scope.sources.set(identifier(item.as ?? name), name);
    if (item.as) scope.sources.set(name, name);
  }

  private star(qualifier: string | null, scope: Scope): void {
    const tables = qualifier
      ? [scope.resolve(qualifier)].filter((t): t is string => !!t)
      : scope.baseTables();
    for (const t of tables)
      if (this.policy.restricted.has(t))
        reject(
          'restricted-column',
          `${t} has columns that may not be read (${[...this.policy.restricted.get(t)!].join(', ')}): name the columns instead of *`,
        );
  }

  private column(node: Node, scope: Scope): void {
    const name = identifier(node.column);
    const qualifier = node.table ? identifier(node.table) : null;
    if (name === '*') return this.star(qualifier, scope);
    if (this.restrictedNames.has(name)) reject('restricted-column', `column ${name} may not be read`);
    if (qualifier) {
      if (node.db || node.schema)
        reject('qualified-name', `${qualifier}.${name}: columns must not name a schema`);
      const table = scope.resolve(qualifier);
      if (table === undefined)
        reject('unknown-table', `unknown table or alias ${qualifier} (column ${qualifier}.${name})`);
      if (table && !this.policy.tables.get(table)!.has(name))
        reject('unknown-column', `unknown column ${table}.${name}`);
      return;
    }
    this.columnName(name, scope);
  }

  private columnName(name: string, scope: Scope): void {
    if (this.restrictedNames.has(name)) reject('restricted-column', `column ${name} may not be read`);
    if (scope.baseTables().some((t) => this.policy.tables.get(t)!.has(name))) return;
    if (scope.hasAlias(name) || scope.hasOpaqueSource()) return;
    reject('unknown-column', `unknown column ${name}`);
  }

  expr(node: Node | null | undefined, scope: Scope): void {
    if (node === null || node === undefined) return;
    if (typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) this.expr(n as Node, scope);
      return;
    }
    if (node.ast) return this.select(node.ast as Node, scope);
    const type = node.type as string | undefined;
    if (type === undefined && (node as Node).expr) return this.expr(node.expr as Node, scope); // {expr, as}
    if (type && LITERALS.has(type)) return;
    switch (type) {
      case 'column_ref':
        return this.column(node, scope);
      case 'binary_expr':
        if (node.operator === ':=') reject('variable', 'assignments are not allowed');
        this.expr(node.left as Node, scope);
        return this.expr(node.right as Node, scope);
      case 'unary_expr':
        return this.expr(node.expr as Node, scope);
      case 'expr_list':
        return this.expr(node.value as Node, scope);
      case 'expr':
        return this.expr(node.expr as Node, scope);
      case 'interval':
        return this.expr(node.expr as Node, scope);
      case 'case':
        this.expr(node.expr as Node, scope);
        for (const a of (node.args as Node[]) ?? []) {
          this.expr(a.cond as Node, scope);
          this.expr(a.result as Node, scope);
        }
        return;
      case 'cast':
        for (const t of (node.target as Node[]) ?? [node.target as Node]) {
          const dt = String(t?.dataType ?? '').toLowerCase();
          if (!CAST_TYPES.has(dt)) reject('cast', `a cast to ${dt || 'an unknown type'} is not allowed`);
        }
        return this.expr(node.expr as Node, scope);
      case 'extract':
        return this.expr((node.args as Node)?.source as Node, scope);
      case 'function':
        return this.func(node, scope);
      case 'aggr_func':
        return this.aggregate(node, scope);
      case 'window_func':
        this.allowed(String(node.name), WINDOW_FUNCTIONS);
        this.expr(node.args as Node, scope);
        return this.over(node.over, scope);
      case 'var':
      case 'param':
        return reject(
          'variable',
          `variables and parameters are not allowed (${String(node.prefix ?? '')}${String(node.name ?? '')})`,
        );
      default:
        return reject('construct', `unsupported SQL construct: ${String(type)}`);
    }
  }

  private func(node: Node, scope: Scope): void {
    const nameNode = node.name as { name?: Array<{ value: string }>; schema?: unknown } | string;
    const parts =
      typeof nameNode === 'string' ? [nameNode] : (nameNode?.name ?? []).map((p) => String(p.value));
    if (typeof nameNode === 'object' && nameNode?.schema)
      parts.unshift(String((nameNode.schema as Node)?.value ?? nameNode.schema));
    if (parts.length !== 1) reject('function', `schema-qualified function ${parts.join('.')} is not allowed`);
    this.allowed(
      parts[0],
      node.over ? new Set([...FUNCTIONS, ...WINDOW_FUNCTIONS, ...AGGREGATES]) : FUNCTIONS,
    );
    const args = node.args as Node | undefined;
    if (args) this.expr((args.value ?? args.expr ?? args) as Node, scope);
    if (node.over) this.over(node.over, scope);
  }

  private aggregate(node: Node, scope: Scope): void {
    this.allowed(String(node.name), AGGREGATES);
    const args = node.args as Node | undefined;
    if (args) {
      this.expr(args.expr as Node, scope);
      for (const o of (args.orderby as Node[] | null) ?? []) this.expr(o.expr as Node, scope);
    }
    if (node.over) this.over(node.over, scope);
  }

  private allowed(raw: string, set: Set<string>): void {
    const name = raw.toLowerCase();
    for (const [pattern, why] of DANGEROUS)
      if (pattern.test(name)) reject('function', `${name.toUpperCase()} is not allowed: ${why}`);
    if (!set.has(name)) reject('function', `function ${name.toUpperCase()} is not on the allow-list`);
  }

  private over(over: unknown, scope: Scope): void {
    if (!over || typeof over !== 'object') return;
    const spec = ((over as Node).as_window_specification as Node | undefined)?.window_specification as
      Node | undefined;
    if (!spec) {
      const named = (over as Node).as_window_specification;
      if (typeof named === 'string') return;
      return reject('construct', 'an unsupported window');
    }
    this.windowSpec(spec, scope);
  }

  private windowSpec(spec: Node, scope: Scope): void {
    for (const p of (spec.partitionby as Node[] | null) ?? []) this.expr(p, scope);
    for (const o of (spec.orderby as Node[] | null) ?? []) this.expr(o.expr as Node, scope);
    if (spec.window_frame_clause) {
      const frame = JSON.stringify(spec.window_frame_clause);
      if (/select|column_ref|function/i.test(frame)) reject('construct', 'an unsupported window frame');
    }
  }

  private windowClause(window: unknown, scope: Scope): void {
    const list = ((window as Node).expr as Node[] | undefined) ?? [];
    for (const w of list) {
      const spec = ((w.as_window_specification as Node)?.window_specification as Node) ?? undefined;
      if (spec) this.windowSpec(spec, scope);
    }
  }

  private limitValues(limit: Node | null): void {
    for (const v of (limit?.value as Node[] | undefined) ?? [])
      if (v.type !== 'number') reject('limit', 'LIMIT and OFFSET must be plain numbers');
  }

  /** Refuses keys of a node the guard does not know the meaning of (so a new construct is not let through). */
  private known(node: Node, keys: ReadonlySet<string>, what: string): void {
    for (const [k, v] of Object.entries(node)) {
      if (keys.has(k) || v === null || v === undefined || v === false) continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.values(v as Node).every((x) => x === null || x === undefined)
      )
        continue;
      reject('construct', `unsupported ${what} clause: ${k}`);
    }
  }
}

const SELECT_KEYS = new Set([
  'with',
  'type',
  'options',
  'distinct',
  'columns',
  'into',
  'from',
  'where',
  'groupby',
  'having',
  'orderby',
  'limit',
  'window',
  '_next',
  'set_op',
  'collate',
  'locking_read',
  'loc',
  '_parentheses',
  'parentheses_symbol',
]);
const FROM_KEYS = new Set([
  'db',
  'table',
  'as',
  'join',
  'on',
  'using',
  'schema',
  'loc',
  'surround',
  'operator',
]);
/** Catalog names that need no schema to be reached. */
const SYSTEM_TABLE_NAMES = new Set(['dual_catalog']);

/** A name as the parser gives it (a string, or {expr: {value}} on PostgreSQL), lower case. */
function identifier(raw: unknown): string {
  if (typeof raw === 'string') return raw.toLowerCase();
  const r = raw as { expr?: { value?: unknown }; value?: unknown } | null;
  if (r?.expr?.value !== undefined) return String(r.expr.value).toLowerCase();
  if (r?.value !== undefined) return String(r.value).toLowerCase();
  return String(raw).toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------
// 4. LIMIT

/** Adds a LIMIT or caps the one there (on the last SELECT of a set operation, where it applies to the whole). */
function applyLimit(root: Node, maxRows: number, pg: boolean): number {
  let last = root;
  while (last._next) last = last._next as Node;
  const limit = last.limit as { seperator?: string; value?: Node[] } | null | undefined;
  const values = limit?.value ?? [];
  const num = (v: Node | undefined) => (v ? Number(v.value) : NaN);
  let count: number;
  let offset: number | undefined;
  if (values.length === 0) count = maxRows;
  else if (limit?.seperator === ',') [offset, count] = [num(values[0]), num(values[1])];
  else [count, offset] = [num(values[0]), values[1] ? num(values[1]) : undefined];
  if (!Number.isFinite(count) || count < 0) reject('limit', 'LIMIT must be a non-negative number');
  if (offset !== undefined && (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000))
    reject('limit', 'OFFSET must be a whole number from 0 to 1,000,000');
  const capped = Math.min(Math.floor(count), maxRows);
  const lit = (n: number): Node => ({ type: 'number', value: n });
  last.limit =
    offset === undefined
      ? { seperator: '', value: [lit(capped)] }
      : pg || limit?.seperator !== ','
        ? { seperator: 'offset', value: [lit(capped), lit(offset)] }
        : { seperator: ',', value: [lit(offset), lit(capped)] };
  return capped;
}
