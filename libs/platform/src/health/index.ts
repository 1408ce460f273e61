export * from './indicators';
export * from './service-health.controller';
