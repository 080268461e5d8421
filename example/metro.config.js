const path = require('path');
const { getDefaultConfig, mergeConfig } = require('@react-native/metro-config');

/**
 * Metro configuration for an app that depends on the package in the folder above
 * (`"react-native-tim-rs": "file:.."`, a symlink in node_modules).
 *
 * Metro follows the symlink to the repository root, so the root must be watched. But the root
 * also holds the package's own node_modules (with a second react-native, a dev dependency for its
 * tests) and large build folders (Rust's target/). Two copies of react-native in one bundle break
 * at run time, and crawling target/ is slow, so from the root Metro sees only what the package
 * publishes for React Native: package.json and js/. Every bare import, including those in ../js,
 * then resolves from this app's node_modules, as it would for an app that installed the package
 * from npm.
 *
 * https://reactnative.dev/docs/metro
 * @type {import('@react-native/metro-config').MetroConfig}
 */
const defaults = getDefaultConfig(__dirname);
const repoRoot = path.resolve(__dirname, '..');
const appFolder = path.basename(__dirname);

/** Escapes a path for use inside a RegExp. */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sep = escape(path.sep);

/** Everything in the repository root except package.json, js/ and this app's folder. */
const outsideThePackage = new RegExp(
  `^${escape(repoRoot)}${sep}(?!package\\.json$|js(${sep}|$)|${escape(appFolder)}(${sep}|$)).*`,
);

const config = {
  watchFolders: [repoRoot],
  resolver: {
    blockList: [defaults.resolver.blockList, outsideThePackage].flat(),
    nodeModulesPaths: [path.resolve(__dirname, 'node_modules')],
  },
};

module.exports = mergeConfig(defaults, config);
