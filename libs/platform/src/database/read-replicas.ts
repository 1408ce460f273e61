import { Logger } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { DbSettings, createDataSource } from './data-source';
import { describeDatabase, isDatabaseUnreachable } from './database-errors';

/**
 * How a replica is doing, as /health reports it:
 * - up: it answers and has replayed what the primary had committed when asked;
 * - behind: it answers but did not catch up within DB_REPLICA_MAX_LAG_MS (paused or lagging replication);
 * - down: it cannot be reached;
 * - unusable: replica reads cannot be made safe here (see `whyUnusable`): every read goes to the primary.
 */
export type ReplicaState = 'up' | 'behind' | 'down' | 'unusable';

export interface ReplicaReport {
  replica: string;
  state: ReplicaState;
  /** Reads this process has had answered by it. */
  reads: number;
  message?: string;
}

/**
 * The replication position a replica must have replayed before it may answer a read: the primary's position when
 * the read starts. A write answered before the read began is committed at or before that position, so the replica
 * then sees it (read-your-writes, and no cache refill with the value a write just invalidated).
 */
interface Replication {
  /** Why replica reads cannot be made safe with this primary (null: they can). */
  whyUnusable(primary: DataSource): Promise<string | null>;
  position(primary: DataSource): Promise<string>;
  /** Waits up to `ms` for the replica to replay `position`: true once it has, false when the time is up. */
  waitFor(replica: DataSource, position: string, ms: number): Promise<boolean>;
}

const MARIADB: Replication = {
  async whyUnusable(primary) {
    const [r] = await primary.query('SELECT VERSION() AS version, @@GLOBAL.log_bin AS log_bin');
    if (!/mariadb/i.test(String(r.version)))
      return `replica reads need MariaDB's GTID positions (MASTER_GTID_WAIT); the primary is MySQL ${r.version}`;
    if (Number(r.log_bin) !== 1)
      return 'the primary writes no binary log (log_bin is off): nothing to wait for';
    return null;
  },
  async position(primary) {
    const [r] = await primary.query('SELECT @@GLOBAL.gtid_binlog_pos AS pos');
    return String(r.pos ?? '');
  },
  async waitFor(replica, position, ms) {
    // 0 = reached, -1 = timed out (the server waits; no polling).
    const [r] = await replica.query('SELECT MASTER_GTID_WAIT(?, ?) AS reached', [position, ms / 1000]);
    return Number(r.reached) === 0;
  },
};

const POSTGRES: Replication = {
  async whyUnusable() {
    return null;
  },
  async position(primary) {
    // Flushed WAL: every commit the primary has acknowledged (synchronous_commit on) ends at or before it.
    const [r] = await primary.query('SELECT pg_current_wal_flush_lsn()::text AS pos');
    return String(r.pos);
  },
  async waitFor(replica, position, ms) {
    // PostgreSQL 15 has no server-side wait for a replay position: poll, 2 ms apart at first, 20 ms at most.
    const deadline = Date.now() + ms;
    for (let pause = 2; ; pause = Math.min(pause * 2, 20)) {
      const [r] = await replica.query(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught',
        [position],
      );
      if (!r.standby) throw new NotAReplicaError('it is not a standby (pg_is_in_recovery() is false)');
      if (r.caught) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))),
      );
    }
  },
};

class NotAReplicaError extends Error {}
class ReplicaTimeoutError extends Error {}

/** Longer than a replica may take to say it is behind: past it, the replica is taken for hung. */
const WAIT_GRACE_MS = 2000;
/**
 * A health check's wait and grace: short, so a hung replica is reported within the 2 s the gateway gives a
 * service's health report.
 */
const HEALTH_WAIT_MS = 300;
const HEALTH_GRACE_MS = 700;
/** How long closing a replica's pool may take (a hung server never hands its connections back). */
const CLOSE_TIMEOUT_MS = 2000;

/** One replica: its own pool, opened on first use and dropped when it fails, so a restart gets fresh connections. */
class ReplicaNode {
  reads = 0;
  /** Not used before this time (ms since epoch): down or behind. */
  private skipUntil = 0;
  state: Exclude<ReplicaState, 'unusable'> = 'up';
  message?: string;
  private ds?: DataSource;
  private opening?: Promise<DataSource>;

  constructor(
    readonly name: string,
    private readonly settings: DbSettings,
  ) {}

  get available(): boolean {
    return Date.now() >= this.skipUntil;
  }

  source(): Promise<DataSource> {
    if (this.ds?.isInitialized) return Promise.resolve(this.ds);
    this.opening ??= createDataSource(this.settings)
      .initialize()
      .then((ds) => (this.ds = ds))
      .finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Back in use (it answered and caught up); true when it was not before. */
  recovered(): boolean {
    const was = this.state;
    this.state = 'up';
    this.message = undefined;
    this.skipUntil = 0;
    return was !== 'up';
  }

  /** Left alone for `retryMs`; true when it was up before. */
  setAside(state: 'behind' | 'down', message: string, retryMs: number): boolean {
    const was = this.state;
    this.state = state;
    this.message = message;
    this.skipUntil = Date.now() + retryMs;
    if (state === 'down') void this.drop();
    return was === 'up';
  }

  async drop(): Promise<void> {
    const ds = this.ds;
    this.ds = undefined;
    if (!ds?.isInitialized) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ds.destroy().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }
}

/**
 * Read replicas (DB_REPLICA_HOSTS) for the read path: the read repositories send their SELECTs here; everything
 * else (writes, transactions, migrations, the outbox, the writer's own reads) keeps using the primary DataSource.
 *
 * Replica-lag policy: a read goes to a replica only once that replica has replayed the primary's position taken
 * when the read starts (MariaDB: @@gtid_binlog_pos + MASTER_GTID_WAIT; PostgreSQL: pg_current_wal_flush_lsn +
 * pg_last_wal_replay_lsn). It waits at most DB_REPLICA_MAX_LAG_MS, then reads from the primary. So a read never
 * sees less than the primary had committed when it began: a write answered by the API, then a read (or a cache
 * refill after the write's invalidation), sees the write, however far the replica lags. The price is one cheap
 * round trip to the primary per load (no table is read there).
 *
 * A replica that cannot be reached, or stays behind, is left alone for DB_REPLICA_RETRY_MS (its reads go to the
 * primary, not to a 503), then tried again. A primary that cannot be reached fails the read: the caller's usual
 * 503 naming the database.
 */
export class ReadReplicas {
  private readonly logger = new Logger('ReadReplicas');
  private readonly nodes: ReplicaNode[];
  private readonly replication: Replication;
  private next = 0;
  private verdict?: Promise<string | null>;
  private whyUnusable: string | null = null;
  /** Reads answered by a replica and by the primary, in this process (tests and /health tell them apart). */
  readonly counts = { replica: 0, primary: 0 };

  constructor(
    private readonly primary: DataSource,
    private readonly db: DbSettings,
  ) {
    this.replication = db.engine === 'postgres' ? POSTGRES : MARIADB;
    this.nodes = db.replicas.map(
      (r) =>
        new ReplicaNode(`${describeDatabase({ ...db, ...r })} (replica)`, {
          ...db,
          host: r.host,
          port: r.port,
          replicas: [],
        }),
    );
  }

  get configured(): boolean {
    return this.nodes.length > 0;
  }

  /** Runs a read-only statement on a replica that has caught up with the primary, else on the primary. */
  async query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    const node = this.pick();
    if (node && (await this.usable())) {
      const rows = await this.onReplica<T>(node, sql, params);
      if (rows) return rows;
    }
    this.counts.primary++;
    return this.primary.query(sql, params);
  }

  /** Each replica's state, checked now (a replica that answers and has caught up is put back in use at once). */
  async check(): Promise<ReplicaReport[]> {
    const report = (node: ReplicaNode, state: ReplicaState = node.state, message = node.message) => ({
      replica: node.name,
      state,
      reads: node.reads,
      ...(message ? { message } : {}),
    });
    let position: string;
    try {
      if (!(await this.usable())) return this.nodes.map((n) => report(n, 'unusable', this.whyUnusable!));
      position = await this.replication.position(this.primary);
    } catch (e) {
      const why = `not checked: the primary did not answer (${(e as Error).message})`;
      return this.nodes.map((n) => report(n, n.state, why));
    }
    return Promise.all(
      this.nodes.map(async (node): Promise<ReplicaReport> => {
        const caught = await this.caughtUp(
          node,
          position,
          Math.min(this.db.replicaMaxLagMs, HEALTH_WAIT_MS),
          HEALTH_GRACE_MS,
        );
        if (caught === true && node.recovered()) this.logger.log(`${node.name} is back in use`);
        if (caught === false)
          this.setAside(
            node,
            'behind',
            this.behindMessage(Math.min(this.db.replicaMaxLagMs, HEALTH_WAIT_MS)),
          );
        return report(node);
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.drop()));
  }

  /** Whether replica reads can be made safe with this primary (asked once; a primary that fails is asked again). */
  private async usable(): Promise<boolean> {
    this.verdict ??= this.replication.whyUnusable(this.primary).then(
      (why) => {
        if (why) this.logger.error(`replica reads are off, every read goes to the primary: ${why}`);
        return (this.whyUnusable = why);
      },
      (e) => {
        this.verdict = undefined;
        throw e;
      },
    );
    return (await this.verdict) === null;
  }

  /** The next replica in turn that is not set aside. */
  private pick(): ReplicaNode | undefined {
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[(this.next + i) % this.nodes.length];
      if (node.available) {
        this.next = (this.next + i + 1) % this.nodes.length;
        return node;
      }
    }
    return undefined;
  }

  /** The rows from `node`, or undefined when the read must go to the primary instead. */
  private async onReplica<T>(node: ReplicaNode, sql: string, params: unknown[]): Promise<T[] | undefined> {
    // The primary's position first: a primary that does not answer fails the read here (503), as without replicas.
    const position = await this.replication.position(this.primary);
    const caught = await this.caughtUp(node, position, this.db.replicaMaxLagMs);
    if (!caught) {
      if (caught === false) this.setAside(node, 'behind', this.behindMessage(this.db.replicaMaxLagMs));
      return undefined;
    }
    try {
      const rows: T[] = await (await node.source()).query(sql, params);
      if (node.recovered()) this.logger.log(`${node.name} is back in use`);
      node.reads++;
      this.counts.replica++;
      return rows;
    } catch (e) {
      // A standby may cancel a query that conflicts with replay (40001): the primary answers it instead.
      if (e instanceof QueryFailedError && (e.driverError as { code?: string })?.code === '40001')
        return undefined;
      if (!isDatabaseUnreachable(e)) throw e; // a statement the replica refused is a bug, not a dead replica
      this.setAside(node, 'down', (e as Error).message);
      return undefined;
    }
  }

  /**
   * true: caught up with `position`; false: still behind after `ms`; undefined: it failed (unreachable, hung, not
   * a replica, or it refused the wait): set aside as down, whatever the error, so a replica never fails a read.
   */
  private async caughtUp(
    node: ReplicaNode,
    position: string,
    ms: number,
    graceMs = WAIT_GRACE_MS,
  ): Promise<boolean | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const hung = new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new ReplicaTimeoutError(`no answer within ${ms + graceMs} ms`)),
          ms + graceMs,
        );
      });
      const waiting = node.source().then((ds) => this.replication.waitFor(ds, position, ms));
      waiting.catch(() => undefined);
      return await Promise.race([waiting, hung]);
    } catch (e) {
      this.setAside(node, 'down', (e as Error).message);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private behindMessage(ms: number): string {
    return `it did not replay the primary's position within ${ms} ms (DB_REPLICA_MAX_LAG_MS ${this.db.replicaMaxLagMs})`;
  }

  private setAside(node: ReplicaNode, state: 'behind' | 'down', message: string): void {
    if (node.setAside(state, message, this.db.replicaRetryMs))
      this.logger.warn(
        `${node.name} is ${state}: ${message}; reads go to the primary for ${this.db.replicaRetryMs} ms (DB_REPLICA_RETRY_MS)`,
      );
  }
}
