import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('airline')
export class Airline {
  @PrimaryGeneratedColumn({ name: 'airline_id', type: 'smallint' }) airlineId: number;
  @Column({ type: 'char', length: 2 }) iata: string;
  @Column({ type: 'varchar', length: 30, nullable: true }) airlinename: string | null;
  @Column({ name: 'base_airport', type: 'smallint' }) baseAirport: number;
}

@Entity('airplane_type')
export class AirplaneType {
  @PrimaryGeneratedColumn({ name: 'type_id', type: 'int' }) typeId: number;
  @Column({ type: 'varchar', length: 50, nullable: true }) identifier: string | null;
  @Column({ type: 'text', nullable: true }) description: string | null;
}

@Entity('airplane')
export class Airplane {
  @PrimaryGeneratedColumn({ name: 'airplane_id', type: 'int' }) airplaneId: number;
  /** mediumint unsigned on MySQL, integer on PostgreSQL. */
  @Column({ type: 'int' }) capacity: number;
  @Column({ name: 'type_id', type: 'int' }) typeId: number;
  @Column({ name: 'airline_id', type: 'int' }) airlineId: number;
}
