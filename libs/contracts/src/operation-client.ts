import { ClientProxy } from '@nestjs/microservices';
import { withInternalToken } from './internal-token';
import { Operations } from './operation';
import { callService } from './rpc';

/**
 * Typed calls to one service: `client.send('flight', { flightId })` sends the pattern of the operation `flight`
 * with a payload the compiler checked against its definition, and resolves to the reply its definition names.
 * Failures come back as the HTTP errors of callService (the service's own, or 503/504 naming the service).
 * An admin-only operation is sent with the internal token, when the client was given one.
 */
export class OperationClient<Ops extends Operations> {
  constructor(
    private readonly proxy: ClientProxy,
    /** The service's name in error messages ("query-service is not reachable"). */
    private readonly serviceName: string,
    private readonly operations: Ops,
    /** INTERNAL_TOKEN: only the gateway's clients hold it, after checking the admin's credentials. */
    private readonly internalToken?: string,
  ) {}

  send<N extends keyof Ops & string>(
    name: N,
    payload: Ops[N]['payload'],
    timeoutMs?: number,
  ): Promise<Ops[N]['reply']> {
    return callService<Ops[N]['reply']>(
      this.proxy,
      this.serviceName,
      this.operations[name].pattern,
      this.operations[name].admin && this.internalToken
        ? withInternalToken(payload, this.internalToken)
        : payload,
      timeoutMs,
    );
  }
}
