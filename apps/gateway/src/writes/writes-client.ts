import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { CacheService } from '@app/cache';
import { Envelope, EnvelopeClient, SERVICES, WRITES, WriteSignatures } from '@app/contracts';

type WriteName = keyof WriteSignatures & string;

/**
 * The writes of the gateway's routes: `writes.call('cancelBooking', { bookingId })` answers the envelope. Before
 * it does, every invalidation the write caused has reached this gateway's near cache, so the next read through
 * this gateway sees the write (read-your-writes).
 */
@Injectable()
export class WritesClient extends EnvelopeClient<WriteSignatures> {
  constructor(
    @Inject(SERVICES.writer) proxy: ClientProxy,
    private readonly cache: CacheService,
  ) {
    super(proxy, 'writer-service', WRITES);
  }

  override async call<N extends WriteName>(
    name: N,
    payload: WriteSignatures[N]['payload'],
  ): Promise<Envelope<WriteSignatures[N]['result']>> {
    try {
      return await super.call(name, payload);
    } finally {
      await this.cache.nearBarrier();
    }
  }
}
