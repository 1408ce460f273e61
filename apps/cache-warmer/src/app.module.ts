import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/common';

@Module({})
export class CacheWarmerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CacheWarmerModule,
      imports: [CoreModule.forRoot(config, 'cache-warmer')],
    };
  }
}
