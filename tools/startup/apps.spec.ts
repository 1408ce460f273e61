import { loadConfig } from '@app/platform';
import { APPS, appMainPath, connectHost, findApp, listeningPorts } from './apps';

describe('APPS', () => {
  it('lists the five processes once each, the gateway last (its health asks the others)', () => {
    expect(APPS.map((a) => a.name)).toEqual([
      'query-service',
      'writer-service',
      'weather-service',
      'cache-warmer',
      'gateway',
    ]);
    expect(findApp('gateway')?.health).toBe('http');
    expect(findApp('nope')).toBeUndefined();
  });

  it('finds each compiled entry point under dist/', () => {
    expect(appMainPath('gateway')).toBe('dist/apps/gateway/src/main.js');
    expect(appMainPath('cache-warmer', '/srv')).toBe('/srv/dist/apps/cache-warmer/src/main.js');
  });

  it('lists every port the system binds, with the variable that sets it', () => {
    const ports = listeningPorts(loadConfig({}));
    expect(ports.map((p) => p.variable)).toEqual([
      'QUERY_SERVICE_PORT',
      'WRITER_SERVICE_PORT',
      'WEATHER_SERVICE_PORT',
      'CACHE_WARMER_PORT',
      'GATEWAY_PORT',
      'WEATHER_PROVIDER_PORT',
    ]);
    expect(new Set(ports.map((p) => p.port)).size).toBe(ports.length);
  });

  it('connects to 127.0.0.1 for a wildcard listen address', () => {
    expect(connectHost('0.0.0.0')).toBe('127.0.0.1');
    expect(connectHost('::')).toBe('127.0.0.1');
    expect(connectHost('valkey')).toBe('valkey');
  });
});
