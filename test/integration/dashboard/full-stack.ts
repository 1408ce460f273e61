import { INestMicroservice } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, DbEngine, startMicroservice } from '@app/platform';
import { createSeededTestDatabase } from '../../support/seeded';
import { freePort } from '../../support/redis-server';
import { testConfig } from '../../support/test-env';
import { QueryServiceModule } from '../../../apps/query-service/src/app.module';
import { WriterServiceModule } from '../../../apps/writer-service/src/app.module';
import { WeatherServiceModule } from '../../../apps/weather-service/src/app.module';
import { CacheWarmerModule } from '../../../apps/cache-warmer/src/app.module';
import { createGatewayApp } from '../../../apps/gateway/src/gateway.factory';
import { deleteKeysWithPrefix } from '../foundation/support';

/**
 * The whole system in this process: the four services on ephemeral TCP ports and the gateway on an ephemeral
 * HTTP port, over a seeded database and a key prefix of the suite's own.
 */
export interface FullStack {
  config: AppConfig;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startFullStack(engine: DbEngine, env: NodeJS.ProcessEnv = {}): Promise<FullStack> {
  const [query, writer, weather, warmer, provider, gatewayPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const config = testConfig(engine, {
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(gatewayPort),
    QUERY_SERVICE_PORT: String(query),
    WRITER_SERVICE_PORT: String(writer),
    WEATHER_SERVICE_PORT: String(weather),
    CACHE_WARMER_PORT: String(warmer),
    WEATHER_PROVIDER_PORT: String(provider),
    WEATHER_PROVIDER_MIN_DELAY_MS: '20',
    WEATHER_PROVIDER_MAX_DELAY_MS: '40',
    WRITE_BEHIND_BLOCK_MS: '50',
    ...env,
  });
  const dropDatabase = await createSeededTestDatabase(config);
  const services: INestMicroservice[] = [];
  let gateway: NestFastifyApplication | undefined;
  const close = async () => {
    await gateway?.close();
    for (const s of services.reverse()) await s.close();
    await deleteKeysWithPrefix(config);
    await dropDatabase();
  };
  try {
    services.push(
      await startMicroservice(
        QueryServiceModule.forRoot(config),
        config.queryService,
        config,
        'query-service',
      ),
    );
    services.push(
      await startMicroservice(
        WriterServiceModule.forRoot(config),
        config.writerService,
        config,
        'writer-service',
      ),
    );
    services.push(
      await startMicroservice(
        WeatherServiceModule.forRoot(config, { embeddedProvider: true }),
        config.weatherService,
        config,
        'weather-service',
      ),
    );
    services.push(
      await startMicroservice(CacheWarmerModule.forRoot(config), config.cacheWarmer, config, 'cache-warmer'),
    );
    gateway = await createGatewayApp(config);
    await gateway.listen(config.gateway.port, '127.0.0.1');
  } catch (e) {
    await close();
    throw e;
  }
  return { config, baseUrl: `http://127.0.0.1:${config.gateway.port}`, close };
}
