import { Server, Socket, connect, createServer } from 'node:net';
import { freePort } from './private-server';

/**
 * A TCP proxy the test controls, in front of a real server: it can delay every reply (a slow server on a busy
 * machine) and cut every connection (a server that went away).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private delayMs = 0;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.restore();
    return proxy;
  }

  /** Replies from the server reach the client this much later (in order); 0 for none. */
  delayReplies(ms: number): void {
    this.delayMs = ms;
  }

  async restore(): Promise<void> {
    if (this.server) return;
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      // Each chunk is due `delayMs` after it arrived (never before the previous one, so order is kept).
      let lastDue = 0;
      upstream.on('data', (chunk: Buffer) => {
        if (this.delayMs <= 0 && lastDue <= Date.now()) return void client.write(chunk);
        const due = Math.max(lastDue, Date.now() + this.delayMs);
        lastDue = due;
        setTimeout(() => client.write(chunk), due - Date.now());
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  /** The server "goes away": open connections are dropped and new ones refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
