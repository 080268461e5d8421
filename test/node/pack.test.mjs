// What `npm pack` ships: everything an app needs (TypeScript sources for Metro, compiled JS and
// types, the Android and iOS modules, the podspec) and nothing it doesn't (tests, the Node addon,
// Rust sources, build output of other tools).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

test('npm pack ships the app-facing files only', () => {
  const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
  const files = report.files.map((f) => f.path);
  for (const needed of [
    'package.json',
    'js/index.ts',
    'js/NativeTencentImSDK.ts',
    'lib/index.js',
    'lib/index.d.ts',
    'lib/node.js',
    'lib/jest/index.js',
    'android/build.gradle',
    'android/src/main/java/com/timrs/TimNative.java',
    'android/src/main/java/com/timrs/TencentImSDKModule.java',
    'ios/TimSession.swift',
    'ios/TencentImSDK.mm',
    'ios/Generated/tim_ffi.swift',
    'react-native-tim-rs.podspec',
  ]) {
    assert.ok(files.includes(needed), `missing ${needed}`);
  }
  for (const file of files) {
    assert.doesNotMatch(file, /__tests__|\.test\.|^rust\/|^test\/|^example\/|^docs\/|tim_node\.node|module-test|jvm-test/, `should not ship ${file}`);
  }
});
