const fs = require('fs');
const path = require('path');
const { getDefaultConfig, mergeConfig } = require('@react-native/metro-config');

/**
 * Metro configuration. Installed from a tarball or npm (a copy of this folder), the package is an
 * ordinary folder in node_modules and React Native's defaults are all it takes.
 *
 * In the repository the package is `"file:.."`, a symlink to the repository root, which Metro
 * then has to watch. But the root also holds the package's own node_modules (with a second
 * react-native, a dev dependency for its tests) and large build folders (Rust's target/). Two
 * copies of react-native in one bundle break at run time, and crawling target/ is slow, so from
 * the root Metro sees only what the package publishes for React Native: package.json, lib/ (the
 * built JavaScript its "exports" name) and js/ (the sources codegen reads). Every bare import in
 * the package then resolves from this app's node_modules, as it would for an app that installed
 * the package from npm.
 *
 * https://reactnative.dev/docs/metro
 * @type {import('@react-native/metro-config').MetroConfig}
 */
const defaults = getDefaultConfig(__dirname);
const installed = path.join(__dirname, 'node_modules', 'react-native-tim-rs');
const packageRoot = fs.existsSync(installed) ? fs.realpathSync(installed) : installed;
const linked = !packageRoot.startsWith(path.join(__dirname, 'node_modules') + path.sep);

/** Escapes a path for use inside a RegExp. */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sep = escape(path.sep);
const appFolder = path.relative(packageRoot, __dirname).split(path.sep)[0];

/** Everything in the package's folder except package.json, lib/, js/ and this app's folder. */
const outsideThePackage = new RegExp(
  `^${escape(packageRoot)}${sep}(?!package\\.json$|lib(${sep}|$)|js(${sep}|$)|${escape(appFolder)}(${sep}|$)).*`,
);

const config = linked
  ? {
      watchFolders: [packageRoot],
      resolver: {
        blockList: [defaults.resolver.blockList, outsideThePackage].flat(),
        nodeModulesPaths: [path.resolve(__dirname, 'node_modules')],
      },
    }
  : {};

module.exports = mergeConfig(defaults, config);
