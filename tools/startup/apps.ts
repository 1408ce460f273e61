import { join } from 'node:path';
import { AppConfig, Endpoint } from '@app/platform';

/**
 * The five processes of the system, written down once: `npm start` runs them, the compose health check and
 * the boot tests find them here.
 */
export interface AppSpec {
  name: 'gateway' | 'query-service' | 'writer-service' | 'weather-service' | 'cache-warmer';
  /** How its health is asked: HTTP GET /health (gateway) or the HEALTH_PATTERN message over TCP. */
  health: 'http' | 'tcp';
  /** Where it listens, from the configuration. */
  endpoint: (config: AppConfig) => Endpoint;
  /** The variable that sets its port, for error messages. */
  portVariable: string;
  /** Prefix colour in the `npm start` log. */
  colour: string;
}

export const APPS: readonly AppSpec[] = [
  {
    name: 'query-service',
    health: 'tcp',
    endpoint: (c) => c.queryService,
    portVariable: 'QUERY_SERVICE_PORT',
    colour: 'cyan',
  },
  {
    name: 'writer-service',
    health: 'tcp',
    endpoint: (c) => c.writerService,
    portVariable: 'WRITER_SERVICE_PORT',
    colour: 'magenta',
  },
  {
    name: 'weather-service',
    health: 'tcp',
    endpoint: (c) => c.weatherService,
    portVariable: 'WEATHER_SERVICE_PORT',
    colour: 'yellow',
  },
  {
    name: 'cache-warmer',
    health: 'tcp',
    endpoint: (c) => c.cacheWarmer,
    portVariable: 'CACHE_WARMER_PORT',
    colour: 'blue',
  },
  // Last: the gateway's health asks every service, so it is the one to wait for.
  {
    name: 'gateway',
    health: 'http',
    endpoint: (c) => c.gateway,
    portVariable: 'GATEWAY_PORT',
    colour: 'green',
  },
];

export type AppName = AppSpec['name'];

export function findApp(name: string): AppSpec | undefined {
  return APPS.find((a) => a.name === name);
}

/** The compiled entry point of an app, relative to the project root (or to `root`). */
export function appMainPath(name: AppName, root = ''): string {
  return join(root, 'dist', 'apps', name, 'src', 'main.js');
}

/** Every port the system binds on this machine (the mock weather provider listens inside weather-service). */
export function listeningPorts(config: AppConfig): Array<{ variable: string; port: number; owner: string }> {
  return [
    ...APPS.map((a) => ({ variable: a.portVariable, port: a.endpoint(config).port, owner: a.name })),
    {
      variable: 'WEATHER_PROVIDER_PORT',
      port: config.weather.provider.port,
      owner: 'weather-service (mock provider)',
    },
  ];
}

/**
 * The Prometheus ports of the TCP services (*_METRICS_PORT; those set to 0 listen nowhere). The gateway serves
 * /metrics on GATEWAY_PORT.
 */
export function metricsPorts(config: AppConfig): Array<{ variable: string; port: number; owner: string }> {
  const ports = [
    {
      variable: 'QUERY_SERVICE_METRICS_PORT',
      port: config.metrics.queryService,
      owner: 'query-service (metrics)',
    },
    {
      variable: 'WRITER_SERVICE_METRICS_PORT',
      port: config.metrics.writerService,
      owner: 'writer-service (metrics)',
    },
    {
      variable: 'WEATHER_SERVICE_METRICS_PORT',
      port: config.metrics.weatherService,
      owner: 'weather-service (metrics)',
    },
    {
      variable: 'CACHE_WARMER_METRICS_PORT',
      port: config.metrics.cacheWarmer,
      owner: 'cache-warmer (metrics)',
    },
  ];
  return ports.filter((p) => p.port !== 0);
}

/** A host to connect to for an endpoint that may listen on every interface. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
