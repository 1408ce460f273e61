import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  CacheResult,
  Envelope,
  READ_PATTERNS,
  ReadPatternName,
  SERVICES,
  callService,
  toEnvelope,
} from '@app/common';

/** Sends a read to the query-service and wraps its CacheResult in the contract's envelope. */
@Injectable()
export class QueryClient {
  constructor(@Inject(SERVICES.query) private readonly client: ClientProxy) {}

  async read<T>(pattern: ReadPatternName, payload: object): Promise<Envelope<T>> {
    const result = await callService<CacheResult<T>>(
      this.client,
      'query-service',
      READ_PATTERNS[pattern],
      payload,
    );
    return toEnvelope(result);
  }
}
