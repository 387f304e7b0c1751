/** @type {import('jest').Config} */
module.exports = {
  // Node's own typed-array classes in every test realm (see the file).
  testEnvironment: '<rootDir>/test/support/node-realm-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  // Two cores: one worker per core; the native engine spawns its own threads.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
};
