/** Every suite talks to real MariaDB, PostgreSQL and Redis; each uses its own databases and key prefix. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
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
  testTimeout: 60000,
  maxWorkers: 2,
  forceExit: true,
};
