import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { configOrExit } from '@app/platform';
import { createGatewayApp } from './gateway.factory';

async function main() {
  const config = configOrExit();
  const app = await createGatewayApp(config);
  await app.listen(config.gateway.port, config.gateway.host);
  new Logger('gateway').log(`listening on http://${config.gateway.host}:${config.gateway.port}`);
}

void main();
