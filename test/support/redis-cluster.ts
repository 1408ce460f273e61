import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Valkey from 'iovalkey';
import { PrivateServer, ServerCommand, freePort } from './private-server';
import { oneShotValkey } from './one-shot-valkey';
import { recordChild } from './test-run';

/** A node of the cluster and what it is right now (by its own ROLE). */
export interface ClusterNode {
  port: number;
  role: 'master' | 'replica';
}

export interface RedisClusterOptions {
  /** At least 3 (redis-cli --cluster create refuses fewer). Default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent node takes to be suspected. Default 2000 ms. */
  nodeTimeoutMs?: number;
}

const SLOTS = 16384;
const HEALTHY_TIMEOUT_MS = 60000;
const POLL_MS = 100;

/** Every cluster ever started and not stopped: an interrupted run does not leave nodes or directories behind. */
const live = new Set<RedisCluster>();
process.once('exit', () => {
  for (const c of live) c.killNow();
});

/** One line of CLUSTER NODES. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  linkState: string;
  slots: [number, number][];
}

function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [id, addr, flags, masterId, , , , linkState, ...slotFields] = line.split(' ');
      const slots: [number, number][] = [];
      for (const f of slotFields) {
        if (f.startsWith('[')) continue; // a slot being imported or migrated
        const [from, to] = f.split('-').map(Number);
        slots.push([from, to ?? from]);
      }
      return {
        id,
        port: Number(addr.split('@')[0].split(':').pop()),
        flags: flags.split(','),
        masterId,
        linkState,
        slots,
      };
    });
}

function isMaster(n: NodeLine): boolean {
  return n.flags.includes('master');
}

/** Flags of a node that is not (yet, or no longer) a working member of the cluster, as another node sees it. */
const BAD_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return fields;
}

/**
 * A real Redis Cluster of the test's own (redis-server 7 / Valkey in cluster mode): `masters` masters with
 * `replicasPerMaster` replicas each, on free ports of 127.0.0.1 (client and bus ports), with their files in a
 * temporary directory. Nothing is kept on disk but the cluster configuration (nodes-<port>.conf), so a killed
 * node that is started again rejoins as what the cluster made of it (a replica of the master that replaced it),
 * empty until it has synced.
 *
 * State is always read from the nodes themselves (CLUSTER NODES / CLUSTER INFO / ROLE on single-node admin
 * connections that are closed after each use), and waits poll it against a deadline: no fixed sleeps.
 */
export class RedisCluster {
  /** Every node's port, in the order given to `redis-cli --cluster create` (roles change: see roles()). */
  readonly nodes: readonly number[];
  private readonly servers = new Map<number, PrivateServer>();

  private constructor(
    readonly dir: string,
    servers: PrivateServer[],
    private readonly options: Required<RedisClusterOptions>,
  ) {
    this.nodes = servers.map((s) => s.port);
    for (const s of servers) this.servers.set(s.port, s);
  }

  static async start(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
    const options = { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000, ...opts };
    if (options.masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
    const count = options.masters * (1 + options.replicasPerMaster);
    const dir = mkdtempSync(join(tmpdir(), 'cmiyc-redis-cluster-'));
    // A client port and a bus port per node (the default bus port, port + 10000, may be taken or beyond 65535).
    const ports = new Set<number>();
    while (ports.size < 2 * count) ports.add(await freePort());
    const [clientPorts, busPorts] = [[...ports].slice(0, count), [...ports].slice(count)];
    const bus = new Map(clientPorts.map((p, i) => [p, busPorts[i]]));
    const command: ServerCommand = {
      program: 'redis-server',
      args: (port) => [
        ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no'],
        ...['--cluster-enabled', 'yes', '--cluster-port', String(bus.get(port))],
        ...['--cluster-config-file', `nodes-${port}.conf`],
        ...['--cluster-node-timeout', String(options.nodeTimeoutMs)],
        // A replica takes over however long it has been cut off from its master; nothing served while a slot is down.
        ...['--cluster-replica-validity-factor', '0', '--cluster-allow-reads-when-down', 'no'],
        // A replica's full sync starts at once (the default waits 5 s for more replicas to share the transfer).
        ...['--repl-diskless-sync-delay', '0'],
        ...['--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, `node-${port}.log`)],
      ],
      install: 'apt-get install redis-server (7 or later), or valkey-server',
    };
    const cluster = new RedisCluster(
      dir,
      clientPorts.map((p) => new PrivateServer(command, p)),
      options,
    );
    live.add(cluster);
    try {
      await Promise.all([...cluster.servers.values()].map((s) => s.start()));
      await runRedisCli([
        '--cluster',
        'create',
        ...clientPorts.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(options.replicasPerMaster),
        '--cluster-yes',
      ]);
      await cluster.waitHealthy(HEALTHY_TIMEOUT_MS, true);
    } catch (e) {
      const logs = cluster.logTails();
      await cluster.stop();
      const message = (e as Error).message;
      throw message.includes('--- node') ? e : new Error(`${message}\n${logs}`, { cause: e });
    }
    return cluster;
  }

  /** "127.0.0.1:p1,127.0.0.1:p2,..." of every node, for CACHE_CLUSTER_NODES. */
  get nodeList(): string {
    return this.nodes.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** Whether the node's process runs (it was not killed, or was restarted). */
  isRunning(port: number): boolean {
    return this.server(port).running;
  }

  /** The running nodes, each with its role by its own ROLE command. */
  async roles(): Promise<ClusterNode[]> {
    return Promise.all(
      this.runningPorts().map(async (port) => {
        const [role] = (await this.admin(port, (c) => c.call('ROLE'))) as [string];
        return { port, role: role === 'master' ? 'master' : 'replica' } as ClusterNode;
      }),
    );
  }

  /**
   * The masters right now, as the first running node that answers sees them (CLUSTER NODES), with their slot
   * ranges: masters whose process runs and that the node does not consider failed. The slots of a master that was
   * killed and not yet replaced are in no entry.
   */
  async masters(): Promise<{ port: number; slots: [number, number][] }[]> {
    let lastError: unknown;
    for (const port of this.runningPorts()) {
      try {
        const view = parseClusterNodes(
          await this.admin(port, (c) => c.call('CLUSTER', 'NODES') as Promise<string>),
        );
        return view
          .filter(
            (n) =>
              isMaster(n) && this.isOurRunningPort(n.port) && !n.flags.some((f) => BAD_FLAGS.includes(f)),
          )
          .map((n) => ({ port: n.port, slots: n.slots }))
          .sort((a, b) => (a.slots[0]?.[0] ?? SLOTS) - (b.slots[0]?.[0] ?? SLOTS));
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(`no node of the cluster answers CLUSTER NODES: ${lastError}`, { cause: lastError });
  }

  /** SIGKILLs the master that serves `slot` (a crash: no goodbye to the cluster); returns its port. */
  async killMasterOf(slot: number): Promise<number> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) throw new Error(`no slot ${slot}`);
    const master = (await this.masters()).find((m) => m.slots.some(([a, b]) => a <= slot && slot <= b));
    if (!master) throw new Error(`no running master serves slot ${slot}`);
    await this.server(master.port).stop();
    return master.port;
  }

  /**
   * Resolves when the cluster is whole again, as every running node sees it: CLUSTER INFO says cluster_state:ok
   * with all 16384 slots assigned and ok; every slot is served by a running master, and all nodes agree by whom;
   * every running node is known to all others without fail/handshake flags, with a connected bus link, and as what
   * it says it is (a master, or the replica of the master it follows); every running replica has synced with its
   * master (ROLE: connected). A killed node that was not restarted is ignored
   * (a shard that lost its master and has no replica left never becomes healthy: the wait fails). Fails after
   * `timeoutMs` with the last reason it was not healthy and the end of every node's log.
   */
  waitUntilHealthy(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    return this.waitHealthy(timeoutMs, false);
  }

  /**
   * Starts a killed node again on its port (nothing while it runs) and resolves once the cluster is healthy with
   * it: it rejoins as a replica of the master that replaced it, synced (or, when it was restarted before any
   * replica took over, as the master of its slots again, empty).
   */
  async restart(port: number, timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    await this.server(port).start();
    await this.waitUntilHealthy(timeoutMs);
  }

  /** FLUSHALL on every running master, then waits (up to 5 s) until their connected replicas have applied it. */
  async flushAll(): Promise<void> {
    await Promise.all(
      (await this.masters()).map(({ port }) =>
        this.admin(port, async (c) => {
          await c.flushall();
          const [, , replicas] = (await c.call('ROLE')) as [string, number, unknown[]];
          if (replicas.length > 0) await c.call('WAIT', replicas.length, 5000);
        }),
      ),
    );
  }

  /** Kills every node and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** At process exit: SIGKILL is sent synchronously by PrivateServer.stop(), the directory removed at once. */
  killNow(): void {
    for (const s of this.servers.values()) void s.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------------------------

  /** waitUntilHealthy; `allReplicas`: also every master has all its replicas (after create). */
  private async waitHealthy(timeoutMs: number, allReplicas: boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let reason: string | null;
      try {
        reason = await this.unhealthy(allReplicas);
      } catch (e) {
        reason = `a node did not answer: ${(e as Error).message}`;
      }
      if (reason === null) return;
      if (Date.now() > deadline) {
        throw new Error(`the cluster is not healthy after ${timeoutMs} ms: ${reason}\n${this.logTails()}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private server(port: number): PrivateServer {
    const s = this.servers.get(port);
    if (!s) throw new Error(`no node of this cluster on port ${port} (nodes: ${this.nodes.join(', ')})`);
    return s;
  }

  private runningPorts(): number[] {
    return this.nodes.filter((p) => this.server(p).running);
  }

  private isOurRunningPort(port: number): boolean {
    return this.servers.get(port)?.running ?? false;
  }

  /** Runs `fn` on a fresh single-node connection to the node, always closed afterwards. */
  private async admin<T>(port: number, fn: (c: Valkey) => Promise<T>): Promise<T> {
    const c = oneShotValkey({ host: '127.0.0.1', port });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await fn(c);
    } finally {
      c.disconnect();
    }
  }

  /** Why the cluster is not healthy right now, or null. `allReplicas`: also every master has all its replicas. */
  private async unhealthy(allReplicas: boolean): Promise<string | null> {
    const running = this.runningPorts();
    if (running.length === 0) return 'no node runs';
    const states = await Promise.all(
      running.map((port) =>
        this.admin(port, async (c) => ({
          port,
          info: parseInfo((await c.call('CLUSTER', 'INFO')) as string),
          view: parseClusterNodes((await c.call('CLUSTER', 'NODES')) as string),
          role: (await c.call('ROLE')) as unknown[],
        })),
      ),
    );
    // What each running node is by its own account: its id, and the master it follows when it is a replica.
    const self = new Map<number, { id: string; follows?: number }>();
    for (const { port, view, role } of states) {
      const me = view.find((n) => n.flags.includes('myself'));
      if (!me) return `node ${port} does not list itself`;
      self.set(port, { id: me.id, follows: role[0] === 'slave' ? Number(role[2]) : undefined });
    }
    let slotMap: string | undefined;
    for (const { port, info, view, role } of states) {
      const at = `node ${port}`;
      if (info.cluster_state !== 'ok') return `${at}: cluster_state:${info.cluster_state}`;
      for (const field of ['cluster_slots_assigned', 'cluster_slots_ok']) {
        if (Number(info[field]) !== SLOTS) return `${at}: ${field}:${info[field]}`;
      }
      // Every running node known, reachable, and what it says it is (gossip spreads a new replica slowly).
      for (const other of running) {
        const n = view.find((v) => v.port === other);
        if (!n) return `${at} does not know node ${other}`;
        const bad = n.flags.filter((f) => BAD_FLAGS.includes(f));
        if (bad.length) return `${at} sees node ${other} as ${bad.join(',')}`;
        if (n.linkState !== 'connected') return `${at}: bus link to ${other} is ${n.linkState}`;
        const follows = self.get(other)!.follows;
        if (follows === undefined) {
          if (!isMaster(n)) return `${at} sees master ${other} as ${n.flags.join(',')}`;
        } else if (!n.flags.includes('slave') || n.masterId !== self.get(follows)?.id) {
          return `${at} does not see node ${other} as the replica of ${follows} (${n.flags.join(',')})`;
        }
      }
      const owners = view.filter((n) => isMaster(n) && n.slots.length > 0);
      for (const m of owners) {
        if (!this.isOurRunningPort(m.port)) return `${at} still has slots served by killed node ${m.port}`;
      }
      if (allReplicas && owners.length !== this.options.masters) {
        return `${at} sees ${owners.length} of ${this.options.masters} masters serving slots`;
      }
      const map = owners
        .flatMap((m) => m.slots.map(([a, b]) => `${a}-${b}:${m.port}`))
        .sort()
        .join(' ');
      if (slotMap === undefined) slotMap = map;
      else if (map !== slotMap)
        return `nodes disagree on who serves which slots (${at}: ${map} / ${slotMap})`;
      if (role[0] === 'slave') {
        const [, , masterPort, state] = role as [string, string, number, string];
        if (state !== 'connected') return `replica ${port}: link to master ${masterPort} is ${state}`;
        if (!owners.some((m) => m.port === Number(masterPort))) {
          return `replica ${port} replicates ${masterPort}, which serves no slots`;
        }
      } else if (allReplicas) {
        const replicas = role[2] as unknown[];
        if (replicas.length < this.options.replicasPerMaster) {
          return `master ${port} has ${replicas.length} of ${this.options.replicasPerMaster} replica(s)`;
        }
      }
    }
    return null;
  }

  /** The end of every node's log, for failure messages. */
  private logTails(): string {
    return this.nodes
      .map((port) => {
        const file = join(this.dir, `node-${port}.log`);
        if (!existsSync(file)) return `--- node ${port}: no log`;
        const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-8).join('\n');
        return `--- node ${port} (${this.isOurRunningPort(port) ? 'running' : 'not running'}):\n${tail}`;
      })
      .join('\n');
  }
}

/** Runs redis-cli with `args` (recorded as a child of the run); rejects on a non-zero exit or after 60 s. */
function runRedisCli(args: string[], timeoutMs = 60000): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    recordChild(proc.pid, `redis-cli ${args.slice(0, 2).join(' ')}`);
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once(
      'error',
      (e) => (clearTimeout(timer), reject(new Error(`redis-cli could not be started: ${e.message}`))),
    );
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`redis-cli ${args.join(' ')} failed (${code ?? signal}):\n${output.trim()}`));
    });
  });
}
