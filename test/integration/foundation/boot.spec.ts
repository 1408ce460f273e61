import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { AppConfig } from '@app/platform';
import { HEALTH_PATTERN, HealthReport } from '@app/contracts';
import { createTestDatabase, TEST_ENGINES } from '../../support/test-env';
import { APPS, AppName } from '../../../tools/startup/apps';
import {
  Child,
  configWithFreePorts,
  deleteKeysWithPrefix,
  distPath,
  envFor,
  exitOf,
  spawnApp,
  spawnNode,
  stopAll,
  waitFor,
} from './support';

/**
 * Every app boots from dist/ with a database and key prefix of its own, and reports its dependencies:
 * TCP services answer HEALTH_PATTERN, the gateway's GET /health sums them up and names what is down.
 */
const BOOT_MS = 120_000;

async function askHealth(port: number): Promise<HealthReport> {
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
  try {
    return await firstValueFrom(client.send<HealthReport>(HEALTH_PATTERN, {}).pipe(timeout(2000)));
  } finally {
    await client.close();
  }
}

async function getHealth(config: AppConfig): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${config.gateway.port}/health`, {
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: await res.json() };
}

describe.each(TEST_ENGINES)('apps boot on %s', (engine) => {
  let config: AppConfig;
  let dropDatabase: () => Promise<void>;
  const children = new Map<AppName, Child>();

  beforeAll(async () => {
    config = await configWithFreePorts(engine);
    dropDatabase = await createTestDatabase(config);
    for (const app of APPS) children.set(app.name, spawnApp(app.name, envFor(config)));
  }, BOOT_MS);

  afterAll(async () => {
    await stopAll([...children.values()]);
    await deleteKeysWithPrefix(config);
    await dropDatabase();
  }, BOOT_MS);

  const output = () => [...children].map(([name, c]) => `--- ${name}\n${c.output()}`).join('\n');

  it.each(APPS.filter((a) => a.health === 'tcp').map((a) => a.name))(
    '%s answers HEALTH_PATTERN with its database and Valkey up',
    async (name) => {
      const port = APPS.find((a) => a.name === name)!.endpoint(config).port;
      const report = await waitFor(() => askHealth(port), BOOT_MS - 5000, `${name} health`).catch((e) => {
        throw new Error(`${e.message}\n${output()}`);
      });
      expect(report.service).toBe(name);
      expect(report.status).toBe('up');
      expect(report.details.database.status).toBe('up');
      expect(report.details.valkey.status).toBe('up');
    },
    BOOT_MS,
  );

  it(
    'healthcheck.js (the compose health check) exits 0 for every app',
    async () => {
      for (const app of APPS) {
        const check = spawnNode(distPath('scripts/healthcheck.js'), [app.name], envFor(config));
        expect({ app: app.name, code: await exitOf(check, 15_000), stderr: check.stderr() }).toEqual({
          app: app.name,
          code: 0,
          stderr: '',
        });
      }
    },
    BOOT_MS,
  );

  it(
    'the gateway reports 200 with the database, Valkey and all four services up; 503 naming a killed one',
    async () => {
      const up = await waitFor(
        async () => {
          const h = await getHealth(config);
          return h.status === 200 ? h : undefined;
        },
        BOOT_MS - 10_000,
        'gateway /health 200',
      ).catch((e) => {
        throw new Error(`${e.message}\n${output()}`);
      });
      expect(up.body.status).toBe('ok');
      for (const key of [
        'database',
        'valkey',
        'query-service',
        'writer-service',
        'weather-service',
        'cache-warmer',
      ]) {
        expect(up.body.details[key]?.status).toBe('up');
      }

      children.get('writer-service')!.process.kill('SIGKILL');
      await children.get('writer-service')!.exited;
      const down = await waitFor(
        async () => {
          const h = await getHealth(config);
          return h.status === 503 ? h : undefined;
        },
        15_000,
        'gateway /health 503',
      );
      expect(down.body.status).toBe('error');
      expect(Object.keys(down.body.error)).toEqual(['writer-service']);
      expect(down.body.details['writer-service'].status).toBe('down');
      expect(down.body.details['query-service'].status).toBe('up');
      expect(down.body.details.database.status).toBe('up');

      // The compose health checks see the same: the dead service and the gateway are unhealthy.
      const service = spawnNode(distPath('scripts/healthcheck.js'), ['writer-service'], envFor(config));
      expect(await exitOf(service, 15_000)).toBe(1);
      expect(service.stderr()).toContain('writer-service: health check failed');
      const gateway = spawnNode(distPath('scripts/healthcheck.js'), ['gateway'], envFor(config));
      expect(await exitOf(gateway, 15_000)).toBe(1);
      expect(gateway.stderr()).toContain('gateway: GET /health answered 503');
      expect(gateway.stderr()).toContain('writer-service');
    },
    BOOT_MS,
  );
});
