import 'reflect-metadata';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
// Narrow imports: this runs every few seconds in every container, so it loads no database or cache code.
import { ConfigError, loadConfig } from '@app/platform';
import { HEALTH_PATTERN, HealthReport } from '@app/contracts';
import { APPS, connectHost, findApp } from '../tools/startup/apps';

/**
 * node dist/scripts/healthcheck.js <app>: exits 0 when the app answers that it and its dependencies are up,
 * 1 otherwise (with the reason on stderr). Used by docker compose health checks.
 * The gateway is asked GET /health (which also asks every service); a TCP service gets HEALTH_PATTERN.
 */
const TIMEOUT_MS = 3000;

async function main(): Promise<number> {
  const name = process.argv[2];
  const app = name ? findApp(name) : undefined;
  if (!app) {
    console.error(`usage: healthcheck <${APPS.map((a) => a.name).join('|')}>`);
    return 2;
  }
  const config = loadConfig();
  const endpoint = app.endpoint(config);
  // Every app binds its own *_HOST (0.0.0.0 in a container: ask it on loopback there).
  const host = connectHost(endpoint.host);

  if (app.health === 'http') {
    const res = await fetch(`http://${host}:${endpoint.port}/health`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await res.text();
    if (res.ok) return 0;
    console.error(`${app.name}: GET /health answered ${res.status}: ${body}`);
    return 1;
  }

  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host, port: endpoint.port },
  });
  try {
    const report = await firstValueFrom(
      client.send<HealthReport>(HEALTH_PATTERN, {}).pipe(timeout(TIMEOUT_MS)),
    );
    if (report.status === 'up') return 0;
    console.error(`${app.name} is down: ${JSON.stringify(report.details)}`);
    return 1;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof ConfigError) console.error(`Configuration error: ${e.message}`);
    else console.error(`${process.argv[2]}: health check failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
