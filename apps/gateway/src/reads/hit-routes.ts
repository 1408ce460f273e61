import { CallHandler, ExecutionContext, Injectable, NestInterceptor, OnModuleDestroy } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import { Observable, tap } from 'rxjs';
import { REQUEST_ID_HEADER, ReadName, isValidRequestId, newRequestId, requestContext } from '@app/contracts';
import { MetricsRegistry, metricSpec } from '@app/platform';
import { securityHeaders } from '../http/security-headers';
import type { HttpRecorder } from '../observability/http-metrics';
import { ReadsClient } from './reads-client';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** URLs of read routes remembered (a few hundred bytes each); the least recently used go first. */
const REMEMBERED_URLS = 10_000;

interface KnownRead {
  name: ReadName;
  payload: object;
  /** The route's template (`/api/flights/:id`), as the HTTP metrics name it. */
  route: string;
}

/**
 * The gateway's shortest path for cache hits. Everything Nest does for a read route — routing, the DTO classes'
 * validation and transformation (class-validator), the interceptors — is a pure function of the URL. So the first
 * GET of a URL goes the whole way, and when its handler answered exactly the envelope of its one read, the URL is
 * remembered with that read and its validated payload. The next GET of the same URL is answered in Fastify's
 * onRequest hook, after the hooks that give it its request id, security headers and limits, straight from the
 * near cache or Valkey; on a miss it goes the whole way again. Metrics and logs see both paths alike.
 *
 * Shorter still, the hit lane: when this process's near cache holds the entry, the GET is answered before Fastify
 * sees it at all (no routing, hooks or reply object; no promise), with what those hooks would have added: the
 * request id, the security headers, the HTTP metrics and the early-hit count. Off when every request is logged
 * (LOG_LEVEL=debug), and for a request that has or announces a body (its limits are checked the whole way).
 */
@Injectable()
export class HitRoutes implements OnModuleDestroy {
  private readonly known = new LRUCache<string, KnownRead>({ max: REMEMBERED_URLS });
  private readonly answeredInHook: Counter.Internal;
  private readonly answeredInLane: Counter.Internal;
  private recordHttp?: HttpRecorder;
  private readonly headers = securityHeaders();
  /** Stopping: Fastify answers (it refuses new requests with a 503 while it closes). */
  private stopping = false;

  constructor(
    private readonly reads: ReadsClient,
    metrics: MetricsRegistry,
  ) {
    const answered = metrics.counter({
      name: 'cmiyc_gateway_early_hits_total',
      help: metricSpec('cmiyc_gateway_early_hits_total').help,
      labelNames: ['stage'],
    });
    this.answeredInHook = answered.labels({ stage: 'hook' });
    this.answeredInLane = answered.labels({ stage: 'lane' });
  }

  remember(url: string, read: KnownRead): void {
    this.known.set(url, read);
  }

  /** Answers a remembered GET from the cache; false when it must go the whole way. */
  async answer(request: FastifyRequest, send: (json: string) => void): Promise<boolean> {
    if (request.method !== 'GET') return false;
    const read = this.known.get(request.url);
    if (!read) return false;
    const json = await this.reads.hitText(read.name, read.payload as never);
    if (json === null) return false;
    send(json);
    this.answeredInHook.inc();
    return true;
  }

  /**
   * Answers a remembered GET whose entry this process's near cache holds, at once; false when Fastify must answer
   * (then the early-hit hook above, or the whole way).
   */
  answerInMemory(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.stopping || request.method !== 'GET' || request.url === undefined) return false;
    const headers = request.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const read = this.known.get(request.url);
    if (!read) return false;
    const started = performance.now();
    const json = this.reads.hitTextInMemory(read.name, read.payload as never);
    if (json === undefined) return false;
    const given = headers[REQUEST_ID_HEADER];
    response.writeHead(200, {
      [REQUEST_ID_HEADER]: isValidRequestId(given) ? given : newRequestId(),
      ...this.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    });
    response.end(json);
    this.answeredInLane.inc();
    this.recordHttp?.('GET', read.route, 200, (performance.now() - started) / 1000);
    return true;
  }

  onModuleDestroy(): void {
    this.stopping = true;
  }

  /**
   * Puts the hit lane in front of Fastify's handler of the server's requests (before the server listens). A
   * failure in the lane before it answered leaves the request to Fastify.
   */
  private openLane(server: Server, recordHttp: HttpRecorder): void {
    const handlers = server.listeners('request') as RequestListener[];
    if (handlers.length !== 1)
      throw new Error(`expected Fastify's one request handler, found ${handlers.length}`);
    const [fastify] = handlers;
    this.recordHttp = recordHttp;
    server.removeListener('request', fastify);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      let answered: boolean;
      try {
        answered = this.answerInMemory(request, response);
      } catch {
        answered = response.headersSent;
        if (answered && !response.writableEnded) response.destroy(); // half an answer: the client sees it fail
      }
      if (!answered) fastify(request, response);
    });
  }

  /**
   * Installs the hook and the lane; called by createGatewayApp after the hooks every answer needs (ids, headers,
   * limits), with what makes the lane's answers seen like the others.
   */
  static install(
    app: NestFastifyApplication,
    observed: { recordHttp: HttpRecorder; accessLog: boolean },
  ): void {
    const routes = app.get(HitRoutes);
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    if (!observed.accessLog) routes.openLane(fastify.server, observed.recordHttp);
    fastify.addHook('onRequest', (request, reply, done) => {
      routes
        .answer(request, (json) => void reply.type('application/json; charset=utf-8').send(json))
        .then(
          (answered) => answered || done(),
          () => done(),
        );
    });
  }
}

/** On every read route (see ReadController): remembers a URL whose handler answered its one read's envelope. */
@Injectable()
export class RememberHitRoute implements NestInterceptor {
  constructor(
    private readonly routes: HitRoutes,
    private readonly reads: ReadsClient,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const scope = requestContext.getStore();
    if (request.method !== 'GET' || !scope) return next.handle();
    return next.handle().pipe(
      tap((body) => {
        const read = this.reads.onlyReadOf(scope);
        if (read && read.envelope === body && request.routeOptions.url)
          this.routes.remember(request.url, { ...read, route: request.routeOptions.url });
      }),
    );
  }
}
