import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig, appLogger, validationPipe } from '@app/platform';
import { GatewayModule } from './app.module';
import { applyRequestLimits } from './http/request-limits';
import { applySecurityHeaders } from './http/security-headers';
import { installObservability } from './observability';
import { HitRoutes } from './reads/hit-routes';

/** Builds the gateway (used by main.ts and by the tests, which pass their own config). */
export async function createGatewayApp(config: AppConfig): Promise<NestFastifyApplication> {
  process.env.CMIYC_APP ??= 'gateway';
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config),
    new FastifyAdapter({
      bodyLimit: config.http.bodyLimitBytes,
      // X-Forwarded-For counts only from a proxy on this machine: anyone else would pick the client IP that
      // failed admin logins are counted by.
      trustProxy: 'loopback',
    }),
    // JSON lines (or readable on a terminal) with the request id: see libs/platform/src/logging.
    { logger: appLogger(config, 'gateway') },
  );
  // First: a request refused by a limit below still gets its id (and is counted).
  const observed = installObservability(app, config);
  applyRequestLimits(app);
  applySecurityHeaders(app);
  // Last of the onRequest hooks: a hit answered early has its id, headers and limits like any other answer.
  HitRoutes.install(app, observed);
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle('Cache Me If You Can')
    .setDescription(
      'Caching patterns with Valkey over FlughafenDB: cache-aside reads, write-through and write-behind writes, event-driven invalidation, lock-protected external API caching.',
    )
    .setVersion('1.0')
    .addBasicAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc));
  return app;
}
