import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import fastifyBasicAuth from '@fastify/basic-auth';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { APP_CONFIG, AppConfig, queueOptions, releaseQueueConnection } from '@app/platform';
import { QUEUES } from '@app/contracts';
import { AdminAccessModule } from '../admin/admin-access.module';
import { ADMIN_REALM, tooManyFailedLogins } from '../admin/admin-auth.guard';
import { AdminCredentials } from '../admin/admin-credentials';

/** Every BullMQ queue of the project, opened once in the gateway (for Bull Board and the write-path figures). */
export const PROJECT_QUEUES = Symbol('PROJECT_QUEUES');

export const QUEUE_DASHBOARD_PATH = '/queues';

/**
 * Bull Board at /queues behind HTTP Basic (ADMIN_USER / ADMIN_PASSWORD): the events queue and the warming queue
 * with its job schedulers (they show as the delayed "next run" of each scheduler).
 */
@Global()
@Module({
  imports: [AdminAccessModule],
  providers: [
    {
      provide: PROJECT_QUEUES,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        Object.values(QUEUES).map((name) => {
          const q = new Queue(name, queueOptions(config));
          q.on('error', () => undefined); // reconnects on its own; the dashboard shows the outage
          return q;
        }),
    },
  ],
  exports: [PROJECT_QUEUES],
})
export class QueuesModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PROJECT_QUEUES) private readonly queues: Queue[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly credentials: AdminCredentials,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const board = new BullBoardFastifyAdapter();
    board.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({ queues: this.queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
    // An encapsulated scope: the Basic-auth hook guards the dashboard's routes and nothing else. Failed logins
    // count with those of the admin routes (AdminCredentials).
    await fastify.register(async (scope) => {
      await scope.register(fastifyBasicAuth, {
        validate: async (user, password, req, reply) => {
          const result = await this.credentials.attempt(req.ip, { user, password });
          if (result.outcome === 'ok') return;
          if (result.outcome === 'denied') return new Error('Admin credentials required (HTTP Basic)');
          reply.header('Retry-After', String(result.retryAfterSeconds));
          return Object.assign(tooManyFailedLogins(result.retryAfterSeconds), { statusCode: 429 });
        },
        authenticate: { realm: ADMIN_REALM },
      });
      scope.addHook('onRequest', scope.basicAuth);
      await scope.register(board.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    });
    new Logger('QueuesModule').log(`queue dashboard at ${QUEUE_DASHBOARD_PATH}`);
  }

  async onApplicationShutdown() {
    await Promise.all(this.queues.map((q) => q.close()));
    this.queues.forEach(() => releaseQueueConnection(this.config));
  }
}
