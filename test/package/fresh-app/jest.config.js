// An app's Jest setup as React Native's template makes it, plus the package's documented mock.
module.exports = {
  preset: '@react-native/jest-preset',
  setupFiles: ['./jest.setup.js'],
};
