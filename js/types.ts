/**
 * Types of the `V2TIMManager` API, as in Tencent's `react-native-tim-js`, so that apps written
 * against it compile unchanged.
 */

/** The SDK's log levels (`initSDK`'s second argument). */
export enum LogLevelEnum {
  V2TIM_LOG_NONE = 0,
  V2TIM_LOG_DEBUG = 3,
  V2TIM_LOG_INFO = 4,
  V2TIM_LOG_WARN = 5,
  V2TIM_LOG_ERROR = 6,
}

/** What `getLoginStatus` answers. The shipped SDKs use 1, 2, 3 (the guide's 0, 1, 2 is a typo). */
export enum V2TimLoginStatus {
  /** Logged in (also while reconnecting by itself after a network drop). */
  V2TIM_STATUS_LOGINED = 1,
  /** A login is running. */
  V2TIM_STATUS_LOGINING = 2,
  /** Not logged in. */
  V2TIM_STATUS_LOGOUT = 3,
}

/** The result of a call without data. `code` is 0 on success, otherwise Tencent's error code. */
export interface V2TimCallback {
  code: number;
  desc: string;
}

/** The result of a call with data; `data` is present when `code` is 0. */
export interface V2TimValueCallback<T> extends V2TimCallback {
  data?: T;
}

/**
 * SDK events. Every member is optional: implement what the app needs. Set one with `initSDK`
 * (a second `initSDK` replaces it) or add any number with `addSDKListener`.
 */
export interface V2TimSDKListener {
  /** Connecting to the server: at login, and when reconnecting by itself. */
  onConnecting?(): void;
  /** Connected to the server. */
  onConnectSuccess?(): void;
  /**
   * Connecting failed (the network, or the server's own trouble: 70169, 70500, 70050); while
   * logged in the SDK retries by itself. A reconnect refused for good never ends with this event
   * but with `onUserSigExpired` or `onKickedOffline`.
   */
  onConnectFailed?(code: number, error: string): void;
  /**
   * Logged out (status 3): another device took this one's place, or the app's server kicked the
   * user (REST `kick`; a reconnect after one is refused with 70052). Tell the user; log in again
   * if they wish.
   */
  onKickedOffline?(): void;
  /**
   * Logged out (status 3): the UserSig expired while online, or a reconnect was refused for its
   * ticket (expired, signed with a key the server no longer has, for another identity). Get a new
   * UserSig and log in again. Renewing it ahead of time with `login(sameUserID, newUserSig)`
   * avoids this.
   */
  onUserSigExpired?(): void;
  /** Part of Tencent's listener; this SDK never calls it. */
  onSelfInfoUpdated?(info: unknown): void;
  /** Part of Tencent's listener; this SDK never calls it. */
  onUserStatusChanged?(userStatusList: unknown[]): void;
}

/** Where an instance runs, for the server's multi-device policy. */
export type V2TimPlatform = 'android' | 'iphone' | 'ipad' | 'windows' | 'mac' | 'linux' | 'web';

/** `initSDK`'s fourth argument: where the server is, and how patient to be. All optional. */
export interface V2TimSDKConfig {
  /** `ws://host:port` or `wss://host:port` of a tim-server. Default `ws://127.0.0.1:7311`. */
  serverUrl?: string;
  /** This instance's platform. Default: the platform the app runs on. */
  platform?: V2TimPlatform;
  /** Names this app instance across reconnects (persist it to keep it across restarts). */
  instanceId?: string;
  /** Bound on connecting (TCP, TLS, upgrade). Default 10000. */
  connectTimeoutMs?: number;
  /** Bound on each answer from the server. Default 10000. */
  requestTimeoutMs?: number;
  /** Heartbeat period; a connection silent for two periods is replaced. Default 30000. */
  heartbeatIntervalMs?: number;
  /** First wait before a reconnect retry. Default 1000. */
  reconnectMinMs?: number;
  /** Longest wait between reconnect retries. Default 30000. */
  reconnectMaxMs?: number;
  /** PEM certificates to trust besides the built-in roots, for a self-hosted `wss://` server. */
  extraCaPem?: string;
  /**
   * Allows `ws://` to any host. Without it `ws://` is accepted only for loopback and
   * private-network addresses (development): the login sends the UserSig, in clear text over
   * `ws://`, so `initSDK` answers 6017 for any other host. Default false.
   */
  allowCleartext?: boolean;
}

/**
 * Tencent's error codes that this SDK answers with, by name (Tencent's names where it has them).
 * The core's table (`rust/core/src/error.rs`) is the source; a test keeps this object equal to it.
 */
export const V2TimErrorCode = {
  ERR_SUCC: 0,
  ERR_REQUEST_TIME_OUT: 6012,
  ERR_SDK_NOT_INITIALIZED: 6013,
  ERR_SDK_NOT_LOGGED_IN: 6014,
  ERR_INVALID_PARAMETERS: 6017,
  ERR_IO_OPERATION_FAILED: 6022,
  ERR_LOGGED_OUT_BEFORE_LOGIN_FINISHED: 6023,
  ERR_USER_SIG_EXPIRED: 6206,
  ERR_LOGIN_KICKED_OFF_BY_OTHER: 6208,
  ERR_SDK_COMM_INVALID_IDENTIFIER: 7003,
  ERR_SDK_COMM_INTERRUPT: 7009,
  ERR_SDK_NET_DISCONNECTED: 9508,
  ERR_SDK_NET_CONNECT_TIMEOUT: 9510,
  ERR_SDK_NET_CONN_RESET: 9514,
  ERR_SDK_HAD_INITIALIZED: 90101,
  ERR_SVR_ACCOUNT_USERSIG_EXPIRED: 70001,
  ERR_SVR_ACCOUNT_USERSIG_EMPTY: 70002,
  ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED: 70003,
  ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY: 70009,
  ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID: 70013,
  ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID: 70014,
  ERR_SVR_ACCOUNT_USERSIG_PUBLICKEY_NOT_FOUND: 70016,
  ERR_SVR_ACCOUNT_SDKAPPID_NOT_FOUND: 70020,
  ERR_SVR_ACCOUNT_FREQ_LIMIT: 70050,
  ERR_SVR_ACCOUNT_USERSIG_INVALIDATED: 70052,
  ERR_SVR_ACCOUNT_INTERNAL_TIMEOUT: 70169,
  ERR_SVR_ACCOUNT_INVALID_PARAMETERS: 70402,
  ERR_SVR_ACCOUNT_INTERNAL_ERROR: 70500,
} as const;
