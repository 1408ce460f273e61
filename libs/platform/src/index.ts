/**
 * The platform: configuration, the database (dialects, migrations), Nest bootstrap, health, queue options, and
 * logging of repeated failures at a bounded rate.
 */
export * from './config';
export * from './database';
export * from './health';
export * from './nest';
export * from './queues/queue-options';
export * from './repeat-limiter';
export * from './metrics';
export * from './logging';
export * from './http/stand-in-server';
