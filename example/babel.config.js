/** React Native's preset, for the app's own TypeScript. */
module.exports = {
  presets: ['module:@react-native/babel-preset'],
};
