export * from './config';
export * from './database';
export * from './cache';
export * from './health';
export * from './messaging';
export * from './nest';
export * from './domain';
export * from './events';
