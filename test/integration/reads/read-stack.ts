import { INestMicroservice } from '@nestjs/common';
import { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import request from 'supertest';
import { AppConfig, startMicroservice } from '@app/platform';
import { CacheService, CacheStatsService } from '@app/cache';
import { freePort } from '../../support/redis-server';
import { startListeningNode, stopProcess } from '../../support/child-process';
import { QueryServiceModule } from '../../../apps/query-service/src/app.module';
import { ReadsRepository } from '../../../apps/query-service/src/reads/reads.repository';
import { configEnv } from '../../../bench/env';

/**
 * A query-service (in-process: its own connections, an ephemeral TCP port, its repository's load counters at
 * hand) and a gateway in front of it, run from dist/ as a child process the way it runs in production (jest
 * cannot load the gateway's ESM-only static-file dependency in-process). Build first: `npm run build`.
 */
export interface ReadStack {
  config: AppConfig;
  queryService: INestMicroservice;
  gateway: GatewayProcess;
  http: () => ReturnType<typeof request>;
  /** The query-service's cache primitives (same Valkey, same prefix as the gateway). */
  cache: CacheService;
  stats: CacheStatsService;
  repository: ReadsRepository;
  close: () => Promise<void>;
}

const GATEWAY_MAIN = resolve(__dirname, '../../../dist/apps/gateway/src/main.js');

export class GatewayProcess {
  private constructor(
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  static async start(config: AppConfig, queryServicePort: number): Promise<GatewayProcess> {
    if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run \`npm run build\` first`);
    const port = await freePort();
    const env = {
      ...process.env,
      ...configEnv({
        ...config,
        queryService: { host: '127.0.0.1', port: queryServicePort },
        gateway: { host: '127.0.0.1', port },
      }),
    };
    // A gateway that misses the deadline (or exits first) is stopped, not left running.
    const proc = await startListeningNode(GATEWAY_MAIN, env, port, 20000);
    return new GatewayProcess(port, proc);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await stopProcess(this.proc);
  }
}

export async function startQueryService(
  config: AppConfig,
): Promise<{ app: INestMicroservice; port: number }> {
  const port = await freePort();
  const app = await startMicroservice(
    QueryServiceModule.forRoot({ ...config, queryService: { host: '127.0.0.1', port } }),
    { host: '127.0.0.1', port },
    config,
    'query-service',
  );
  return { app, port };
}

export async function startReadStack(config: AppConfig): Promise<ReadStack> {
  const { app: queryService, port } = await startQueryService(config);
  const gateway = await GatewayProcess.start(config, port).catch(async (e) => {
    await queryService.close(); // a failed start leaves nothing running
    throw e;
  });
  return {
    config,
    queryService,
    gateway,
    http: () => request(gateway.url),
    cache: queryService.get(CacheService),
    stats: queryService.get(CacheStatsService),
    repository: queryService.get(ReadsRepository),
    close: async () => {
      await gateway.close();
      await queryService.close();
    },
  };
}

/** Today's UTC day as YYYY-MM-DD, shifted by `days`. */
export function utcDay(days = 0): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
