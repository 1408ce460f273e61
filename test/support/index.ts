export * from './test-env';
export * from './redis-server';
export * from './seeded';
export * from './child-process';
export * from './test-run';
export * from './redis-cluster';
