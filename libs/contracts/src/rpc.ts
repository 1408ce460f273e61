import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  GatewayTimeoutException,
  HttpException,
  HttpStatus,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, throwError, timeout, catchError } from 'rxjs';
import { withRequestId } from './request-id';

/** What a service sends back instead of a result when it fails: the HTTP error the gateway should answer. */
export interface RpcErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * Microservice-side filter: a thrown HttpException (NotFoundException, ConflictException...) travels to the
 * gateway as its status and message; anything else becomes a 500 with the message logged, not leaked.
 */
@Catch()
export class RpcErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RpcErrorFilter');

  /**
   * @param translate turns a failure of a dependency into the HTTP error it means (a database that cannot be
   *   reached: 503 naming it); undefined leaves the exception as it is.
   */
  constructor(private readonly translate: (e: unknown) => HttpException | undefined = () => undefined) {}

  catch(thrown: unknown, _host: ArgumentsHost) {
    const exception = thrown instanceof HttpException ? thrown : (this.translate(thrown) ?? thrown);
    const body = toRpcErrorBody(exception);
    // Deliberate HTTP errors (404, 409, a 502 from an upstream...) are answers, not bugs: log only the unexpected.
    if (!(exception instanceof HttpException))
      this.logger.error((exception as Error)?.stack ?? String(exception));
    return throwError(() => body);
  }
}

export function toRpcErrorBody(exception: unknown): RpcErrorBody {
  if (exception instanceof HttpException) {
    const res = exception.getResponse();
    const status = exception.getStatus();
    if (typeof res === 'object' && res !== null) {
      const r = res as Partial<RpcErrorBody>;
      return {
        statusCode: status,
        error: r.error ?? HttpStatus[status] ?? 'Error',
        message: r.message ?? exception.message,
      };
    }
    return { statusCode: status, error: HttpStatus[status] ?? 'Error', message: String(res) };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
}

function isRpcErrorBody(e: unknown): e is RpcErrorBody {
  return typeof e === 'object' && e !== null && typeof (e as RpcErrorBody).statusCode === 'number';
}

/** How long a caller waits for a service's answer (a stopping NATS instance waits as long for its own answers). */
export const SERVICE_CALL_TIMEOUT_MS = 15_000;

/**
 * Gateway-side call: sends a message and turns the service's error body back into the same HTTP error.
 * A service that does not answer becomes 503 (not reachable) or 504 (too slow), naming the service.
 * Called within an HTTP request, the message carries the request's id (REQUEST_ID_FIELD).
 */
export async function callService<T>(
  client: ClientProxy,
  serviceName: string,
  pattern: object,
  data: unknown,
  timeoutMs = SERVICE_CALL_TIMEOUT_MS,
): Promise<T> {
  try {
    return await firstValueFrom(
      // Within an HTTP request, the message carries its id (see request-id.ts).
      client.send<T>(pattern, withRequestId(data ?? {})).pipe(
        timeout(timeoutMs),
        catchError((e) => throwError(() => e)),
      ),
    );
  } catch (e) {
    if (isRpcErrorBody(e)) throw new HttpException(e, e.statusCode);
    if ((e as Error)?.name === 'TimeoutError') {
      throw new GatewayTimeoutException(`${serviceName} did not answer within ${timeoutMs} ms`);
    }
    throw new ServiceUnavailableException(`${serviceName} is not reachable: ${(e as Error)?.message ?? e}`);
  }
}
