import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FlightChangeReferenceParams } from '@app/contracts';
import { WritesClient } from '../writes/writes-client';

/** Write-behind flight changes (PATCH /api/flights/:id with mode write-behind): their status and totals. */
@ApiTags('writes')
@Controller('api/flight-changes')
export class FlightChangesController {
  constructor(private readonly writes: WritesClient) {}

  @Get()
  @ApiOperation({
    summary:
      'Write-behind flight changes so far: accepted, persisted, failed, pending, and the UPDATE statements they cost (several changes to one flight in one batch are one UPDATE)',
  })
  @ApiOkResponse({ description: '{data: {accepted, persisted, failed, updates, batches, pending}, meta}' })
  totals() {
    return this.writes.call('flightChangeTotals', {});
  }

  @Get(':reference')
  @ApiOperation({ summary: 'Status of a write-behind flight change: pending, persisted or failed' })
  @ApiOkResponse({
    description: '{data: {reference, status, flightId, seq, batchChanges?, batchUpdates?}, meta}',
  })
  @ApiNotFoundResponse({ description: 'No change with this reference' })
  status(@Param() p: FlightChangeReferenceParams) {
    return this.writes.call('flightChangeStatus', { reference: p.reference });
  }
}
