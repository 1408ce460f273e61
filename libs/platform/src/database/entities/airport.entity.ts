import { Column, Entity, PrimaryGeneratedColumn, PrimaryColumn } from 'typeorm';

// Entity metadata mirrors FlughafenDB; the tables themselves are created by the migrations (never synchronize).
// Column types are the portable subset TypeORM accepts on both drivers; the migrations hold the exact types.

@Entity('airport')
export class Airport {
  @PrimaryGeneratedColumn({ name: 'airport_id', type: 'smallint' }) airportId: number;
  @Column({ type: 'char', length: 3, nullable: true }) iata: string | null;
  @Column({ type: 'char', length: 4 }) icao: string;
  @Column({ type: 'varchar', length: 50 }) name: string;
}

@Entity('airport_geo')
export class AirportGeo {
  // The real schema has no primary key here; TypeORM needs one, and airport_id is unique in practice.
  @PrimaryColumn({ name: 'airport_id', type: 'smallint' }) airportId: number;
  @Column({ type: 'varchar', length: 50 }) name: string;
  @Column({ type: 'varchar', length: 50, nullable: true }) city: string | null;
  @Column({ type: 'varchar', length: 50, nullable: true }) country: string | null;
  @Column({ type: 'decimal', precision: 11, scale: 8 }) latitude: string;
  @Column({ type: 'decimal', precision: 11, scale: 8 }) longitude: string;
}

@Entity('airport_reachable')
export class AirportReachable {
  @PrimaryColumn({ name: 'airport_id', type: 'int' }) airportId: number;
  @Column({ type: 'int', nullable: true }) hops: number | null;
}
