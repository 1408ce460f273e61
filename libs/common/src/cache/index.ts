export * from './valkey-client';
export * from './valkey.module';
export * from './keys';
export * from './cache.types';
