export * from './config';
export * from './database';
export * from './cache';
export * from './health';
export * from './messaging';
export * from './nest';
