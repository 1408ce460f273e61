export * from './read-entries';
