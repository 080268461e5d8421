// `npm pack` and `npm publish` run this first (package.json's prepack). It compiles js/ into lib/,
// then checks the native binaries the tarball carries:
//
//   android/src/main/jniLibs/<abi>/libtim_ffi.so   the four ABIs React Native apps build
//   ios/Frameworks/TimFfi.xcframework               device and simulator slices
//   prebuilds/<platform>-<arch>/tim_node.node       the Node addon for each common platform
//
// A release tarball must hold every one: without TIM_DEV_TARBALL=1 a missing binary stops the
// pack, with the list of what is missing and the script that builds it. A development tarball
// (TIM_DEV_TARBALL=1) packs what exists, but still needs the Node addon for this machine, so that
// `require('react-native-tim-rs')` works wherever it is installed on the same platform.
//
// Every Android library present is also read as Android's loader would: right CPU, a DT_SONAME,
// bionic's libc.so among its DT_NEEDED (a library linked against empty stubs has none and would
// not load on a phone), and 16 KiB-aligned segments (devices with 16 KiB pages).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readElf } from './elf.mjs';

const root = path.resolve(import.meta.dirname, '..');
const dev = process.env.TIM_DEV_TARBALL === '1';

/** ELF e_machine of each ABI. */
const ANDROID_ABIS = { 'arm64-v8a': 183, 'armeabi-v7a': 40, x86_64: 62, x86: 3 };
const NODE_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64'];
const IOS_SLICES = ['ios-arm64', 'ios-arm64_x86_64-simulator'];
const hostPlatform = `${process.platform}-${process.arch}`;

/** What a release needs: [path, the command that builds it]. */
const binaries = [
  ...Object.keys(ANDROID_ABIS).map((abi) => [`android/src/main/jniLibs/${abi}/libtim_ffi.so`, 'scripts/build-android.sh (Android NDK)']),
  ...IOS_SLICES.map((slice) => [`ios/Frameworks/TimFfi.xcframework/${slice}/libtim_ffi.a`, 'scripts/build-ios.sh (macOS with Xcode)']),
  ...NODE_PLATFORMS.map((platform) => [`prebuilds/${platform}/tim_node.node`, `scripts/build-node-addon.sh on ${platform}`]),
];

/** Why an Android library would not load on a phone, or null. */
function androidProblem(file, machine) {
  let elf;
  try {
    elf = readElf(readFileSync(file));
  } catch (e) {
    return String(e.message);
  }
  if (elf.machine !== machine) return `built for ELF machine ${elf.machine}, not ${machine}`;
  if (!elf.needed.includes('libc.so')) return `no libc.so in DT_NEEDED (${elf.needed.join(', ') || 'none'}): linked against stubs, it cannot load on a phone`;
  if (elf.soname !== 'libtim_ffi.so') return `DT_SONAME is ${elf.soname ?? 'missing'}, not libtim_ffi.so`;
  const small = elf.loadAlignments.filter((a) => a < 16384);
  if (small.length > 0) return `PT_LOAD aligned to ${small[0]} bytes: fails on 16 KiB-page devices`;
  return null;
}

execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const missing = binaries.filter(([file]) => !existsSync(path.join(root, file)));
const broken = Object.entries(ANDROID_ABIS)
  .map(([abi, machine]) => [`android/src/main/jniLibs/${abi}/libtim_ffi.so`, machine])
  .filter(([file]) => existsSync(path.join(root, file)))
  .map(([file, machine]) => [file, androidProblem(path.join(root, file), machine)])
  .filter(([, problem]) => problem !== null);
const hostAddon = `prebuilds/${hostPlatform}/tim_node.node`;

const errors = broken.map(([file, problem]) => `${file}: ${problem}`);
if (dev && !existsSync(path.join(root, hostAddon))) {
  errors.push(`${hostAddon} is missing: run npm run build (or scripts/build-node-addon.sh)`);
}
if (!dev && missing.length > 0) {
  errors.push(
    'a release tarball needs every native binary; missing:',
    ...missing.map(([file, how]) => `  ${file}    (${how})`),
    'The release workflow (.github/workflows/release.yml) builds them all. To pack a development',
    'tarball with what exists here, run: TIM_DEV_TARBALL=1 npm pack',
  );
}
if (errors.length > 0) {
  console.error(`prepack: refusing to pack.\n${errors.join('\n')}`);
  process.exit(1);
}
if (dev) {
  console.error(`prepack: DEVELOPMENT tarball: ${binaries.length - missing.length} of ${binaries.length} native binaries; without ${missing.map(([file]) => file).join(', ') || 'none'}`);
} else {
  console.error(`prepack: release tarball with all ${binaries.length} native binaries`);
}
