/** The platform: configuration, the database (dialects, migrations), Nest bootstrap, health, queue options. */
export * from './config';
export * from './database';
export * from './health';
export * from './nest';
export * from './queues/queue-options';
