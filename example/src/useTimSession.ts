import { useCallback, useEffect, useRef, useState } from 'react';
import {
  LogLevelEnum,
  TencentImSDKPlugin,
  V2TimLoginStatus,
  type V2TimSDKListener,
  type V2TimValueCallback,
} from 'react-native-tim-rs';
import { type ConnectionState, useConnectionState, useLoginStatus, useLoginUser } from 'react-native-tim-rs/react';

/** One line of the event log: an SDK event, or a call and its `{code, desc}`. */
export interface LogEntry {
  id: number;
  time: Date;
  /** `event`: pushed by the SDK; `ok`/`error`: a call that answered code 0 / another code. */
  kind: 'event' | 'ok' | 'error';
  text: string;
}

/** What the form holds. Strings, as typed: the SDK checks them, not the app. */
export interface SessionForm {
  serverUrl: string;
  sdkAppID: string;
  userID: string;
  userSig: string;
}

/** Names of `getLoginStatus`'s answers, for display. */
export const LOGIN_STATUS_NAMES: Readonly<Record<number, string>> = {
  [V2TimLoginStatus.V2TIM_STATUS_LOGINED]: 'logged in',
  [V2TimLoginStatus.V2TIM_STATUS_LOGINING]: 'logging in',
  [V2TimLoginStatus.V2TIM_STATUS_LOGOUT]: 'logged out',
};

/** The connection as one line, for display. */
export function describeConnection(connection: ConnectionState): string {
  switch (connection.state) {
    case 'failed':
      return `failed (${connection.code}: ${connection.desc}), retrying if logged in`;
    case 'kicked':
      return 'kicked: another device logged in as this user';
    case 'expired':
      return 'UserSig expired: get a new one and log in again';
    default:
      return connection.state;
  }
}

/** The log keeps the newest entries only, so a long reconnect loop cannot grow it forever. */
const MAX_LOG_ENTRIES = 200;

const manager = TencentImSDKPlugin.v2TIMManager;

/**
 * The SDK session behind the screen: the calls the buttons make, the SDK's events in a log, and
 * the login as state from react-native-tim-rs/react's hooks (status, user, connection), which
 * re-render the screen whenever the SDK's answers or events change them: the app tracks nothing
 * itself, so the screen shows what the SDK really thinks.
 */
export function useTimSession() {
  const status = useLoginStatus();
  const user = useLoginUser();
  const connection = useConnectionState();
  const [log, setLog] = useState<LogEntry[]>([]);
  const nextId = useRef(0);

  const append = useCallback((kind: LogEntry['kind'], text: string) => {
    const entry = { id: nextId.current++, time: new Date(), kind, text };
    setLog((entries) => [entry, ...entries].slice(0, MAX_LOG_ENTRIES));
  }, []);

  /** Logs a call's answer; the text names the call so that answers arriving late still read right. */
  const logResult = useCallback(
    (call: string, result: V2TimValueCallback<unknown>, note = '') => {
      const data = result.data !== undefined ? `, data: ${JSON.stringify(result.data)}` : '';
      append(result.code === 0 ? 'ok' : 'error', `${call} → {code: ${result.code}, desc: "${result.desc}"${data}}${note}`);
    },
    [append],
  );

  // Events go to a listener added for this component's lifetime (not the one initSDK takes), so
  // that a remount (Fast Refresh, navigation) neither loses events nor logs them twice.
  useEffect(() => {
    const listener: V2TimSDKListener = {
      onConnecting: () => append('event', 'onConnecting'),
      onConnectSuccess: () => append('event', 'onConnectSuccess'),
      onConnectFailed: (code, desc) => append('event', `onConnectFailed(${code}, "${desc}")`),
      onKickedOffline: () => append('event', 'onKickedOffline: another device logged in as this user'),
      onUserSigExpired: () => append('event', 'onUserSigExpired: get a new UserSig and log in again'),
    };
    manager.addSDKListener(listener);
    return () => manager.removeSDKListener(listener);
  }, [append]);

  const init = useCallback(
    async ({ sdkAppID, serverUrl }: Pick<SessionForm, 'sdkAppID' | 'serverUrl'>) => {
      // Number('') is 0 and Number('x') is NaN: both are sent, and the SDK answers why they are wrong.
      const result = await manager.initSDK(Number(sdkAppID.trim()), LogLevelEnum.V2TIM_LOG_INFO, undefined, {
        serverUrl: serverUrl.trim(),
      });
      logResult(`initSDK(${sdkAppID.trim()})`, result);
    },
    [logResult],
  );

  const login = useCallback(
    async ({ userID, userSig }: Pick<SessionForm, 'userID' | 'userSig'>) => {
      // The UserSig is a credential: it is sent, never written to the log.
      const result = await manager.login(userID.trim(), userSig.trim());
      logResult(`login("${userID.trim()}")`, result);
    },
    [logResult],
  );

  const logout = useCallback(async () => {
    logResult('logout()', await manager.logout());
  }, [logResult]);

  /** Asks the SDK directly, beside what the hooks show (before initSDK it answers 6013). */
  const getStatus = useCallback(async () => {
    const result = await manager.getLoginStatus();
    logResult('getLoginStatus()', result, result.data !== undefined ? ` ${LOGIN_STATUS_NAMES[result.data]}` : '');
  }, [logResult]);

  const clearLog = useCallback(() => setLog([]), []);

  return { status, user, connection, log, init, login, logout, getStatus, clearLog };
}
