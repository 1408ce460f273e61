import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { EnvelopeClient, SERVICES, WRITES, WriteSignatures } from '@app/contracts';

/** The writes of the gateway's routes: `writes.call('cancelBooking', { bookingId })` answers the envelope. */
@Injectable()
export class WritesClient extends EnvelopeClient<WriteSignatures> {
  constructor(@Inject(SERVICES.writer) proxy: ClientProxy) {
    super(proxy, 'writer-service', WRITES);
  }
}
