import { createServer, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The plumbing shared by the stand-ins for outside services (the mock weather provider, the Ollama stand-in):
 * an HTTP server on its own port answering JSON, with delayed replies that closing it cancels.
 */

/** Timers of delayed replies; the stand-in's close() clears those still pending. */
export class StandInTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms` milliseconds, unless the stand-in closes first. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
    return t;
  }

  /** Cancels one timer. */
  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.pending.delete(t);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}

export interface StandInServerOptions {
  host?: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** Cleared on close. */
  timers?: StandInTimers;
  keepAliveTimeoutMs?: number;
}

export interface StandInServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens with `handler` on the given host and port; resolves once it accepts connections. */
export async function startStandInServer(
  options: StandInServerOptions,
  handler: RequestListener,
): Promise<StandInServer> {
  const server = createServer(handler);
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        options.timers?.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers `body` as JSON with `status` (nothing when an answer went out already or the connection is gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

/** The request's body as a JSON object (an empty body is `{}`); rejects a longer body than `maxChars`. */
export function readJsonObject(req: IncomingMessage, maxChars: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > maxChars) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        const parsed: unknown = JSON.parse(body || '{}');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('expected a JSON object');
        resolve(parsed as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`invalid JSON body: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/** The call counters of a stand-in, behind `GET /admin/stats` (them) and `DELETE /admin/stats` (reset). */
export class StandInCounters<T> {
  /** The counters since the last reset (a reset replaces the object). */
  now: T;

  constructor(private readonly empty: () => T) {
    this.now = empty();
  }

  /** A copy of the counters. */
  snapshot(): T {
    return structuredClone(this.now);
  }

  reset(): void {
    this.now = this.empty();
  }

  /** Answers `route` ("GET /admin/stats"...) when it is one of the counters' routes; false for any other. */
  serve(route: string, res: ServerResponse): boolean {
    if (route === 'DELETE /admin/stats') this.reset();
    else if (route !== 'GET /admin/stats') return false;
    sendJson(res, 200, this.now);
    return true;
  }
}
