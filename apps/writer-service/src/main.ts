import 'reflect-metadata';
import { configOrExit, startMicroservice } from '@app/platform';
import { WriterServiceModule } from './app.module';

async function main() {
  const config = configOrExit();
  await startMicroservice(
    WriterServiceModule.forRoot(config),
    config.writerService,
    config,
    'writer-service',
  );
}

void main();
