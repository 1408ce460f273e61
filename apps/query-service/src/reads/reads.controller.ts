import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { READ_PATTERNS } from '@app/contracts';
import {
  AirportsByCountryPayload,
  ExplainPayload,
  FlightIdPayload,
  HubRoutesPayload,
  IataPayload,
  LimitPayload,
  PassengerIdPayload,
  PassportPayload,
  RoundTripPayload,
  SamplePayload,
  SearchPayload,
} from '@app/contracts';
import { ReadsService } from './reads.service';

/** The query-service's message handlers; payloads arrive validated by the gateway's DTOs. */
@Controller()
export class ReadsController {
  constructor(private readonly reads: ReadsService) {}

  @MessagePattern(READ_PATTERNS.flight)
  flight(@Payload() p: FlightIdPayload) {
    return this.reads.flight(p);
  }

  @MessagePattern(READ_PATTERNS.manifest)
  manifest(@Payload() p: FlightIdPayload) {
    return this.reads.manifest(p);
  }

  @MessagePattern(READ_PATTERNS.seats)
  seats(@Payload() p: FlightIdPayload) {
    return this.reads.seats(p);
  }

  @MessagePattern(READ_PATTERNS.passengerSample)
  passengerSample(@Payload() p: SamplePayload) {
    return this.reads.passengerSample(p);
  }

  @MessagePattern(READ_PATTERNS.passengerFlights)
  passengerFlights(@Payload() p: PassportPayload) {
    return this.reads.passengerFlights(p);
  }

  @MessagePattern(READ_PATTERNS.passengerProfile)
  passengerProfile(@Payload() p: PassengerIdPayload) {
    return this.reads.passengerProfile(p);
  }

  @MessagePattern(READ_PATTERNS.airportsByCountry)
  airportsByCountry(@Payload() p: AirportsByCountryPayload) {
    return this.reads.airportsByCountry(p);
  }

  @MessagePattern(READ_PATTERNS.airport)
  airport(@Payload() p: IataPayload) {
    return this.reads.airport(p);
  }

  @MessagePattern(READ_PATTERNS.searchFlights)
  searchFlights(@Payload() p: SearchPayload) {
    return this.reads.searchFlights(p);
  }

  @MessagePattern(READ_PATTERNS.roundTrip)
  roundTrip(@Payload() p: RoundTripPayload) {
    return this.reads.roundTrip(p);
  }

  @MessagePattern(READ_PATTERNS.popularRoutes)
  popularRoutes(@Payload() p: LimitPayload) {
    return this.reads.popularRoutes(p);
  }

  @MessagePattern(READ_PATTERNS.hubRoutes)
  hubRoutes(@Payload() p: HubRoutesPayload) {
    return this.reads.hubRoutes(p);
  }

  @MessagePattern(READ_PATTERNS.explain)
  explain(@Payload() p: ExplainPayload) {
    return this.reads.explain(p);
  }
}
