import { ChildProcess, SpawnOptions, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { DbEngine } from '@app/platform';
import { freePort } from './redis-server';
import { isAlive } from './child-process';
import { recordChild } from './test-run';

/** Everything a pair ever started, so an interrupted run does not leave servers behind (see `process.on('exit')`). */
const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.once('exit', () => {
  for (const p of running) if (isAlive(p)) p.kill('SIGKILL');
  for (const d of directories) rmSync(d, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

/** One database server of the pair: a child process on its own port and data directory. */
export class DbServer {
  private proc?: ChildProcess;

  constructor(
    readonly role: 'primary' | 'replica',
    readonly port: number,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: SpawnOptions,
    private readonly logFile: string,
    private readonly answers: () => Promise<void>,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && isAlive(this.proc);
  }

  /** Starts it (nothing while it runs) and resolves once it answers a query; fails if it exits first. */
  async start(timeoutMs = 60000): Promise<void> {
    if (this.running) return;
    const proc = spawn(this.command, this.args, { ...this.options, stdio: 'ignore' });
    this.proc = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    recordChild(proc.pid, `${this.command} on port ${this.port} (ReplicaPair ${this.role})`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!isAlive(proc))
        throw new Error(`${this.role} on port ${this.port} exited at start:\n${this.log()}`);
      try {
        await this.answers();
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          await this.stop('SIGKILL');
          throw new Error(`${this.role} on port ${this.port} did not answer within ${timeoutMs} ms: ${e}`, {
            cause: e,
          });
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Freezes the server and its processes (SIGSTOP): connections stay open and nothing answers, a hung server.
   * thaw() resumes it; stop() thaws it first.
   */
  freeze(): void {
    this.signalAll('SIGSTOP');
  }

  thaw(): void {
    this.signalAll('SIGCONT');
  }

  /** The server's process and its children (PostgreSQL's backends, which answer on their own). */
  private signalAll(signal: NodeJS.Signals): void {
    const pid = this.proc?.pid;
    if (pid === undefined || !this.running) return;
    let children: number[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(pid)])
        .toString()
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      // pgrep exits 1 when there are none.
    }
    for (const p of [pid, ...children]) {
      try {
        process.kill(p, signal);
      } catch {
        // Gone meanwhile.
      }
    }
  }

  /**
   * Stops it and resolves once it has exited. SIGKILL (MariaDB) / SIGQUIT (PostgreSQL's immediate shutdown) are a
   * crash; SIGTERM a clean shutdown.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.thaw();
    const p = this.proc;
    this.proc = undefined;
    if (!p || !isAlive(p)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
      p.once('exit', () => (clearTimeout(timer), resolve()));
      p.kill(signal);
    });
  }

  /** The end of its log, for failure messages. */
  log(): string {
    return existsSync(this.logFile)
      ? readFileSync(this.logFile, 'utf8').split('\n').slice(-15).join('\n')
      : '';
  }
}

/**
 * A private primary/replica pair of MariaDB (binary log + GTID replication) or PostgreSQL (a streaming standby
 * made by pg_basebackup -R), on free ports and data directories under a temporary directory. The suite's
 * configuration points DB_HOST/DB_PORT at the primary and DB_REPLICA_HOSTS at the replica (`env`). stop() removes
 * everything. Runs the servers as the `postgres` / current user; PostgreSQL refuses to run as root.
 */
export abstract class ReplicaPair {
  protected constructor(
    readonly engine: DbEngine,
    readonly dir: string,
    readonly primary: DbServer,
    readonly replica: DbServer,
  ) {}

  static async start(engine: DbEngine): Promise<ReplicaPair> {
    const dir = mkdtempSync(join(tmpdir(), `cmiyc-replicas-${engine}-`));
    directories.add(dir);
    const pair = engine === 'postgres' ? await PostgresPair.create(dir) : await MariaDbPair.create(dir);
    try {
      await pair.setUp();
    } catch (e) {
      await pair.stop();
      throw e;
    }
    return pair;
  }

  /** Settings (as environment variables) for testConfig: the primary, and the replica as the only replica. */
  get env(): NodeJS.ProcessEnv {
    return {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(this.primary.port),
      DB_USER: this.engine === 'postgres' ? 'postgres' : 'root',
      DB_PASSWORD: '',
      DB_REPLICA_HOSTS: `127.0.0.1:${this.replica.port}`,
    };
  }

  /** Runs SQL on one node as the administrator (in `database`, or none / `postgres`). */
  abstract query(node: DbServer, sql: string, params?: unknown[], database?: string): Promise<Row[]>;

  /** The replica stops applying what it receives (it keeps answering reads): lag, for as long as needed. */
  abstract pauseReplication(): Promise<void>;
  abstract resumeReplication(): Promise<void>;

  /** Waits until the replica has replayed everything the primary had committed when called. */
  abstract caughtUp(timeoutMs?: number): Promise<void>;

  /** Kills the replica as a crash would. */
  abstract killReplica(): Promise<void>;

  /** Starts the servers and the replication between them (called by start()). */
  abstract setUp(): Promise<void>;

  async stop(): Promise<void> {
    await this.replica.stop();
    await this.primary.stop();
    rmSync(this.dir, { recursive: true, force: true });
    directories.delete(this.dir);
  }
}

// --- MariaDB --------------------------------------------------------------------------------------------------------

class MariaDbPair extends ReplicaPair {
  static async create(dir: string): Promise<MariaDbPair> {
    const node = async (role: 'primary' | 'replica', serverId: number) => {
      const data = join(dir, role);
      // Small redo log and buffer pool: the test data is tiny, and two servers share a small machine.
      const innodb = ['--innodb-log-file-size=16M', '--innodb-buffer-pool-size=32M'];
      execFileSync(
        'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${data}`,
          ...(process.getuid?.() === 0 ? ['--user=root'] : []),
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...innodb,
        ],
        { stdio: 'ignore' },
      );
      const port = await freePort();
      const args = [
        '--no-defaults',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, `${role}.sock`)}`,
        `--pid-file=${join(dir, `${role}.pid`)}`,
        `--log-error=${join(dir, `${role}.err`)}`,
        '--skip-name-resolve',
        `--server-id=${serverId}`,
        ...innodb,
        ...(role === 'primary'
          ? [`--log-bin=${join(data, 'binlog')}`, '--binlog-format=ROW']
          : ['--read-only=1', `--relay-log=${join(data, 'relay')}`]),
      ];
      return new DbServer(role, port, '/usr/sbin/mariadbd', args, {}, join(dir, `${role}.err`), async () => {
        const c = await createConnection({ host: '127.0.0.1', port, user: 'root' });
        await c.end();
      });
    };
    return new MariaDbPair('mysql', dir, await node('primary', 1), await node('replica', 2));
  }

  async setUp(): Promise<void> {
    await Promise.all([this.primary.start(), this.replica.start()]);
    // The replica copies from the first transaction on: both data directories start identical (fresh installs).
    await this.query(
      this.replica,
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${this.primary.port}, MASTER_USER='root',
         MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
    );
    await this.query(this.replica, 'START SLAVE');
  }

  async query(node: DbServer, sql: string, params: unknown[] = [], database?: string): Promise<Row[]> {
    const c = await createConnection({ host: '127.0.0.1', port: node.port, user: 'root', database });
    try {
      const [rows] = await c.query(sql, params);
      return rows as Row[];
    } finally {
      await c.end();
    }
  }

  async pauseReplication(): Promise<void> {
    await this.query(this.replica, 'STOP SLAVE SQL_THREAD');
  }

  async resumeReplication(): Promise<void> {
    await this.query(this.replica, 'START SLAVE SQL_THREAD');
  }

  async caughtUp(timeoutMs = 60000): Promise<void> {
    const [{ pos }] = await this.query(this.primary, 'SELECT @@GLOBAL.gtid_binlog_pos AS pos');
    const [{ reached }] = await this.query(this.replica, 'SELECT MASTER_GTID_WAIT(?, ?) AS reached', [
      pos,
      timeoutMs / 1000,
    ]);
    if (Number(reached) !== 0) {
      const [status] = await this.query(this.replica, 'SHOW SLAVE STATUS');
      throw new Error(`the replica did not reach ${pos} in ${timeoutMs} ms: ${JSON.stringify(status)}`);
    }
  }

  async killReplica(): Promise<void> {
    await this.replica.stop('SIGKILL');
  }
}

// --- PostgreSQL -----------------------------------------------------------------------------------------------------

/** The directory holding postgres, initdb and pg_basebackup (Debian's newest version first, then /usr/local/bin). */
function postgresBin(): string {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const candidates = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), '/usr/local/bin', '/usr/bin'];
  const found = candidates.find((d) =>
    ['postgres', 'initdb', 'pg_basebackup'].every((b) => existsSync(join(d, b))),
  );
  if (!found) throw new Error(`no PostgreSQL server binaries in ${candidates.join(', ')}`);
  return found;
}

/** PostgreSQL refuses to run as root: as root, its processes run as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

class PostgresPair extends ReplicaPair {
  private static bin = '';
  private static user?: { uid: number; gid: number };

  static async create(dir: string): Promise<PostgresPair> {
    PostgresPair.bin = postgresBin();
    PostgresPair.user = postgresUser();
    const owner = PostgresPair.user;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const node = async (role: 'primary' | 'replica') => {
      const port = await freePort();
      const args = [
        '-D',
        join(dir, role),
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'shared_buffers=16MB',
        '-c',
        'max_connections=60',
        '-c',
        `log_directory=${dir}`,
        '-c',
        `log_filename=${role}.log`,
        '-c',
        'logging_collector=on',
      ];
      return new DbServer(
        role,
        port,
        join(PostgresPair.bin, 'postgres'),
        args,
        { ...(owner ?? {}) },
        join(dir, `${role}.log`),
        async () => {
          const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
          c.on('error', () => undefined);
          try {
            await c.connect();
            await c.query('SELECT 1');
          } finally {
            await c.end().catch(() => undefined);
          }
        },
      );
    };
    return new PostgresPair('postgres', dir, await node('primary'), await node('replica'));
  }

  private run(tool: string, args: string[]): void {
    execFileSync(join(PostgresPair.bin, tool), args, {
      stdio: 'pipe',
      cwd: this.dir,
      ...(PostgresPair.user ?? {}),
    });
  }

  async setUp(): Promise<void> {
    this.run('initdb', [
      '-D',
      join(this.dir, 'primary'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await this.primary.start();
    // A copy of the primary that streams its WAL and replays it (-R writes standby.signal and primary_conninfo).
    this.run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.primary.port),
      '-U',
      'postgres',
      '-D',
      join(this.dir, 'replica'),
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    await this.replica.start();
  }

  async query(node: DbServer, sql: string, params: unknown[] = [], database = 'postgres'): Promise<Row[]> {
    const c = new Client({ host: '127.0.0.1', port: node.port, user: 'postgres', database });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as Row[];
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async pauseReplication(): Promise<void> {
    await this.query(this.replica, 'SELECT pg_wal_replay_pause()');
  }

  async resumeReplication(): Promise<void> {
    await this.query(this.replica, 'SELECT pg_wal_replay_resume()');
  }

  async caughtUp(timeoutMs = 60000): Promise<void> {
    const [{ lsn }] = await this.query(this.primary, 'SELECT pg_current_wal_flush_lsn()::text AS lsn');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ caught }] = await this.query(
        this.replica,
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught',
        [lsn],
      );
      if (caught) return;
      if (Date.now() > deadline) throw new Error(`the replica did not replay ${lsn} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async killReplica(): Promise<void> {
    // Immediate shutdown: no checkpoint, every backend gone at once (a SIGKILL would orphan the backends).
    await this.replica.stop('SIGQUIT');
  }
}
