import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('flight')
export class Flight {
  @PrimaryGeneratedColumn({ name: 'flight_id', type: 'int' }) flightId: number;
  @Column({ type: 'char', length: 8 }) flightno: string;
  @Column({ name: 'from', type: 'smallint' }) from: number;
  @Column({ name: 'to', type: 'smallint' }) to: number;
  /** datetime on MySQL, timestamp (without time zone) on PostgreSQL; always UTC. */
  @Column({ type: 'timestamp' }) departure: Date;
  @Column({ type: 'timestamp' }) arrival: Date;
  @Column({ name: 'airline_id', type: 'smallint' }) airlineId: number;
  @Column({ name: 'airplane_id', type: 'int' }) airplaneId: number;
}

@Entity('flightschedule')
export class FlightSchedule {
  @PrimaryColumn({ type: 'char', length: 8 }) flightno: string;
  @Column({ name: 'from', type: 'smallint' }) from: number;
  @Column({ name: 'to', type: 'smallint' }) to: number;
  @Column({ type: 'time' }) departure: string;
  @Column({ type: 'time' }) arrival: string;
  @Column({ name: 'airline_id', type: 'smallint' }) airlineId: number;
  @Column({ type: 'smallint', default: 0 }) monday: number;
  @Column({ type: 'smallint', default: 0 }) tuesday: number;
  @Column({ type: 'smallint', default: 0 }) wednesday: number;
  @Column({ type: 'smallint', default: 0 }) thursday: number;
  @Column({ type: 'smallint', default: 0 }) friday: number;
  @Column({ type: 'smallint', default: 0 }) saturday: number;
  @Column({ type: 'smallint', default: 0 }) sunday: number;
}

/** No key in the real schema; log_date + flight_id stand in for TypeORM's sake. */
@Entity('flight_log')
export class FlightLog {
  @PrimaryColumn({ name: 'log_date', type: 'timestamp' }) logDate: Date;
  @Column({ name: 'user', type: 'varchar', length: 100 }) user: string;
  @PrimaryColumn({ name: 'flight_id', type: 'int' }) flightId: number;
  @Column({ name: 'flightno_old', type: 'char', length: 8 }) flightnoOld: string;
  @Column({ name: 'flightno_new', type: 'char', length: 8 }) flightnoNew: string;
  @Column({ name: 'from_old', type: 'smallint' }) fromOld: number;
  @Column({ name: 'to_old', type: 'smallint' }) toOld: number;
  @Column({ name: 'from_new', type: 'smallint' }) fromNew: number;
  @Column({ name: 'to_new', type: 'smallint' }) toNew: number;
  @Column({ name: 'departure_old', type: 'timestamp' }) departureOld: Date;
  @Column({ name: 'arrival_old', type: 'timestamp' }) arrivalOld: Date;
  @Column({ name: 'departure_new', type: 'timestamp' }) departureNew: Date;
  @Column({ name: 'arrival_new', type: 'timestamp' }) arrivalNew: Date;
  @Column({ name: 'airplane_id_old', type: 'int' }) airplaneIdOld: number;
  @Column({ name: 'airplane_id_new', type: 'int' }) airplaneIdNew: number;
  @Column({ name: 'airline_id_old', type: 'smallint' }) airlineIdOld: number;
  @Column({ name: 'airline_id_new', type: 'smallint' }) airlineIdNew: number;
  @Column({ type: 'varchar', length: 200, nullable: true }) comment: string | null;
}
