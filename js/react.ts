/**
 * `react-native-tim-rs/react`: the login as React state. Each hook re-renders its component
 * whenever what it returns changes, from any cause: a call the app made, an event the SDK
 * emitted, a kick, an expiry, a reconnect.
 *
 * ```tsx
 * import { useConnectionState, useLoginStatus, useLoginUser } from 'react-native-tim-rs/react';
 *
 * function Banner() {
 *   const status = useLoginStatus(); // 1 logged in, 2 logging in, 3 logged out
 *   const user = useLoginUser(); // '' when not logged in
 *   const connection = useConnectionState();
 *   if (connection.state === 'kicked') return <Text>Logged in on another device</Text>;
 *   if (connection.state === 'failed') return <Text>Offline ({connection.code}), retrying</Text>;
 *   return <Text>{status === 1 ? `Hello ${user}` : 'Logged out'}</Text>;
 * }
 * ```
 *
 * The hooks share one small store per manager, fed by the SDK's listener API: the store adds a
 * listener of its own with `addSDKListener` (never touching the one the app gave `initSDK`),
 * and follows the app's `initSDK`, `unInitSDK`, `login` and `logout` calls. Status and user are
 * always the SDK's own answers (`getLoginStatus`, `getLoginUser`, asked again after each call and
 * event), never guessed. The store is made at the first hook that needs it and lives as long as
 * its manager, so StrictMode's double effects, remounts and any number of mounted components
 * share it and lose no event. React 18 or newer (`useSyncExternalStore`).
 *
 * @module react-native-tim-rs/react
 */
import { useSyncExternalStore } from 'react';
import { V2TimLoginStatus, type V2TimCallback, type V2TimSDKListener, type V2TimValueCallback } from './types';
import type { CallWatched, V2TIMManager } from './V2TIMManager';

/**
 * The connection, as the SDK's events tell it:
 *
 * - `idle`: no login: before any, after `logout`, `unInitSDK` or a login the server refused.
 * - `connecting`: `onConnecting`: a login, or a reconnect the SDK makes by itself.
 * - `connected`: `onConnectSuccess`.
 * - `failed`: `onConnectFailed(code, desc)`. While logged in the SDK retries by itself (the
 *   next `onConnecting` follows); a login that failed so answered the same code.
 * - `kicked`: `onKickedOffline`: another device took this one's place; logged out.
 * - `expired`: `onUserSigExpired`: the UserSig expired while online; logged out.
 *
 * `kicked`, `expired` and `failed` stay until the next login or connection attempt, so that the
 * app can say what happened.
 */
export type ConnectionState =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'failed'; code: number; desc: string }
  | { state: 'kicked' }
  | { state: 'expired' };

/** What the hooks read: one immutable snapshot, replaced on every change. */
interface LoginState {
  status: V2TimLoginStatus;
  user: string;
  connection: ConnectionState;
}

const IDLE: ConnectionState = { state: 'idle' };
const CONNECTING: ConnectionState = { state: 'connecting' };
const CONNECTED: ConnectionState = { state: 'connected' };

/** One manager's login as state, with the subscribers React hands `useSyncExternalStore`. */
class LoginStore {
  private state: LoginState = { status: V2TimLoginStatus.V2TIM_STATUS_LOGOUT, user: '', connection: IDLE };
  private readonly subscribers = new Set<() => void>();
  /** Counts the SDK's events: a refresh that overlapped an event says nothing of the connection. */
  private events = 0;
  /** Counts refreshes: an answer older than the newest one applied is dropped. */
  private refreshes = 0;
  private applied = 0;

  constructor(private readonly manager: V2TIMManager) {
    const listener: V2TimSDKListener = {
      onConnecting: () => this.heard(CONNECTING),
      onConnectSuccess: () => this.heard(CONNECTED),
      onConnectFailed: (code, desc) => this.heard({ state: 'failed', code, desc }),
      onKickedOffline: () => this.heard({ state: 'kicked' }),
      onUserSigExpired: () => this.heard({ state: 'expired' }),
    };
    manager.addSDKListener(listener);
    manager.watchCalls((method, result) => this.called(method, result));
    void this.refresh(undefined, true);
  }

  readonly subscribe = (onChange: () => void): (() => void) => {
    this.subscribers.add(onChange);
    return () => this.subscribers.delete(onChange);
  };

  readonly snapshot = (): LoginState => this.state;

  private set(next: LoginState): void {
    if (next.status === this.state.status && next.user === this.state.user && next.connection === this.state.connection) {
      return;
    }
    this.state = next;
    for (const onChange of [...this.subscribers]) {
      onChange();
    }
  }

  private heard(connection: ConnectionState): void {
    this.events += 1;
    void this.refresh(connection);
  }

  private called(method: CallWatched, result: V2TimCallback | undefined): void {
    // Logged out at once, as the SDK is; after unInitSDK the next call reaches a new instance.
    const loggedOut = result === undefined && (method === 'logout' || method === 'unInitSDK');
    void this.refresh(loggedOut ? IDLE : undefined);
  }

  /**
   * Asks the SDK for status and user after an event or a call, and sets them with the event's
   * `connection` in one change, so that every snapshot is one the SDK was in. A refresh that no
   * event caused nor overlapped, and that finds the SDK logged out, ends a `connecting` or
   * `connected` that no event ended (a login the server refused). The first one, made with the
   * store, also says how the connection stands for a store made after the login.
   */
  private async refresh(connection?: ConnectionState, first = false): Promise<void> {
    const refresh = ++this.refreshes;
    const events = this.events;
    const [status, user] = await Promise.all([this.manager.getLoginStatus(), this.manager.getLoginUser()]);
    if (refresh < this.applied) {
      return;
    }
    this.applied = refresh;
    const known = (answer: V2TimValueCallback<unknown>) => answer.code === 0;
    const next: LoginState = {
      // Before initSDK (6013) the SDK is not logged in.
      status: known(status) ? (status.data as V2TimLoginStatus) : V2TimLoginStatus.V2TIM_STATUS_LOGOUT,
      user: known(user) ? (user.data ?? '') : '',
      connection: connection ?? this.state.connection,
    };
    if (connection === undefined && events === this.events) {
      if (next.status === V2TimLoginStatus.V2TIM_STATUS_LOGOUT && (next.connection === CONNECTING || next.connection === CONNECTED)) {
        next.connection = IDLE;
      } else if (first && next.status === V2TimLoginStatus.V2TIM_STATUS_LOGINED) {
        next.connection = CONNECTED;
      } else if (first && next.status === V2TimLoginStatus.V2TIM_STATUS_LOGINING) {
        next.connection = CONNECTING;
      }
    }
    this.set(next);
  }
}

const stores = new WeakMap<V2TIMManager, LoginStore>();

/** The package's own manager, as the app imports it (on Node, React Native, or Jest's mock). */
function defaultManager(): V2TIMManager {
  // Through the package's name, not a relative path: the entry the app resolves (React Native's,
  // Node's) is the one whose manager the app calls, and `jest.mock('react-native-tim-rs', ...)`
  // applies here too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('react-native-tim-rs') as typeof import('./index')).TencentImSDKPlugin.v2TIMManager;
}

function useLoginState<T>(manager: V2TIMManager | undefined, select: (state: LoginState) => T): T {
  const target = manager ?? defaultManager();
  let store = stores.get(target);
  if (store === undefined) {
    store = new LoginStore(target);
    stores.set(target, store);
  }
  const { subscribe, snapshot } = store;
  return useSyncExternalStore(
    subscribe,
    () => select(snapshot()),
    () => select(snapshot()),
  );
}

/**
 * The login status, as `getLoginStatus` answers it: 1 logged in (also while reconnecting by
 * itself), 2 logging in, 3 logged out (also before `initSDK`). Re-renders on every change.
 * @param manager - the manager to follow; `TencentImSDKPlugin.v2TIMManager` by default (on Node
 *   also one from `createV2TIMManager()`).
 */
export function useLoginStatus(manager?: V2TIMManager): V2TimLoginStatus {
  return useLoginState(manager, (state) => state.status);
}

/**
 * The logged-in UserID, as `getLoginUser` answers it: `""` when not logged in (also while a
 * login runs, and before `initSDK`). Re-renders on every change.
 * @param manager - as for {@link useLoginStatus}.
 */
export function useLoginUser(manager?: V2TIMManager): string {
  return useLoginState(manager, (state) => state.user);
}

/**
 * The connection, from the SDK's events: see {@link ConnectionState}. The object is the same
 * between changes, so it can be compared with `===` or used in a dependency list.
 * @param manager - as for {@link useLoginStatus}.
 */
export function useConnectionState(manager?: V2TIMManager): ConnectionState {
  return useLoginState(manager, (state) => state.connection);
}
