/**
 * Two tiers:
 * - unit: pure logic, specs next to their source (`apps|libs|tools/**\/*.spec.ts`); no build, no servers, no
 *   connections (`npm run test:unit`);
 * - integration: test/integration/**, against real MariaDB, PostgreSQL and Redis, each suite with its own
 *   databases and key prefix; needs `npm run build` first (the gateway runs from dist/).
 * The global teardown fails the run when a process it started or a test database/key is left behind.
 */
const shared = {
  rootDir: '.',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // ESM-only dependencies (content-disposition 3, via @fastify/static) are turned into CommonJS for jest.
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
  moduleNameMapper: {
    '^@app/(cache|contracts|platform)$': '<rootDir>/libs/$1/src',
    '^@app/platform/config$': '<rootDir>/libs/platform/src/config',
  },
};

/** Suites run twice: on the single server (integration) and on the cluster (cluster). */
const CLUSTER_SUITES = [
  'cache/cache-primitives',
  'cache/stampede-engine',
  'cache/near-cache',
  'reads/reads',
  'writes/writes',
  'writes/write-behind-failures',
  'writes/outbox',
  'flight-changes/flight-changes',
  'session/session',
  'leaderboards/leaderboards',
  'leaderboards/leaderboard-build',
  'weather/stampede',
  'weather/weather-service',
  'cluster/cluster-keys',
];

module.exports = {
  maxWorkers: 2,
  // Global in Jest 30 (a project's own testTimeout is not applied): generous, for a busy machine.
  testTimeout: 120000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
      // A unit test that opens a connection fails (no server is assumed to run).
      setupFilesAfterEnv: ['<rootDir>/test/support/no-network.ts'],
    },
    {
      // Before 'integration': its teardown stops the cluster before the integration project's leak check runs.
      ...shared,
      displayName: 'cluster',
      // The suites that carry the cache's guarantees, again against a 3-master Valkey Cluster (test-env.ts).
      testMatch: CLUSTER_SUITES.map((s) => `<rootDir>/test/integration/${s}.spec.ts`),
      globals: { CACHE_TOPOLOGY: 'cluster' },
      globalSetup: '<rootDir>/test/support/cluster-setup.ts',
      globalTeardown: '<rootDir>/test/support/cluster-teardown.ts',
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      // A run id every suite's databases, key prefixes and child processes carry; checked for leftovers at the end.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/leak-check.ts',
    },
  ],
};
