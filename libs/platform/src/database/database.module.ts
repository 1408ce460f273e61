import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config';
import { createDataSource } from './data-source';
import { Dialect } from './dialect';

/** The process's one DataSource (injected as `DataSource`) and its SQL dialect. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => createDataSource(config.db).initialize(),
    },
    { provide: Dialect, inject: [DataSource], useFactory: (ds: DataSource) => Dialect.of(ds) },
  ],
  exports: [DataSource, Dialect],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async onApplicationShutdown() {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
