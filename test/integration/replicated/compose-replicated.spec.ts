import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CORE_SCHEMA, defineScalarTag, load, mergeTag } from 'js-yaml';
import { loadConfig } from '@app/platform';
import { APPS } from '../../../tools/startup/apps';

/**
 * No Docker engine runs here: docker-compose.replicated.yml is checked for what `--scale` needs. Every app talks
 * over NATS, NATS exists (profile replicated) and is healthy before any app starts, and no service publishes a port
 * (a fixed host port would stop a second instance).
 */
const schema = CORE_SCHEMA.withTags(
  mergeTag,
  defineScalarTag('!reset', { resolve: () => null, identify: () => false }),
);
type Service = {
  image?: string;
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
};
const compose = (file: string) =>
  load(readFileSync(resolve(__dirname, '../../..', file), 'utf8'), { schema }) as {
    services: Record<string, Service>;
  };

describe('docker compose: several instances of each service (docker-compose.replicated.yml)', () => {
  const base = compose('docker-compose.yml').services;
  const replicated = compose('docker-compose.replicated.yml').services;

  it('NATS is in the base file, only with --profile replicated, with a health check', () => {
    expect(base.nats).toMatchObject({ image: 'nats:2-alpine', profiles: ['replicated'] });
    expect(base.nats.healthcheck?.test?.length).toBeGreaterThan(1);
    for (const p of base.nats.ports ?? []) expect(p.startsWith('127.0.0.1:')).toBe(true);
  });

  it.each(APPS.map((a) => a.name))('%s talks over NATS, once NATS is healthy', (app) => {
    const env = { ...base[app].environment, ...replicated[app].environment };
    const config = loadConfig(env);
    expect(config.transport.kind).toBe('nats');
    for (const url of config.transport.natsServers)
      expect(Object.keys(base)).toContain(new URL(url).hostname);
    expect(replicated[app].depends_on).toEqual({ nats: { condition: 'service_healthy' } });
  });

  it('only the gateway publishes a port, so any service can be scaled', () => {
    for (const app of APPS.filter((a) => a.name !== 'gateway'))
      expect({ app: app.name, ports: base[app.name].ports ?? replicated[app.name].ports }).toEqual({
        app: app.name,
        ports: undefined,
      });
  });
});
