/**
 * `react-native-tim-rs`: Tencent Cloud IM's `V2TIMManager` login API for React Native, on an
 * open Rust core. Migrating from `react-native-tim-js` means changing the import.
 *
 * @example
 * ```ts
 * import { TencentImSDKPlugin, LogLevelEnum } from 'react-native-tim-rs';
 * await TencentImSDKPlugin.v2TIMManager.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO, {
 *   onKickedOffline: () => alert('Logged in on another device'),
 * }, { serverUrl: 'wss://im.example.com' });
 * const res = await TencentImSDKPlugin.v2TIMManager.login(userID, userSig);
 * if (res.code !== 0) console.warn(res.code, res.desc);
 * ```
 *
 * React apps can read the login as state instead: see `react-native-tim-rs/react`.
 *
 * @module react-native-tim-rs
 */
import { V2TIMManager } from './V2TIMManager';
import { reactNativeTransport } from './reactNative';

export * from './types';
export type { NativeTransport } from './transport';
export { V2TIMManager };

/** The plugin object apps use, as in Tencent's package. */
export const TencentImSDKPlugin = {
  v2TIMManager: new V2TIMManager(reactNativeTransport),
};
