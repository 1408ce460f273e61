import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateBookingDto, WRITE_PATTERNS } from '@app/contracts';
import { BookingsService } from './bookings.service';

/** Booking messages from the gateway (bodies were validated there). */
@Controller()
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @MessagePattern(WRITE_PATTERNS.createBooking)
  create(@Payload() dto: CreateBookingDto) {
    return this.bookings.create(dto);
  }

  @MessagePattern(WRITE_PATTERNS.bookingStatus)
  status(@Payload() msg: { reference: string }) {
    return this.bookings.status(msg.reference);
  }

  @MessagePattern(WRITE_PATTERNS.cancelBooking)
  cancel(@Payload() msg: { bookingId: number }) {
    return this.bookings.cancel(msg.bookingId);
  }
}
