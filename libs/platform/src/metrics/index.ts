export * from './metrics-registry';
export * from './names';
export * from './metrics-endpoint';
export * from './metrics.module';
export * from './rpc-observability.interceptor';
