/** Unit tests of the TypeScript wrapper; the end-to-end tests on Node run with node:test. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/js'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // The package's own name, as js/react.ts requires it (an app resolves it in node_modules).
  moduleNameMapper: { '^react-native-tim-rs$': '<rootDir>/js/index.ts' },
};
