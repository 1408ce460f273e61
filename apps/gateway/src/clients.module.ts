import { DynamicModule, Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { AppConfig, SERVICES } from '@app/common';

/** TCP clients for every downstream service, injected by the names in SERVICES. */
@Module({})
export class ServiceClientsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const tcp = (name: string, e: { host: string; port: number }) => ({
      name,
      transport: Transport.TCP as const,
      options: { host: e.host, port: e.port },
    });
    const clients = ClientsModule.register([
      tcp(SERVICES.query, config.queryService),
      tcp(SERVICES.writer, config.writerService),
      tcp(SERVICES.weather, config.weatherService),
      tcp(SERVICES.warmer, config.cacheWarmer),
    ]);
    return { module: ServiceClientsModule, global: true, imports: [clients], exports: [clients] };
  }
}
