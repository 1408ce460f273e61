/**
 * node dist/scripts/probe.js <app> [--timeout-ms N]: the container health check. Exits 0 when the app answers that
 * it and its dependencies are up, 1 otherwise (the reason on stderr), 2 on bad usage.
 *
 * It runs every few seconds in every container, so it loads nothing but Node's own modules (no Nest, no
 * configuration, no database or cache code): it costs about what `node -e 0` costs. The gateway is asked
 * GET /health (which asks every service); a TCP service gets the `health` message in Nest's TCP framing
 * (`<length>#<json>`), on the port and host its own variables say (the defaults of settings.ts otherwise).
 * scripts/healthcheck.js asks the same questions through the application's own modules.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

interface Target {
  kind: 'http' | 'tcp';
  hostVariable: string;
  portVariable: string;
  defaultPort: number;
}

/** The five apps, as in tools/startup/apps.ts (a test checks the two agree). */
export const PROBE_TARGETS: Record<string, Target> = {
  gateway: { kind: 'http', hostVariable: 'GATEWAY_HOST', portVariable: 'GATEWAY_PORT', defaultPort: 3000 },
  'query-service': {
    kind: 'tcp',
    hostVariable: 'QUERY_SERVICE_HOST',
    portVariable: 'QUERY_SERVICE_PORT',
    defaultPort: 3001,
  },
  'writer-service': {
    kind: 'tcp',
    hostVariable: 'WRITER_SERVICE_HOST',
    portVariable: 'WRITER_SERVICE_PORT',
    defaultPort: 3002,
  },
  'weather-service': {
    kind: 'tcp',
    hostVariable: 'WEATHER_SERVICE_HOST',
    portVariable: 'WEATHER_SERVICE_PORT',
    defaultPort: 3003,
  },
  'cache-warmer': {
    kind: 'tcp',
    hostVariable: 'CACHE_WARMER_HOST',
    portVariable: 'CACHE_WARMER_PORT',
    defaultPort: 3005,
  },
};

/** The `health` message of libs/contracts (HEALTH_PATTERN), as Nest's TCP client writes it. */
const HEALTH_PACKET = JSON.stringify({ pattern: JSON.stringify({ cmd: 'health' }), data: {}, id: 'probe' });
const DEFAULT_TIMEOUT_MS = 10_000;

function where(target: Target, env: NodeJS.ProcessEnv): { host: string; port: number } {
  const host = env[target.hostVariable] || (target.kind === 'http' ? '0.0.0.0' : '127.0.0.1');
  const port = Number(env[target.portVariable] || target.defaultPort);
  // An app bound to every interface is asked on loopback.
  return { host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port };
}

function probeHttp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/health', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d.length + body.length > 4096 ? '' : d));
      res.on('end', () =>
        resolve(res.statusCode === 200 ? undefined : `GET /health answered ${res.statusCode}: ${body}`),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(`GET /health failed: ${e.message}`));
    req.end();
  });
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffer = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (problem: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${HEALTH_PACKET.length}#${HEALTH_PACKET}`));
    socket.on('error', (e) => finish(`health message failed: ${e.message}`));
    socket.on('close', () => finish('the connection closed before an answer'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const hash = buffer.indexOf('#');
        if (hash < 0) return;
        const length = Number(buffer.slice(0, hash));
        if (!Number.isInteger(length)) return finish(`not a Nest TCP answer: ${buffer.slice(0, 80)}`);
        if (buffer.length < hash + 1 + length) return;
        const packet = JSON.parse(buffer.slice(hash + 1, hash + 1 + length)) as {
          err?: unknown;
          response?: { status?: string; details?: unknown };
        };
        buffer = buffer.slice(hash + 1 + length);
        if (packet.err !== undefined && packet.err !== null)
          return finish(`the health message failed: ${JSON.stringify(packet.err)}`);
        if (packet.response !== undefined) {
          return finish(
            packet.response?.status === 'up'
              ? undefined
              : `down: ${JSON.stringify(packet.response?.details)}`,
          );
        }
      }
    });
  });
}

export async function probe(
  app: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string | undefined> {
  const target = PROBE_TARGETS[app];
  const { host, port } = where(target, env);
  return target.kind === 'http' ? probeHttp(host, port, timeoutMs) : probeTcp(host, port, timeoutMs);
}

async function main(argv: string[]): Promise<number> {
  const [app, flag, value] = argv;
  const timeoutMs = flag === '--timeout-ms' ? Number(value) : DEFAULT_TIMEOUT_MS;
  if (!app || !PROBE_TARGETS[app] || !(timeoutMs > 0) || (flag !== undefined && flag !== '--timeout-ms')) {
    process.stderr.write(`usage: probe <${Object.keys(PROBE_TARGETS).join('|')}> [--timeout-ms N]\n`);
    return 2;
  }
  const problem = await probe(app, process.env, timeoutMs);
  if (problem === undefined) return 0;
  process.stderr.write(`${app}: ${problem}\n`);
  return 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
