export * from './scales';
export * from './prng';
export { FlughafenGenerator, SEED_FIXTURES } from './generator';
export type { TableSource } from './generator';
export { HUB_IATAS, REAL_AIRPORTS } from './reference-data';
export * from './seed';
