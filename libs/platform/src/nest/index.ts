export * from './bootstrap';
export * from './core.module';
export * from './service-clients';
export * from './nats-transport';
