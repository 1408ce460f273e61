import Valkey from 'iovalkey';

/**
 * A Valkey connection for clean-up and checks: one attempt, no reconnects, so a server that is gone (stopped by
 * a suite) is skipped at once and no reconnect or disconnect timer outlives it (it would keep jest alive).
 */
export function oneShotValkey(endpoint: {
  host: string;
  port: number;
  password?: string;
  tls?: boolean;
}): Valkey {
  return new Valkey({
    host: endpoint.host,
    port: endpoint.port,
    password: endpoint.password,
    tls: endpoint.tls ? {} : undefined,
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}
