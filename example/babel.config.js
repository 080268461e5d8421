/**
 * React Native's preset. Metro applies this file to the package's TypeScript sources in ../js
 * too, which is how the app consumes the package's "react-native" entry (untranspiled TS).
 */
module.exports = {
  presets: ['module:@react-native/babel-preset'],
};
