import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const DEPARTMENTS = ['marketing', 'accounting', 'management', 'logistics', 'airfield'] as const;
export const WEATHER_KINDS = [
  'fog-snowfall',
  'snowfall',
  'rain',
  'rain-snowfall',
  'fog-rain',
  'fog-rain-thunderstorm',
  'thunderstorm',
  'fog',
  'rain-thunderstorm',
] as const;

@Entity('employee')
export class Employee {
  @PrimaryGeneratedColumn({ name: 'employee_id', type: 'int' }) employeeId: number;
  @Column({ type: 'varchar', length: 100 }) firstname: string;
  @Column({ type: 'varchar', length: 100 }) lastname: string;
  @Column({ type: 'date' }) birthdate: string;
  @Column({ type: 'char', length: 1, nullable: true }) sex: string | null;
  @Column({ type: 'varchar', length: 100 }) street: string;
  @Column({ type: 'varchar', length: 100 }) city: string;
  @Column({ type: 'smallint' }) zip: number;
  @Column({ type: 'varchar', length: 100 }) country: string;
  @Column({ type: 'varchar', length: 120, nullable: true }) emailaddress: string | null;
  @Column({ type: 'varchar', length: 30, nullable: true }) telephoneno: string | null;
  @Column({ type: 'decimal', precision: 8, scale: 2, nullable: true }) salary: string | null;
  /** enum on MySQL, a checked varchar on PostgreSQL. */
  @Column({ type: 'varchar', length: 20, nullable: true }) department: (typeof DEPARTMENTS)[number] | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) username: string | null;
  @Column({ type: 'char', length: 32, nullable: true }) password: string | null;
}

@Entity('weatherdata')
export class WeatherData {
  @PrimaryColumn({ name: 'log_date', type: 'date' }) logDate: string;
  @PrimaryColumn({ type: 'time' }) time: string;
  @PrimaryColumn({ type: 'int' }) station: number;
  @Column({ type: 'decimal', precision: 3, scale: 1 }) temp: string;
  @Column({ type: 'decimal', precision: 4, scale: 1 }) humidity: string;
  @Column({ type: 'decimal', precision: 10, scale: 2 }) airpressure: string;
  @Column({ type: 'decimal', precision: 5, scale: 2 }) wind: string;
  @Column({ type: 'varchar', length: 30, nullable: true }) weather: (typeof WEATHER_KINDS)[number] | null;
  @Column({ type: 'smallint' }) winddirection: number;
}
