import 'reflect-metadata';
import { configOrExit, startMicroservice } from '@app/platform';
import { CacheWarmerModule } from './app.module';

async function main() {
  const config = configOrExit();
  await startMicroservice(CacheWarmerModule.forRoot(config), config.cacheWarmer, config, 'cache-warmer');
}

void main();
