/**
 * The contracts between the gateway and the services: one definition per operation (READS, WRITES, WEATHER) with
 * its request and result types, the typed clients and message handlers built on them, events, envelope, RPC errors.
 */
export * from './operation';
export * from './operation-client';
export * from './envelope';
export * from './envelope-client';
export * from './message-handlers';
export * from './internal-token';
export * from './payload-limits';
export * from './services';
export * from './request-fields';
export * from './refresh-query';
export * from './read-operation';
export * from './flight-reads';
export * from './passenger-reads';
export * from './airport-reads';
export * from './search-reads';
export * from './reads';
export * from './writes';
export * from './weather';
export * from './events';
export * from './rpc';
export * from './request-id';
export * from './seats';
export * from './ask';
export * from './leaderboards';
export * from './structure-reads';
