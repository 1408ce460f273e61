/**
 * Names of the TCP microservices (injection tokens of their clients) and the health message every one answers.
 * The operations of each service are defined in reads.ts, writes.ts and weather.ts.
 */
export const SERVICES = {
  query: 'QUERY_SERVICE',
  writer: 'WRITER_SERVICE',
  weather: 'WEATHER_SERVICE',
  warmer: 'CACHE_WARMER',
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Every service answers this with its dependency report (see HealthReport). */
export const HEALTH_PATTERN = { cmd: 'health' } as const;

export interface HealthReport {
  service: string;
  status: 'up' | 'down';
  details: Record<string, { status: 'up' | 'down'; [k: string]: unknown }>;
}
