import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Handles, WRITES, WritePayload } from '@app/contracts';
import { BookingsService } from './bookings.service';

/** Booking messages from the gateway (bodies were validated there). */
@Controller()
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Handles(WRITES.createBooking)
  create(@Payload() body: WritePayload<'createBooking'>) {
    return this.bookings.create(body);
  }

  @Handles(WRITES.bookingStatus)
  status(@Payload() p: WritePayload<'bookingStatus'>) {
    return this.bookings.status(p.reference);
  }

  @Handles(WRITES.cancelBooking)
  cancel(@Payload() p: WritePayload<'cancelBooking'>) {
    return this.bookings.cancel(p.bookingId);
  }
}
