export * from './seats';
