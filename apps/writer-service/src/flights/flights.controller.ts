import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Handles, WRITES, WritePayload } from '@app/contracts';
import { FlightsService } from './flights.service';

@Controller()
export class FlightsController {
  constructor(private readonly flights: FlightsService) {}

  @Handles(WRITES.updateFlight)
  update(@Payload() p: WritePayload<'updateFlight'>) {
    return this.flights.update(p);
  }
}
