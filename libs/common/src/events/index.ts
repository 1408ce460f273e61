export * from './events';
export * from './queue-options';
