import {
  HttpException,
  INestMicroservice,
  LogLevel,
  Logger,
  ServiceUnavailableException,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import {
  AppConfig,
  ConfigError,
  Endpoint,
  ensureInternalToken,
  loadConfig,
  loadEnvFile,
} from '../config/config';
import { InternalTokenGuard, RpcErrorFilter } from '@app/contracts';
import { LoadFailedError, SourceTimeoutError } from '@app/cache';
import { describeDatabase, isDatabaseUnreachable } from '../database/database-errors';
import { appLogger } from '../logging/logger';
import { describeNatsServers, natsQueueGroup, natsServer, PrefixedServerNats } from './nats-transport';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export function logLevels(level: AppConfig['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

let internalTokenMadeUp = false;

/**
 * Loads configuration or exits with the one line naming the bad variable. Without INTERNAL_TOKEN, one is made
 * up and put in the environment, so the apps `npm start` runs share it (see ensureInternalToken).
 */
export function configOrExit(): AppConfig {
  try {
    loadEnvFile();
    internalTokenMadeUp = ensureInternalToken();
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Configuration error: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}

/** Validation used by every service and the gateway: unknown fields are rejected, types are converted. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
  });
}

/**
 * Starts a microservice with the shared error filter and graceful shutdown: on TCP at `endpoint` (one instance),
 * or with SERVICE_TRANSPORT=nats as one instance of `name`'s queue group, beside any number of others.
 */
export async function startMicroservice(
  module: unknown,
  endpoint: Endpoint,
  config: AppConfig,
  name: string,
): Promise<INestMicroservice> {
  process.env.CMIYC_APP = name;
  const nats = config.transport.kind === 'nats';
  const natsStrategy = nats ? natsServer(config, name, endpoint) : undefined;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module as never, {
    ...(natsStrategy
      ? { strategy: natsStrategy }
      : {
          transport: Transport.TCP,
          // Where the configuration says (loopback by default); a container sets its own host to 0.0.0.0.
          options: { host: endpoint.host, port: endpoint.port },
        }),
    // JSON lines (or readable on a terminal) with the request id: see logging/logger.ts.
    logger: appLogger(config, name),
  });
  app.useGlobalFilters(new RpcErrorFilter(dependencyErrors(config)));
  app.useGlobalGuards(new InternalTokenGuard(config.internalToken));
  stopOnSignal(app, natsStrategy);
  const logger = new Logger(name);
  // On NATS the instance waits for the server (compose may start it first): say what it waits for.
  if (nats) logger.log(`connecting to NATS ${describeNatsServers(config)}`);
  await app.listen();
  logger.log(
    nats
      ? `listening on NATS ${describeNatsServers(config)}, queue group ${natsQueueGroup(config, name)}`
      : `listening on TCP ${endpoint.host}:${endpoint.port}`,
  );
  warnIfInternalTokenMadeUp(logger);
  return app;
}

/**
 * Stopping (SIGTERM, SIGINT): the transport first, the modules after. Nest's own shutdown hooks run the modules'
 * destroy hooks (closing connections) before they close the server, so a request still being answered would lose
 * its database or cache; `app.close()` closes the server first (on NATS: leaves the queue group and answers every
 * request it took, see PrefixedServerNats.close), then the modules.
 */
function stopOnSignal(app: INestMicroservice, nats?: PrefixedServerNats): void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    nats?.stopTakingRequests(); // at once: no new request is offered while the rest closes
    void app
      .close()
      .catch((e: Error) => new Logger('shutdown').error(`stopping failed: ${e.message}`))
      .finally(() => {
        for (const s of signals) process.removeListener(s, stop);
        process.kill(process.pid, signal); // no listener left: the default, ending with the signal
      });
  };
  for (const signal of signals) process.on(signal, stop);
}

/**
 * An app started on its own (not by `npm start`) without INTERNAL_TOKEN made up a token nobody else has: its admin
 * messages are refused (or it refuses them). Says so once, at start-up.
 */
export function warnIfInternalTokenMadeUp(logger: Logger): void {
  if (!internalTokenMadeUp) return;
  logger.warn(
    'INTERNAL_TOKEN is not set: this process made up its own, so admin messages (weather.evict) between it and ' +
      'the other apps are refused. Set the same INTERNAL_TOKEN for every app (npm start does this for you).',
  );
}

/**
 * What a dependency's failure means for the caller: a database that cannot be reached, or a load that gave up on
 * it, is a 503 naming the database (never a 500).
 */
export function dependencyErrors(config: AppConfig): (e: unknown) => HttpException | undefined {
  const database = describeDatabase(config.db);
  return (e) => {
    if (isDatabaseUnreachable(e))
      return new ServiceUnavailableException(
        `the database (${database}) is unavailable: ${(e as Error).message}`,
      );
    if (e instanceof SourceTimeoutError || (e instanceof LoadFailedError && e.failure.kind === 'timeout'))
      return new ServiceUnavailableException(
        `the database (${database}) did not answer in time: ${(e as Error).message}`,
      );
    return undefined;
  };
}
