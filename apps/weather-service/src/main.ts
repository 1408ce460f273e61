import 'reflect-metadata';
import { configOrExit, startMicroservice } from '@app/platform';
import { WeatherServiceModule } from './app.module';

async function main() {
  const config = configOrExit();
  await startMicroservice(
    WeatherServiceModule.forRoot(config, { embeddedProvider: config.weather.embeddedProvider }),
    config.weatherService,
    config,
    'weather-service',
  );
}

void main();
