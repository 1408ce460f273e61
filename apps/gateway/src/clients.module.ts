import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, serviceClients } from '@app/platform';

/** TCP clients for every downstream service, injected by the names in SERVICES. */
@Module({})
export class ServiceClientsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const clients = serviceClients(config, ['query', 'writer', 'weather', 'warmer']);
    return { module: ServiceClientsModule, global: true, imports: [clients], exports: [clients] };
  }
}
