export * from './apps';
export * from './preflight';
export * from './env-docs';
