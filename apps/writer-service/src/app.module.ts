import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/common';

@Module({})
export class WriterServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WriterServiceModule,
      imports: [CoreModule.forRoot(config, 'writer-service')],
    };
  }
}
