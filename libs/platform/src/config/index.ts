export * from './config';
export * from './settings';
export * from './config.module';
