import { DynamicModule } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { AppConfig } from '../config/config';
import { SERVICES, ServiceName } from '@app/contracts';

const ENDPOINT: Record<ServiceName, (c: AppConfig) => { host: string; port: number }> = {
  query: (c) => c.queryService,
  writer: (c) => c.writerService,
  weather: (c) => c.weatherService,
  warmer: (c) => c.cacheWarmer,
};

/** TCP clients for the named services, injectable by their SERVICES token (one definition for every caller). */
export function serviceClients(config: AppConfig, names: ServiceName[]): DynamicModule {
  return ClientsModule.register(
    names.map((name) => ({
      name: SERVICES[name],
      transport: Transport.TCP as const,
      options: { host: ENDPOINT[name](config).host, port: ENDPOINT[name](config).port },
    })),
  );
}
