/** The contracts between the gateway and the services: operations, DTOs, events, envelope, RPC errors. */
export * from './patterns';
export * from './read-patterns';
export * from './weather-patterns';
export * from './write-patterns';
export * from './reads.dto';
export * from './read-entries';
export * from './events';
export * from './rpc';
export * from './seats';
