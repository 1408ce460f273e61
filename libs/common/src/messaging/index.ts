export * from './patterns';
export * from './rpc';
export * from './read-patterns';
