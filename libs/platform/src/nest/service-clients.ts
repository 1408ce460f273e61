import { DynamicModule } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { AppConfig } from '../config/config';
import { SERVICES, ServiceName } from '@app/contracts';
import { PrefixedClientNats, natsClientOptions } from './nats-transport';

const ENDPOINT: Record<ServiceName, (c: AppConfig) => { host: string; port: number }> = {
  query: (c) => c.queryService,
  writer: (c) => c.writerService,
  weather: (c) => c.weatherService,
  warmer: (c) => c.cacheWarmer,
};

/** The app each service runs as (the name its instances pass to startMicroservice: their NATS subjects). */
export const SERVICE_APPS: Record<ServiceName, string> = {
  query: 'query-service',
  writer: 'writer-service',
  weather: 'weather-service',
  warmer: 'cache-warmer',
};

/**
 * Clients for the named services, injectable by their SERVICES token (one definition for every caller): TCP to
 * the one instance at its endpoint, or (SERVICE_TRANSPORT=nats) NATS to whichever instance of its queue group.
 */
export function serviceClients(config: AppConfig, names: ServiceName[]): DynamicModule {
  return ClientsModule.register(
    names.map((name) =>
      config.transport.kind === 'nats'
        ? {
            name: SERVICES[name],
            customClass: PrefixedClientNats,
            options: natsClientOptions(config, SERVICE_APPS[name]),
          }
        : {
            name: SERVICES[name],
            transport: Transport.TCP as const,
            options: { host: ENDPOINT[name](config).host, port: ENDPOINT[name](config).port },
          },
    ),
  );
}
