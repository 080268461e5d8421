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

/** Where `npm run build` puts the addon. */
const ADDON_PATH = path.join(__dirname, 'tim_node.node');

function loadAddon(): Addon | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(ADDON_PATH) as Addon;
  } catch (e) {
    return `react-native-tim-rs: cannot load the Node addon at ${ADDON_PATH} (${String(e)}). Run npm run build.`;
  }
}

/**
 * A transport over one addon bridge: one SDK instance, created at the first call. From a
 * successful `initSDK` until `unInitSDK` it holds Node's event loop open, as a connection would:
 * a script that awaits an SDK event (a kick, an expiry) is not cut short, and one that unInits
 * exits by itself.
 */
function nodeTransport(): NativeTransport | string {
  const addon = loadAddon();
  if (typeof addon === 'string') {
    return addon;
  }
  let bridge: NativeBridge | null = null;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let onEvent: (json: string) => void = () => {};
  return {
    async call(method, paramsJson) {
      bridge ??= new addon.NativeBridge((json) => onEvent(json));
      const answer = await bridge.call(method, paramsJson);
      if (method === 'initSDK' && keepAlive === undefined && (JSON.parse(answer) as { code: number }).code === 0) {
        keepAlive = setInterval(() => {}, 2 ** 31 - 1);
      }
      return answer;
    },
    subscribe(listener) {
      onEvent = listener;
    },
    release() {
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
