// What `npm pack` ships, both ways. A development tarball (TIM_DEV_TARBALL=1) from this tree holds
// everything an app needs except the native binaries this machine cannot build, plus the Node
// addon for this platform; a release tarball is refused while any binary is missing or an Android
// library would not load on a phone (checked on a copy of the package, so the tree is untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const hostAddon = `prebuilds/${process.platform}-${process.arch}/tim_node.node`;
const ABIS = ['arm64-v8a', 'armeabi-v7a', 'x86_64', 'x86'];
const RELEASE_BINARIES = [
  ...ABIS.map((abi) => `android/src/main/jniLibs/${abi}/libtim_ffi.so`),
  'ios/Frameworks/TimFfi.xcframework/ios-arm64/libtim_ffi.a',
  'ios/Frameworks/TimFfi.xcframework/ios-arm64_x86_64-simulator/libtim_ffi.a',
  ...['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64'].map((p) => `prebuilds/${p}/tim_node.node`),
];

/** `npm pack --dry-run` in `cwd` with prepack; the file list, or the failure's stderr. */
function pack(cwd, env = {}) {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return run.status === 0
    ? { ok: true, files: JSON.parse(run.stdout)[0].files.map((f) => f.path), stderr: run.stderr }
    : { ok: false, stderr: run.stderr };
}

/** A copy of what prepack reads (sources, config, its scripts), sharing the root's node_modules. */
function packageCopy() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tim-pack-'));
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/prepack.mjs', 'scripts/elf.mjs']) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(dir, file));
  }
  cpSync(path.join(root, 'js'), path.join(dir, 'js'), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function place(dir, file, from) {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  if (from === undefined) writeFileSync(path.join(dir, file), '');
  else copyFileSync(from, path.join(dir, file));
}

test('a development tarball ships the app-facing files and this platform\'s Node addon', () => {
  const result = pack(root, { TIM_DEV_TARBALL: '1' });
  assert.ok(result.ok, result.stderr);
  assert.match(result.stderr, /DEVELOPMENT tarball/);
  const files = result.files;
  for (const needed of [
    'package.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE-MIT',
    'LICENSE-APACHE',
    'app.plugin.js',
    'docs/errors.md',
    'js/index.ts',
    'js/NativeTencentImSDK.ts',
    'lib/index.js',
    'lib/index.d.ts',
    'lib/node.js',
    'lib/jest/index.js',
    'lib/react.js',
    'lib/react.d.ts',
    hostAddon,
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
    assert.doesNotMatch(file, /__tests__|\.test\.|^rust\/|^test\/|^example\/|^scripts\/|^lib\/tim_node\.node|module-test|jvm-test/, `should not ship ${file}`);
  }
});

test('a release tarball is refused while a native binary is missing, naming each one', () => {
  const dir = packageCopy();
  try {
    const result = pack(dir);
    assert.equal(result.ok, false, 'packed a release tarball without binaries');
    assert.match(result.stderr, /refusing to pack/);
    for (const file of RELEASE_BINARIES) {
      assert.ok(result.stderr.includes(file), `does not name ${file}:\n${result.stderr}`);
    }
    assert.match(result.stderr, /TIM_DEV_TARBALL=1 npm pack/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a release tarball is refused when an Android library would not load on a phone', () => {
  const dir = packageCopy();
  try {
    // Every binary present; the x86_64 "library" is this machine's node executable: an ELF of the
    // right CPU, but linked against glibc (no bionic libc.so), with no DT_SONAME.
    for (const file of RELEASE_BINARIES) place(dir, file);
    place(dir, 'android/src/main/jniLibs/x86_64/libtim_ffi.so', process.execPath);
    const result = pack(dir);
    assert.equal(result.ok, false, 'packed a library that cannot load on a phone');
    assert.match(result.stderr, /x86_64\/libtim_ffi\.so: no libc\.so in DT_NEEDED/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a development tarball packs what exists but needs the Node addon for this platform', () => {
  const dir = packageCopy();
  try {
    const without = pack(dir, { TIM_DEV_TARBALL: '1' });
    assert.equal(without.ok, false);
    assert.ok(without.stderr.includes(`${hostAddon} is missing`), without.stderr);

    place(dir, hostAddon);
    const result = pack(dir, { TIM_DEV_TARBALL: '1' });
    assert.ok(result.ok, result.stderr);
    assert.ok(result.files.includes(hostAddon));
    assert.ok(result.files.includes('lib/index.js'), 'prepack did not build lib/');
    assert.equal(result.files.filter((f) => f.endsWith('libtim_ffi.so') || f.endsWith('libtim_ffi.a')).length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
