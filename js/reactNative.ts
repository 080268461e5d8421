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
  const { NativeEventEmitter, NativeModules } = require('react-native') as typeof import('react-native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const turbo = (require('./NativeTencentImSDK') as typeof import('./NativeTencentImSDK')).default;
  const module = turbo ?? NativeModules.TencentImSDK;
  if (module === null || module === undefined) {
    return NOT_LINKED;
  }
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
