import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, configOrExit, warnIfInternalTokenMadeUp } from '@app/platform';
import { createGatewayApp } from './gateway.factory';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const DEFAULT_ADMIN_PASSWORD = 'admin';

/** Reachable from other machines with the password everyone knows: said at every start until it is changed. */
export function exposureWarning(config: AppConfig): string | undefined {
  if (LOOPBACK.has(config.gateway.host) || config.admin.password !== DEFAULT_ADMIN_PASSWORD) return undefined;
  return (
    `listening on ${config.gateway.host}, beyond this machine, with the default admin password: anyone who can ` +
    'reach this port can flush the cache and open /queues. Set ADMIN_PASSWORD (or GATEWAY_HOST=127.0.0.1).'
  );
}

async function main() {
  const config = configOrExit();
  const app = await createGatewayApp(config);
  await app.listen(config.gateway.port, config.gateway.host);
  const logger = new Logger('gateway');
  logger.log(`listening on http://${config.gateway.host}:${config.gateway.port}`);
  const warning = exposureWarning(config);
  if (warning) logger.warn(warning);
  warnIfInternalTokenMadeUp(logger);
}

void main();
