import { ClientProxy } from '@nestjs/microservices';
import type { CacheResult } from '@app/cache';
import { Envelope, toEnvelope } from './envelope';
import { Operation } from './operation';
import { OperationClient } from './operation-client';

/** Payload and result type of each operation of a service whose every reply is a CacheResult (reads, writes). */
export type ResultSignatures = Record<string, { payload: object; result: unknown }>;

/** The operations of such a service, rebuilt from their signatures (what the client is constructed with). */
export type ResultOperations<T extends ResultSignatures> = {
  [N in keyof T]: Operation<T[N]['payload'], CacheResult<T[N]['result']>>;
};

/**
 * A client of a service whose every reply is a CacheResult: `call()` answers the gateway's envelope, so
 * `reads.call('passengerFlights', { passportNo })` is a `Promise<Envelope<PassengerFlights>>`.
 */
export class EnvelopeClient<T extends ResultSignatures> extends OperationClient<ResultOperations<T>> {
  constructor(proxy: ClientProxy, serviceName: string, operations: ResultOperations<T>) {
    super(proxy, serviceName, operations);
  }

  async call<N extends keyof T & string>(
    name: N,
    payload: T[N]['payload'],
  ): Promise<Envelope<T[N]['result']>> {
    return toEnvelope(await this.send(name, payload));
  }
}
