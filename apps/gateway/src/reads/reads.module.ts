import { Module } from '@nestjs/common';
import { AirportsController } from './airports.controller';
import { FlightsController } from './flights.controller';
import { PassengersController } from './passengers.controller';
import { HitRoutes, RememberHitRoute } from './hit-routes';
import { ReadsClient } from './reads-client';
import { SearchController } from './search.controller';

/** The read routes of the contract; every one is answered by the query-service. */
@Module({
  controllers: [FlightsController, PassengersController, AirportsController, SearchController],
  providers: [ReadsClient, HitRoutes, RememberHitRoute],
})
export class ReadsRoutesModule {}
