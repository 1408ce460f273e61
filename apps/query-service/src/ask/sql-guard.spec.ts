import { DbFlavor, Dialect } from '@app/platform';
import { HOSTILE_STATEMENTS } from '../../../../test/support/ask/hostile-corpus';
import { askPolicy, knowledgeBase, questionExamples } from './knowledge-base';
import { GuardedSql, guardSql, lexicalCheck, RejectCode, SqlRejectedError } from './sql-guard';

const FLAVORS: DbFlavor[] = ['mariadb', 'postgres'];
const policy = askPolicy();

function guard(sql: string, flavor: DbFlavor, maxRows = 1000): GuardedSql {
  return guardSql(sql, { flavor, policy, maxRows });
}

function rejection(sql: string, flavor: DbFlavor): SqlRejectedError {
  try {
    guard(sql, flavor);
  } catch (e) {
    if (e instanceof SqlRejectedError) return e;
    throw e;
  }
  throw new Error(`accepted on ${flavor}: ${sql}`);
}

describe.each(FLAVORS)('SQL guard on %s', (flavor) => {
  const engine = flavor === 'postgres' ? 'postgres' : 'mysql';
  const id = (name: string) => new Dialect(engine).id(name);

  it.each(HOSTILE_STATEMENTS.map((h) => [h.attack, h.sql] as const))('refuses %s: %s', (_attack, sql) => {
    const e = rejection(sql, flavor);
    expect(e.reason.length).toBeGreaterThan(5);
  });

  it('says why, per kind of attack', () => {
    const code = (sql: string): RejectCode => rejection(sql, flavor).code;
    expect(code('SELECT 1; DROP TABLE booking')).toBe('multiple-statements');
    expect(code('DELETE FROM booking')).toBe('not-select');
    expect(rejection('DROP TABLE booking', flavor).reason).toMatch(/DROP \(DDL\)/);
    expect(rejection('UPDATE booking SET price = 0', flavor).reason).toMatch(/UPDATE \(a write\)/);
    expect(code('SELECT 1 /* ; DROP TABLE booking */')).toBe('comment');
    expect(code("SELECT LOAD_FILE('/etc/passwd')")).toBe('function');
    expect(rejection('SELECT SLEEP(10)', flavor).reason).toMatch(/SLEEP .*stalls/);
    expect(code('SELECT * FROM information_schema.tables')).toBe('system-catalog');
    expect(code('SELECT * FROM event_outbox')).toBe('unknown-table');
    expect(code('SELECT password FROM employee')).toBe('restricted-column');
    expect(code('SELECT * FROM employee')).toBe('restricted-column');
    expect(code('SELECT nope FROM booking')).toBe('unknown-column');
    expect(code('SELECT b.nope FROM booking b')).toBe('unknown-column');
    if (engine === 'mysql') {
      expect(code("SELECT * FROM booking INTO OUTFILE '/tmp/x'")).toBe('into');
      expect(code('SELECT 1 /*!50000 , 2 */')).toBe('comment');
      expect(code('SELECT @@version')).toBe('variable');
      expect(code('SELECT * FROM booking FOR UPDATE')).toBe('locking');
    } else {
      expect(code('SELECT pg_sleep(1)')).toBe('function');
      expect(code('SELECT * FROM pg_catalog.pg_user')).toBe('system-catalog');
      expect(code("SELECT 'booking'::regclass")).toBe('cast');
    }
  });

  it('accepts the knowledge base’s examples and the project’s own queries, unchanged in meaning', () => {
    const kb = knowledgeBase(engine);
    for (const e of [...questionExamples(new Dialect(engine)), ...kb.exampleQueries]) {
      const g = guard(e.sql, flavor);
      expect(g.sql).toMatch(/^(SELECT|WITH)/);
      expect(g.tables.length).toBeGreaterThan(0);
    }
  });

  it('adds a LIMIT, caps a larger one, keeps a smaller one and an OFFSET', () => {
    expect(guard('SELECT iata FROM airport', flavor).limit).toBe(1000);
    expect(guard('SELECT iata FROM airport', flavor).sql).toMatch(/LIMIT 1000$/);
    expect(guard('SELECT iata FROM airport LIMIT 5000', flavor).sql).toMatch(/LIMIT 1000$/);
    expect(guard('SELECT iata FROM airport LIMIT 7', flavor, 50).limit).toBe(7);
    expect(guard('SELECT iata FROM airport', flavor, 50).limit).toBe(50);
    expect(guard('SELECT iata FROM airport LIMIT 10 OFFSET 20', flavor).sql).toMatch(/LIMIT 10 OFFSET 20$/);
    expect(guard('SELECT iata FROM airport', flavor, 5000).limit).toBe(1000); // never past the ceiling
    const union = guard('SELECT iata FROM airport UNION SELECT iata FROM airline', flavor);
    expect(union.sql).toMatch(/UNION .* LIMIT 1000$/);
  });

  it('accepts CTEs, joins, subqueries, aggregates and window functions over allowed tables', () => {
    const ok = [
      'WITH c AS (SELECT passenger_id, COUNT(*) AS n FROM booking GROUP BY passenger_id) SELECT p.lastname, c.n FROM c JOIN passenger p ON p.passenger_id = c.passenger_id ORDER BY c.n DESC',
      `SELECT a.iata, COUNT(*) AS departures FROM flight f JOIN airport a ON a.airport_id = f.${id('from')} GROUP BY a.iata HAVING COUNT(*) > 2`,
      'SELECT iata FROM airport WHERE airport_id IN (SELECT base_airport FROM airline)',
      'SELECT flight_id, ROW_NUMBER() OVER (PARTITION BY airline_id ORDER BY departure) AS n FROM flight',
      "SELECT lastname FROM passenger WHERE lastname LIKE 'M%' AND passenger_id BETWEEN 1 AND 100",
      'SELECT employee_id, firstname, salary FROM employee ORDER BY salary DESC',
      'SELECT CASE WHEN price > 500 THEN 1 ELSE 0 END AS expensive FROM booking',
      'SELECT COUNT(DISTINCT passenger_id) AS passengers FROM booking',
    ];
    for (const sql of ok) expect(() => guard(sql, flavor)).not.toThrow();
  });

  it('tags the base tables read, not CTE or alias names', () => {
    const g = guard(
      'WITH c AS (SELECT flight_id FROM booking) SELECT f.flightno FROM c JOIN flight f ON f.flight_id = c.flight_id',
      flavor,
    );
    expect(g.tables).toEqual(['booking', 'flight']);
  });

  it('normalises: the same query written differently has one hash; another engine another one', () => {
    const a = guard("select   iata from airport where iata = 'JFK'", flavor);
    const b = guard("SELECT iata\nFROM airport\nWHERE iata = 'JFK';", flavor);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    const other = guardSql("SELECT iata FROM airport WHERE iata = 'JFK'", {
      flavor: flavor === 'postgres' ? 'mariadb' : 'postgres',
      policy,
      maxRows: 1000,
    });
    expect(other.hash).not.toBe(a.hash);
  });

  it('runs the statement written back from the tree, not the text it was given', () => {
    const g = guard('SELECT iata FROM airport -- harmless note\n', flavor);
    expect(g.sql).not.toMatch(/note/);
  });
});

describe('lexical pass', () => {
  it('keeps semicolons and comment markers inside strings', () => {
    expect(lexicalCheck("SELECT ';--' AS x;", false)).toBe("SELECT ';--' AS x");
    expect(lexicalCheck("SELECT 'it''s /* x */' AS x", true)).toBe("SELECT 'it''s /* x */' AS x");
  });

  it('knows MySQL backslash escapes, which PostgreSQL strings do not have', () => {
    // MySQL: the quote is escaped, the ; is inside the string. PostgreSQL: the string ends at \', so ; separates.
    expect(() => lexicalCheck("SELECT 'a\\'; DROP TABLE booking; --'", false)).not.toThrow();
    expect(() => lexicalCheck("SELECT 'a\\'; DROP TABLE booking; --'", true)).toThrow(SqlRejectedError);
  });
});
