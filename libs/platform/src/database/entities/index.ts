import { Airport, AirportGeo, AirportReachable } from './airport.entity';
import { Airline, Airplane, AirplaneType } from './airline.entity';
import { Flight, FlightLog, FlightSchedule } from './flight.entity';
import { Booking, Passenger, PassengerDetails } from './passenger.entity';
import { Employee, WeatherData } from './other.entity';

export * from './airport.entity';
export * from './airline.entity';
export * from './flight.entity';
export * from './passenger.entity';
export * from './other.entity';

export const ENTITIES = [
  Airport,
  AirportGeo,
  AirportReachable,
  Airline,
  Airplane,
  AirplaneType,
  Flight,
  FlightSchedule,
  FlightLog,
  Passenger,
  PassengerDetails,
  Booking,
  Employee,
  WeatherData,
];
