/**
 * The Expo config plugin of react-native-tim-rs, for apps built with `npx expo prebuild` or EAS
 * (development builds: Expo Go has no native module and gets 6013).
 *
 * The package needs no native configuration: autolinking adds the module, its Android manifest
 * brings the INTERNET permission, and ws:// works without cleartext settings, because the Rust
 * core's sockets are its own, outside Android's cleartext policy and iOS's App Transport
 * Security. The one setting an app may want is iOS's local network prompt, which iOS shows the
 * first time an app connects to an address on the local network (a development tim-server on
 * the LAN): its text comes from NSLocalNetworkUsageDescription.
 *
 * ```json
 * { "expo": { "plugins": [["react-native-tim-rs", { "localNetworkUsage": "Connects to the development IM server." }]] } }
 * ```
 *
 * An app's own NSLocalNetworkUsageDescription is kept.
 */
const { createRunOncePlugin, withInfoPlist } = require('@expo/config-plugins');
const pkg = require('./package.json');

/** @param {Record<string, unknown>} infoPlist @param {string} text */
function setLocalNetworkUsage(infoPlist, text) {
  return infoPlist.NSLocalNetworkUsageDescription === undefined
    ? { ...infoPlist, NSLocalNetworkUsageDescription: text }
    : infoPlist;
}

/** @type {import('@expo/config-plugins').ConfigPlugin<{ localNetworkUsage?: string } | void>} */
const withTimRs = (config, options) => {
  const text = options?.localNetworkUsage;
  if (text === undefined) {
    return config;
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new Error('react-native-tim-rs: the plugin option localNetworkUsage must be a non-empty string');
  }
  return withInfoPlist(config, (c) => {
    c.modResults = setLocalNetworkUsage(c.modResults, text);
    return c;
  });
};

module.exports = createRunOncePlugin(withTimRs, pkg.name, pkg.version);
