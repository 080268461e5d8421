import type { NativeTransport } from './transport';

/** The event the native module emits, with `{"type","data"}` JSON as its payload. */
export const EVENT_NAME = 'TimEvent';

/** What to tell a developer whose app has no native module. */
export const NOT_LINKED =
  'react-native-tim-rs: the native module TencentImSDK is not in this app. Rebuild the app after ' +
  'installing the package (npx react-native run-android, or pod install then run-ios). Expo Go ' +
  "cannot load native modules: use a development build. In Jest, mock the package with 'react-native-tim-rs/jest'.";

/**
 * Finds the native module (TurboModule on the new architecture, `NativeModules` on the old one).
 * Runs at the first API call, never at import, so that a missing module or a Jest mock set up
 * after the import is handled.
 */
export function reactNativeTransport(): NativeTransport | string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AppState, NativeEventEmitter, NativeModules } = require('react-native') as typeof import('react-native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const turbo = (require('./NativeTencentImSDK') as typeof import('./NativeTencentImSDK')).default;
  const module = turbo ?? NativeModules.TencentImSDK;
  if (module === null || module === undefined) {
    return NOT_LINKED;
  }
  hearAppState(AppState, module);
  let subscription: { remove(): void } | undefined;
  return {
    call: (method, paramsJson) => module.call(method, paramsJson),
    subscribe: (onEvent) => {
      subscription = new NativeEventEmitter(module).addListener(EVENT_NAME, (json: string) => onEvent(json));
    },
    // The next initSDK subscribes again: without this each cycle would deliver every event once more.
    release: () => {
      subscription?.remove();
      subscription = undefined;
    },
  };
}

/** How long in the background makes the SDK check its connection when the app comes back. */
export const BACKGROUND_CHECK_MS = 5000;

let hearing = false;

/**
 * Once per app: when the app comes to the foreground after {@link BACKGROUND_CHECK_MS} or more
 * in the background, tells the core at once, as `callExperimentalAPI('networkChanged')` does: a
 * reconnect waiting out its backoff (the phone may have slept, or changed networks) retries now.
 * The core ignores it when not initialised or not logged in.
 */
function hearAppState(appState: typeof import('react-native').AppState | undefined, module: { call(method: string, paramsJson: string): Promise<string> }): void {
  if (hearing || typeof appState?.addEventListener !== 'function') {
    return;
  }
  hearing = true;
  let backgroundSince: number | undefined;
  appState.addEventListener('change', (state) => {
    if (state === 'background') {
      backgroundSince ??= Date.now();
    } else if (state === 'active') {
      const away = backgroundSince === undefined ? 0 : Date.now() - backgroundSince;
      backgroundSince = undefined;
      if (away >= BACKGROUND_CHECK_MS) {
        module.call('callExperimentalAPI', JSON.stringify({ api: 'networkChanged' })).catch(() => {});
      }
    }
  });
}
