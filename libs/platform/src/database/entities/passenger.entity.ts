import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('passenger')
export class Passenger {
  @PrimaryGeneratedColumn({ name: 'passenger_id', type: 'int' }) passengerId: number;
  @Column({ type: 'char', length: 9 }) passportno: string;
  @Column({ type: 'varchar', length: 100 }) firstname: string;
  @Column({ type: 'varchar', length: 100 }) lastname: string;
}

@Entity('passengerdetails')
export class PassengerDetails {
  @PrimaryColumn({ name: 'passenger_id', type: 'int' }) passengerId: number;
  @Column({ type: 'date' }) birthdate: string;
  @Column({ type: 'char', length: 1, nullable: true }) sex: string | null;
  @Column({ type: 'varchar', length: 100 }) street: string;
  @Column({ type: 'varchar', length: 100 }) city: string;
  @Column({ type: 'smallint' }) zip: number;
  @Column({ type: 'varchar', length: 100 }) country: string;
  @Column({ type: 'varchar', length: 120, nullable: true }) emailaddress: string | null;
  @Column({ type: 'varchar', length: 30, nullable: true }) telephoneno: string | null;
}

@Entity('booking')
export class Booking {
  @PrimaryGeneratedColumn({ name: 'booking_id', type: 'int' }) bookingId: number;
  @Column({ name: 'flight_id', type: 'int' }) flightId: number;
  @Column({ type: 'char', length: 4, nullable: true }) seat: string | null;
  @Column({ name: 'passenger_id', type: 'int' }) passengerId: number;
  @Column({ type: 'decimal', precision: 10, scale: 2 }) price: string;
}
