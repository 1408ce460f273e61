import { Module } from '@nestjs/common';
import { WritesClient } from '../writes/writes-client';
import { FlightChangesController } from './flight-changes.controller';

/** GET /api/flight-changes...: answered by the writer-service. */
@Module({ controllers: [FlightChangesController], providers: [WritesClient] })
export class FlightChangesRoutesModule {}
