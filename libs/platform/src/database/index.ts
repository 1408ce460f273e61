export * from './migrations';
export * from './data-source';
export * from './dialect';
export * from './migrate';
export * from './database-errors';
export * from './read-replicas';
