export * from './valkey-client';
export * from './valkey.module';
