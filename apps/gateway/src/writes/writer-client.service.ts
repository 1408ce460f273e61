import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { CacheResult, Envelope, toEnvelope } from '@app/cache';
import { SERVICES, WRITE_PATTERNS, callService } from '@app/contracts';

/** Sends a write to the writer-service and wraps its answer in the contract's envelope. */
@Injectable()
export class WriterClient {
  constructor(@Inject(SERVICES.writer) private readonly client: ClientProxy) {}

  async send<T>(pattern: keyof typeof WRITE_PATTERNS, payload: object): Promise<Envelope<T>> {
    const result = await callService<CacheResult<T>>(
      this.client,
      'writer-service',
      WRITE_PATTERNS[pattern],
      payload,
    );
    return toEnvelope(result);
  }
}
