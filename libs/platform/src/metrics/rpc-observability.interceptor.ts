import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { Histogram } from 'prom-client';
import { requestContext, takeRequestId } from '@app/contracts';
import { LATENCY_BUCKETS, MetricsRegistry } from './metrics-registry';
import { metricSpec } from './names';

export type RpcOutcome = 'ok' | '4xx' | '5xx';

/**
 * Every message a TCP service answers: takes the request id out of the payload (before the payload is validated:
 * interceptors run before pipes) and answers the message inside that request's context, so every log line the
 * message causes carries the id; counts and times it (cmiyc_rpc_duration_seconds) and logs it at debug level.
 */
@Injectable()
export class RpcObservabilityInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Rpc');
  private readonly duration: Histogram<'pattern' | 'outcome'>;
  private readonly names = new Map<string, string>();

  constructor(metrics: MetricsRegistry) {
    this.duration = metrics.histogram({
      name: 'cmiyc_rpc_duration_seconds',
      help: metricSpec('cmiyc_rpc_duration_seconds').help,
      labelNames: ['pattern', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const rpc = context.switchToRpc();
    const requestId = takeRequestId(rpc.getData());
    const pattern = this.patternOf(rpc.getContext());
    const started = performance.now();
    const done = (outcome: RpcOutcome) => {
      const ms = performance.now() - started;
      this.duration.observe({ pattern, outcome }, ms / 1000);
      const line = () => this.logger.debug(`${pattern} answered ${outcome} in ${ms.toFixed(1)} ms`);
      if (requestId) requestContext.run({ requestId }, line);
      else line();
    };
    const answer = () =>
      next.handle().pipe(
        tap({
          complete: () => done('ok'),
          error: (e: unknown) => done(outcomeOf(e)),
        }),
      );
    // Nest binds the handler's async context when handle() is called: inside run(), the handler runs in it.
    return requestId ? requestContext.run({ requestId }, answer) : answer();
  }

  /** `{"cmd":"reads.flight"}` -> reads.flight (the TCP context gives the pattern as a string). */
  private patternOf(ctx: unknown): string {
    const raw = (ctx as { getPattern?: () => string } | undefined)?.getPattern?.() ?? 'unknown';
    let name = this.names.get(raw);
    if (name === undefined) {
      try {
        const parsed: unknown = JSON.parse(raw);
        name =
          parsed && typeof parsed === 'object' && typeof (parsed as { cmd?: unknown }).cmd === 'string'
            ? (parsed as { cmd: string }).cmd
            : raw;
      } catch {
        name = raw;
      }
      this.names.set(raw, name);
    }
    return name;
  }
}

/** A thrown HttpException's status class; anything else is a server error (the filter answers 500 or 503). */
export function outcomeOf(e: unknown): RpcOutcome {
  const status = (e as { getStatus?: () => number })?.getStatus?.();
  return typeof status === 'number' && status >= 400 && status < 500 ? '4xx' : '5xx';
}
