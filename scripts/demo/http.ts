import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CacheSource } from '@app/cache';

/** The envelope meta of every answer (libs/contracts/src/envelope.ts; OpenAPI at /docs). */
export interface Meta {
  source: CacheSource;
  latencyMs: number;
  cacheKey: string | null;
  [k: string]: unknown;
}

export interface Envelope<T> {
  data: T;
  meta: Meta;
}

export interface Reply<T> {
  status: number;
  body: T;
  /** Round trip measured by this client (HTTP + gateway + service), in milliseconds. */
  roundTripMs: number;
}

/** A 4xx/5xx answer: status plus the message the service wrote for a person. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly path: string,
  ) {
    const message = (body as { message?: string | string[] } | null)?.message;
    super(`${status} on ${path}: ${Array.isArray(message) ? message.join('; ') : (message ?? 'no message')}`);
    this.name = 'GatewayError';
  }
}

export interface GatewayClientOptions {
  admin?: { user: string; password: string };
}

/** Talks to the gateway's public HTTP API, exactly as a user would (no shortcuts into the services). */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly options: GatewayClientOptions = {},
  ) {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new Error(`Cannot reach the gateway at ${this.baseUrl} (${cause}). Is it running? (npm start)`, {
        cause: e,
      });
    }
    const text = await res.text();
    const roundTripMs = performance.now() - started;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { message: text };
    }
    if (!res.ok) throw new GatewayError(res.status, parsed, `${method} ${path}`);
    return { status: res.status, body: parsed as T, roundTripMs };
  }

  /** A cached read: the envelope plus the client-side round trip. */
  async read<T>(
    path: string,
    opts: { refresh?: boolean } = {},
  ): Promise<Envelope<T> & { roundTripMs: number }> {
    const url = opts.refresh ? `${path}${path.includes('?') ? '&' : '?'}refresh=true` : path;
    const reply = await this.request<Envelope<T>>('GET', url);
    return { ...reply.body, roundTripMs: reply.roundTripMs };
  }

  /** Writes carry an Idempotency-Key, so a retry of the same call could never book twice. */
  post<T>(path: string, body: unknown, idempotencyKey = randomUUID()) {
    return this.request<T>('POST', path, body, { 'idempotency-key': idempotencyKey });
  }

  patch<T>(path: string, body: unknown, idempotencyKey = randomUUID()) {
    return this.request<T>('PATCH', path, body, { 'idempotency-key': idempotencyKey });
  }

  delete<T>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }

  /** DELETE /api/cache with the admin credentials (Basic auth). */
  flushCache() {
    const { user, password } = this.options.admin ?? { user: 'admin', password: 'admin' };
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    return this.delete<unknown>('/api/cache', { authorization: `Basic ${auth}` });
  }
}

/** Unwraps `{data}` when an answer is enveloped, else returns it as is (writes answer plain bodies or envelopes). */
export function payload<T>(body: unknown): T {
  return (body && typeof body === 'object' && 'data' in body ? (body as { data: T }).data : body) as T;
}
