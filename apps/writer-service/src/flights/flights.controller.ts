import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { UpdateFlightMessage, WRITE_PATTERNS } from '@app/contracts';
import { FlightsService } from './flights.service';

@Controller()
export class FlightsController {
  constructor(private readonly flights: FlightsService) {}

  @MessagePattern(WRITE_PATTERNS.updateFlight)
  update(@Payload() msg: UpdateFlightMessage) {
    return this.flights.update(msg);
  }
}
