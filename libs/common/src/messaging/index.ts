export * from './patterns';
export * from './rpc';
