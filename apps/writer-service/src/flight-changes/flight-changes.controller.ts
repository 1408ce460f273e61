import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Handles, WRITES, WritePayload } from '@app/contracts';
import { FlightChangesService } from './flight-changes.service';

@Controller()
export class FlightChangesController {
  constructor(private readonly changes: FlightChangesService) {}

  @Handles(WRITES.flightChangeStatus)
  status(@Payload() p: WritePayload<'flightChangeStatus'>) {
    return this.changes.status(p.reference);
  }

  @Handles(WRITES.flightChangeTotals)
  totals() {
    return this.changes.totals();
  }
}
