export * from './test-env';
export * from './redis-server';
export * from './seeded';
