/**
 * Drop-in compatibility with `react-native-tim-js`, checked by the compiler: the code below is
 * written against Tencent's signatures (0.1.x), as an app that only changed its import would be.
 * `tsc --noEmit` and ts-jest compile it; a signature of ours that rejects Tencent-typed code fails
 * the build. The test itself then runs the same app code against the Jest mock.
 */
import {
  LogLevelEnum,
  TencentImSDKPlugin,
  V2TimLoginStatus,
  type V2TimCallback,
  type V2TimSDKListener,
  type V2TimValueCallback,
} from '../jest';

/** Tencent's listener: every member required, with its own parameter types. */
interface TencentUserFullInfo {
  userID?: string;
}
interface TencentUserStatus {
  userID?: string;
}
interface TencentSDKListener {
  onConnecting(): void;
  onConnectSuccess(): void;
  onConnectFailed(code: number, error: string): void;
  onKickedOffline(): void;
  onUserSigExpired(): void;
  onSelfInfoUpdated(info: TencentUserFullInfo): void;
  onUserStatusChanged(userStatusList: TencentUserStatus[]): void;
}

/** Tencent's `V2TIMManager`, as function-typed members so that parameters are checked strictly. */
interface TencentV2TIMManager {
  initSDK: (sdkAppID: number, logLevel: LogLevelEnum, listener?: TencentSDKListener) => Promise<V2TimValueCallback<boolean>>;
  unInitSDK: () => Promise<V2TimCallback>;
  login: (userID: string, userSig: string) => Promise<V2TimCallback>;
  logout: () => Promise<V2TimCallback>;
  getLoginUser: () => Promise<V2TimValueCallback<string>>;
  getLoginStatus: () => Promise<V2TimValueCallback<number>>;
  getVersion: () => Promise<V2TimValueCallback<string>>;
  getServerTime: () => Promise<V2TimValueCallback<number>>;
  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- Tencent's own type
  callExperimentalAPI: (api: string, param?: Object) => Promise<V2TimValueCallback<Object>>;
}

/** Our manager where Tencent's is expected: fails to compile if a signature breaks. */
const manager: TencentV2TIMManager = TencentImSDKPlugin.v2TIMManager;

const events: string[] = [];
const tencentListener: TencentSDKListener = {
  onConnecting: () => events.push('onConnecting'),
  onConnectSuccess: () => events.push('onConnectSuccess'),
  onConnectFailed: (code, error) => events.push(`onConnectFailed ${code} ${error}`),
  onKickedOffline: () => events.push('onKickedOffline'),
  onUserSigExpired: () => events.push('onUserSigExpired'),
  onSelfInfoUpdated: (info) => events.push(`onSelfInfoUpdated ${info.userID ?? ''}`),
  onUserStatusChanged: (list) => events.push(`onUserStatusChanged ${list.length}`),
};
/** Tencent's listener is one of ours (ours has every member optional). */
const ours: V2TimSDKListener = tencentListener;

/** App code as Tencent's examples write it. */
async function tencentStyleApp(m: TencentV2TIMManager): Promise<number[]> {
  const init = await m.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO, tencentListener);
  const login = await m.login('alice', 'a-ticket');
  const status = await m.getLoginStatus();
  const loggedIn: boolean = status.data === 1;
  const experimental = await m.callExperimentalAPI('setTestEnvironment', 'true');
  await m.callExperimentalAPI('networkChanged');
  const code: number = experimental.code;
  await m.logout();
  await m.unInitSDK();
  return [init.code, login.code, loggedIn ? 1 : 0, code];
}

it('runs code written against Tencent signatures', async () => {
  expect(ours).toBe(tencentListener);
  // The mock answers like the core: initSDK and login succeed, an unknown experimental api is
  // 6017; getLoginStatus answers a number that plain comparisons and the enum both accept.
  await expect(tencentStyleApp(manager)).resolves.toEqual([0, 0, 1, 6017]);
  expect(V2TimLoginStatus.V2TIM_STATUS_LOGINED).toBe(1);
});
