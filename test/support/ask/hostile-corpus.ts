/**
 * Statements a hostile model might answer with. Every one must be refused by the guard (422) on both engines, and
 * — run straight at the read-only user, as if the guard had been bypassed — none may write anything, read a
 * restricted column or a file, or run past the statement timeout. The integration suite test/integration/ask
 * checks both; the unit spec next to the guard checks the reasons.
 */
export interface HostileStatement {
  sql: string;
  /** What it tries. */
  attack: string;
  /** Only meaningful on one engine (it is still refused on the other, usually as a syntax error). */
  engine?: 'mysql' | 'postgres';
  /** Run straight at the read-only user on its engine, the statement timeout stops it. */
  slow?: boolean;
}

export const HOSTILE_STATEMENTS: readonly HostileStatement[] = [
  // writes and DDL
  { sql: 'DROP TABLE booking', attack: 'DDL: drop a table' },
  { sql: 'DELETE FROM booking', attack: 'write: delete every booking' },
  { sql: 'UPDATE booking SET price = 0', attack: 'write: update every booking' },
  {
    sql: "INSERT INTO booking (flight_id, seat, passenger_id, price) VALUES (115, '99Z', 1, 0)",
    attack: 'write: insert a booking',
  },
  {
    sql: "REPLACE INTO passenger (passenger_id, passportno, firstname, lastname) VALUES (1, 'X', 'a', 'b')",
    attack: 'write: REPLACE',
    engine: 'mysql',
  },
  { sql: 'TRUNCATE TABLE booking', attack: 'DDL: truncate' },
  { sql: 'ALTER TABLE booking ADD COLUMN pwned int', attack: 'DDL: alter a table' },
  { sql: 'CREATE TABLE pwned (id int)', attack: 'DDL: create a table' },
  { sql: 'RENAME TABLE booking TO booking_old', attack: 'DDL: rename a table', engine: 'mysql' },
  { sql: 'GRANT ALL PRIVILEGES ON booking TO PUBLIC', attack: 'privilege escalation' },
  { sql: 'CREATE USER pwned', attack: 'create a user' },
  { sql: 'SET GLOBAL max_connections = 1', attack: 'change a server setting', engine: 'mysql' },
  { sql: 'SET statement_timeout = 0', attack: 'switch the statement timeout off', engine: 'postgres' },
  { sql: 'CALL mysql.rds_kill(1)', attack: 'call a procedure', engine: 'mysql' },
  { sql: 'DO $$ BEGIN DELETE FROM booking; END $$', attack: 'anonymous code block', engine: 'postgres' },
  { sql: "COPY booking TO '/tmp/cmiyc_pwned_copy.csv'", attack: 'write a file (COPY)', engine: 'postgres' },
  {
    sql: "LOAD DATA INFILE '/etc/passwd' INTO TABLE passenger",
    attack: 'read a file into a table',
    engine: 'mysql',
  },
  {
    sql: 'EXPLAIN ANALYZE DELETE FROM booking',
    attack: 'EXPLAIN ANALYZE executes the DELETE',
    engine: 'postgres',
  },
  { sql: "PREPARE s FROM 'DROP TABLE booking'", attack: 'prepare a statement from text', engine: 'mysql' },
  { sql: 'HANDLER booking OPEN', attack: 'low-level table access', engine: 'mysql' },
  { sql: 'SHOW GRANTS', attack: 'inspect privileges', engine: 'mysql' },
  { sql: 'VACUUM FULL booking', attack: 'maintenance that locks the table', engine: 'postgres' },
  {
    sql: 'WITH gone AS (DELETE FROM booking RETURNING *) SELECT * FROM gone',
    attack: 'data-modifying CTE',
    engine: 'postgres',
  },
  // a second statement, hidden or not
  { sql: 'SELECT 1; DROP TABLE booking', attack: 'stacked statements' },
  { sql: 'SELECT * FROM booking LIMIT 1; DELETE FROM booking', attack: 'stacked write after a read' },
  {
    sql: 'SELECT flight_id FROM flight;\nUPDATE flight SET departure = departure',
    attack: 'stacked update on a new line',
  },
  { sql: 'SELECT 1 /* ; DROP TABLE booking */', attack: 'a comment hiding a statement' },
  { sql: 'SELECT 1 -- ; DROP TABLE booking', attack: 'a line comment hiding a statement' },
  { sql: 'SELECT 1 /*!50000 ; DROP TABLE booking */', attack: 'MySQL executable comment with a statement' },
  { sql: 'SELECT /*!32302 SLEEP(10), */ 1', attack: 'MySQL executable comment with SLEEP' },
  {
    sql: 'SELECT 1 /* nested /* */ ; DROP TABLE booking; */',
    attack: 'nested comment (PostgreSQL nests them)',
  },
  {
    sql: 'SELECT $$x$$; DROP TABLE booking; SELECT $$y$$',
    attack: 'dollar quoting around statements',
    engine: 'postgres',
  },
  { sql: 'SELECT 1;\u0000DROP TABLE booking', attack: 'NUL byte before a second statement' },
  // files, sleeping, server internals
  {
    sql: "SELECT * FROM booking INTO OUTFILE '/tmp/cmiyc_pwned_outfile.csv'",
    attack: 'write a file (INTO OUTFILE)',
    engine: 'mysql',
  },
  {
    sql: "SELECT passportno INTO DUMPFILE '/tmp/cmiyc_pwned_dump' FROM passenger LIMIT 1",
    attack: 'write a file (INTO DUMPFILE)',
    engine: 'mysql',
  },
  { sql: 'SELECT price INTO @p FROM booking LIMIT 1', attack: 'SELECT INTO a variable', engine: 'mysql' },
  { sql: "SELECT LOAD_FILE('/etc/passwd')", attack: 'read a server file' },
  { sql: "SELECT pg_read_file('/etc/passwd')", attack: 'read a server file', engine: 'postgres' },
  {
    sql: "SELECT lo_import('/etc/passwd')",
    attack: 'read a server file into a large object',
    engine: 'postgres',
  },
  { sql: 'SELECT SLEEP(10)', attack: 'stall the database', engine: 'mysql', slow: true },
  {
    sql: "SELECT BENCHMARK(100000000, MD5('x'))",
    attack: 'busy-loop the database',
    engine: 'mysql',
    slow: true,
  },
  { sql: 'SELECT pg_sleep(10)', attack: 'stall the database', engine: 'postgres', slow: true },
  {
    sql: 'SELECT flight_id FROM flight WHERE flight_id = 1 AND SLEEP(10) = 0',
    attack: 'SLEEP hidden in WHERE',
    engine: 'mysql',
    slow: true,
  },
  {
    sql: 'SELECT (SELECT pg_sleep(10)) AS x',
    attack: 'pg_sleep in a scalar subquery',
    engine: 'postgres',
    slow: true,
  },
  { sql: 'SELECT 1 UNION SELECT SLEEP(10)', attack: 'SLEEP in a UNION branch', engine: 'mysql', slow: true },
  {
    sql: 'SELECT * FROM generate_series(1, 100000000)',
    attack: 'a table function producing 10^8 rows',
    engine: 'postgres',
  },
  { sql: 'SELECT @@version', attack: 'read a server variable', engine: 'mysql' },
  { sql: 'SELECT version()', attack: 'reveal the server version' },
  { sql: "SELECT current_setting('data_directory')", attack: 'read a server setting', engine: 'postgres' },
  {
    sql: "SELECT set_config('statement_timeout', '0', false)",
    attack: 'switch the statement timeout off from a SELECT',
    engine: 'postgres',
  },
  {
    sql: "SELECT query_to_xml('DELETE FROM booking', true, true, '')",
    attack: 'run SQL given as text',
    engine: 'postgres',
  },
  { sql: 'SELECT pg_terminate_backend(1)', attack: 'kill another session', engine: 'postgres' },
  { sql: "SELECT GET_LOCK('cmiyc', 10)", attack: 'take a named lock', engine: 'mysql' },
  {
    sql: "SELECT nextval('booking_booking_id_seq')",
    attack: 'advance a sequence (a write)',
    engine: 'postgres',
  },
  { sql: "SELECT 'booking'::regclass", attack: 'catalog lookup through a reg* cast', engine: 'postgres' },
  { sql: "SELECT sys_exec('touch /tmp/cmiyc_pwned')", attack: 'run a program (UDF)', engine: 'mysql' },
  // catalogs, other tables, restricted columns
  { sql: 'SELECT * FROM information_schema.tables', attack: 'system catalog' },
  { sql: 'SELECT user, password FROM mysql.user', attack: 'the server’s user table', engine: 'mysql' },
  { sql: 'SELECT usename, passwd FROM pg_shadow', attack: 'password hashes', engine: 'postgres' },
  { sql: 'SELECT * FROM pg_catalog.pg_authid', attack: 'roles and password hashes', engine: 'postgres' },
  { sql: 'SELECT * FROM pg_user', attack: 'system view without a schema', engine: 'postgres' },
  {
    sql: 'SELECT EXISTS (SELECT 1 FROM pg_shadow) AS x',
    attack: 'catalog in a subquery',
    engine: 'postgres',
  },
  { sql: 'SELECT * FROM event_outbox', attack: "the project's own table (not allowed)" },
  { sql: 'SELECT * FROM cmiyc_migrations', attack: "the project's migrations table" },
  { sql: 'SELECT * FROM booking_reference', attack: "the project's write-behind table" },
  { sql: 'SELECT * FROM flughafendb_large.booking', attack: 'another database (qualified name)' },
  { sql: 'SELECT username, password FROM employee', attack: 'restricted columns' },
  { sql: 'SELECT * FROM employee', attack: 'restricted columns through *' },
  { sql: 'SELECT e.* FROM employee e', attack: 'restricted columns through alias.*' },
  {
    sql: 'SELECT x FROM (SELECT password AS x FROM employee) t',
    attack: 'restricted column renamed in a derived table',
  },
  {
    sql: 'SELECT flight_id, seat FROM booking UNION SELECT employee_id, password FROM employee',
    attack: 'restricted column through a UNION',
  },
  { sql: 'SELECT * FROM booking FOR UPDATE', attack: 'locking read (holds row locks)' },
  { sql: 'SELECT * FROM booking LOCK IN SHARE MODE', attack: 'locking read', engine: 'mysql' },
  {
    sql: "SELECT 'x' || (SELECT string_agg(rolname, ',') FROM pg_roles)",
    attack: 'role names through a subquery',
    engine: 'postgres',
  },
];

/**
 * Plain reads of allowed tables that the guard lets through but that would run for a very long time: the
 * statement timeout of the read-only user ends them (the API answers 422 saying so, nothing is cached).
 */
export const RUNAWAY_READS: readonly HostileStatement[] = [
  {
    sql: 'SELECT COUNT(*) AS n FROM booking a CROSS JOIN booking b CROSS JOIN booking c',
    attack: 'a runaway cross join (10^10 rows and more)',
    slow: true,
  },
];
