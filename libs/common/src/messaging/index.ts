export * from './patterns';
export * from './rpc';
export * from './read-patterns';
export * from './weather-patterns';
export * from './write-patterns';
export * from './service-clients';
