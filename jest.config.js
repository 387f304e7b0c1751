// Servers the tests start with the CLI take any free gRPC port unless a test names one (the default, 8081, would
// collide between test files running at once); inherited by every worker and the processes it spawns.
process.env.GRAPHSERVE_GRPC_PORT ??= '0';

/** @type {import('jest').Config} */
module.exports = {
  // Node's own typed-array classes in every test realm (see the file).
  testEnvironment: '<rootDir>/test/support/node-realm-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Two cores: one worker per core; the native engine spawns its own threads.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
};
