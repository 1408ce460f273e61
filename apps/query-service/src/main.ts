import 'reflect-metadata';
import { configOrExit, startMicroservice } from '@app/platform';
import { QueryServiceModule } from './app.module';

async function main() {
  const config = configOrExit();
  await startMicroservice(QueryServiceModule.forRoot(config), config.queryService, config, 'query-service');
}

void main();
