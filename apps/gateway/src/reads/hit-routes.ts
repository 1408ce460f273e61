import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import { Observable, tap } from 'rxjs';
import { ReadName, requestContext } from '@app/contracts';
import { MetricsRegistry, metricSpec } from '@app/platform';
import { ReadsClient } from './reads-client';

/** URLs of read routes remembered (a few hundred bytes each); the least recently used go first. */
const REMEMBERED_URLS = 10_000;

interface KnownRead {
  name: ReadName;
  payload: object;
}

/**
 * The gateway's shortest path for cache hits. Everything Nest does for a read route — routing, the DTO classes'
 * validation and transformation (class-validator), the interceptors — is a pure function of the URL. So the first
 * GET of a URL goes the whole way, and when its handler answered exactly the envelope of its one read, the URL is
 * remembered with that read and its validated payload. The next GET of the same URL is answered in Fastify's
 * onRequest hook, after the hooks that give it its request id, security headers and limits, straight from the
 * near cache or Valkey; on a miss it goes the whole way again. Metrics and logs see both paths alike.
 */
@Injectable()
export class HitRoutes {
  private readonly known = new LRUCache<string, KnownRead>({ max: REMEMBERED_URLS });
  private readonly answered: Counter;

  constructor(
    private readonly reads: ReadsClient,
    metrics: MetricsRegistry,
  ) {
    this.answered = metrics.counter({
      name: 'cmiyc_gateway_early_hits_total',
      help: metricSpec('cmiyc_gateway_early_hits_total').help,
    });
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
    this.answered.inc();
    return true;
  }

  /** Installs the hook; called by createGatewayApp after the hooks every answer needs (ids, headers, limits). */
  static install(app: NestFastifyApplication): void {
    const routes = app.get(HitRoutes);
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
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
        if (read && read.envelope === body) this.routes.remember(request.url, read);
      }),
    );
  }
}
