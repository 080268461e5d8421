// The Expo config plugin (app.plugin.js) through @expo/config-plugins, as `expo prebuild` runs it:
// apply the plugin to an app config, then run the Info.plist mod it registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const withTimRs = require('../../app.plugin.js');

const appConfig = () => ({ name: 'app', slug: 'app', _internal: { projectRoot: '/tmp/app' } });

/** Runs the iOS Info.plist mod the plugin registered on `infoPlist`; returns the result. */
async function infoPlistAfter(config, infoPlist) {
  const mod = config.mods?.ios?.infoPlist;
  assert.equal(typeof mod, 'function', 'no Info.plist mod registered');
  const result = await mod({
    ...config,
    modResults: infoPlist,
    modRequest: { projectRoot: '/tmp/app', platformProjectRoot: '/tmp/app/ios', modName: 'infoPlist', platform: 'ios', introspect: true },
  });
  return result.modResults;
}

test('without options the plugin changes no native file', () => {
  const config = withTimRs(appConfig());
  assert.equal(config.mods, undefined);
});

test('localNetworkUsage becomes NSLocalNetworkUsageDescription, once', async () => {
  const once = withTimRs(appConfig(), { localNetworkUsage: 'Connects to the development IM server.' });
  const twice = withTimRs(once, { localNetworkUsage: 'Connects to the development IM server.' });
  const plist = await infoPlistAfter(twice, { CFBundleName: 'app' });
  assert.deepEqual(plist, { CFBundleName: 'app', NSLocalNetworkUsageDescription: 'Connects to the development IM server.' });
  assert.deepEqual(twice._internal.pluginHistory?.['react-native-tim-rs']?.name, 'react-native-tim-rs');
});

test("an app's own NSLocalNetworkUsageDescription is kept", async () => {
  const config = withTimRs(appConfig(), { localNetworkUsage: 'ours' });
  const plist = await infoPlistAfter(config, { NSLocalNetworkUsageDescription: 'the app\'s' });
  assert.equal(plist.NSLocalNetworkUsageDescription, "the app's");
});

test('an empty localNetworkUsage is an error naming the option', () => {
  assert.throws(() => withTimRs(appConfig(), { localNetworkUsage: ' ' }), /localNetworkUsage must be a non-empty string/);
});
