import { Logger } from '@nestjs/common';
import { configOrExit } from '@app/platform';
import { startProviderFromConfig } from './provider.config';

/** Runs the mock provider alone (the weather-service normally starts it in its own process). */
async function main() {
  const provider = await startProviderFromConfig(configOrExit());
  new Logger('weather-provider').log(`mock weather provider on ${provider.url}`);
  const stop = () => void provider.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
