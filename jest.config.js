/** Unit tests of the TypeScript wrapper; the end-to-end tests on Node run with node:test. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/js'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
