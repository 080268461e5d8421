/**
 * The package on Node.js: the same `TencentImSDKPlugin`, backed by the `tim-node` addon (the
 * Rust core as an N-API module). `require('react-native-tim-rs')` resolves here on Node.
 */
import * as path from 'node:path';
import type { NativeTransport } from './transport';
import { V2TIMManager } from './V2TIMManager';

export * from './types';
export type { NativeTransport } from './transport';
export { V2TIMManager };

interface NativeBridge {
  call(method: string, paramsJson: string): Promise<string>;
  destroy(): void;
}

interface Addon {
  NativeBridge: new (onEvent: (eventJson: string) => void) => NativeBridge;
}

/**
 * Where the addon is, first found wins: a clone's own build (`rust/node/build.sh --out
 * lib/tim_node.node`), then the prebuilt addon the package ships for this platform
 * (`prebuilds/<platform>-<arch>/`, made by scripts/build-node-addon.sh).
 */
const ADDON_PATHS = [
  path.join(__dirname, 'tim_node.node'),
  path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'tim_node.node'),
];

function loadAddon(): Addon | string {
  const errors: string[] = [];
  for (const candidate of ADDON_PATHS) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(candidate) as Addon;
    } catch (e) {
      errors.push(`${candidate}: ${String(e)}`);
    }
  }
  return `react-native-tim-rs: no Node addon for ${process.platform}-${process.arch} (${errors.join('; ')}). In a clone, run npm run build.`;
}

/**
 * A transport over one addon bridge: one SDK instance, created at the first call. From a
 * successful `initSDK` until `unInitSDK` it holds Node's event loop open, as a connection would:
 * a script that awaits an SDK event (a kick, an expiry) is not cut short, and one that unInits
 * exits by itself. The manager hands each instance the calls made while it was current and
 * releases it when its `unInitSDK` answers, so `release` destroys this instance's bridge only.
 */
function nodeTransport(): NativeTransport | string {
  const addon = loadAddon();
  if (typeof addon === 'string') {
    return addon;
  }
  let bridge: NativeBridge | null = null;
  let released = false;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let onEvent: (json: string) => void = () => {};
  return {
    async call(method, paramsJson) {
      bridge ??= new addon.NativeBridge((json) => onEvent(json));
      const answer = await bridge.call(method, paramsJson);
      // An initSDK that answers after release must not hold the loop for a destroyed bridge.
      if (method === 'initSDK' && !released && keepAlive === undefined && (JSON.parse(answer) as { code: number }).code === 0) {
        keepAlive = setInterval(() => {}, 2 ** 31 - 1);
      }
      return answer;
    },
    subscribe(listener) {
      onEvent = listener;
    },
    release() {
      released = true;
      clearInterval(keepAlive);
      keepAlive = undefined;
      bridge?.destroy();
      bridge = null;
    },
  };
}

/** A manager of its own: a second SDK instance in the same process (a second device in tests). */
export function createV2TIMManager(): V2TIMManager {
  return new V2TIMManager(nodeTransport);
}

/** The plugin object apps use, as in Tencent's package. */
export const TencentImSDKPlugin = {
  v2TIMManager: createV2TIMManager(),
};
