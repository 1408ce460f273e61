import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config';
import { createDataSource } from './data-source';
import { Dialect } from './dialect';
import { ReadReplicas } from './read-replicas';

/**
 * The process's one DataSource to the primary (injected as `DataSource`), its SQL dialect, and the read replicas
 * the read repositories query through (`ReadReplicas`: the primary too when there are none).
 */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => createDataSource(config.db).initialize(),
    },
    { provide: Dialect, inject: [DataSource], useFactory: (ds: DataSource) => Dialect.of(ds) },
    {
      provide: ReadReplicas,
      inject: [DataSource, APP_CONFIG],
      useFactory: (ds: DataSource, config: AppConfig) => new ReadReplicas(ds, config.db),
    },
  ],
  exports: [DataSource, Dialect, ReadReplicas],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly replicas: ReadReplicas,
  ) {}

  async onApplicationShutdown() {
    await this.replicas.close();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
