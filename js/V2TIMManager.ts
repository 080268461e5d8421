import type { NativeTransport } from './transport';
import {
  type LogLevelEnum,
  type V2TimCallback,
  type V2TimSDKConfig,
  type V2TimSDKListener,
  type V2TimValueCallback,
  V2TimErrorCode,
} from './types';

/** The calls {@link V2TIMManager.watchCalls} tells of. @internal */
export type CallWatched = 'initSDK' | 'unInitSDK' | 'login' | 'logout';

/** Told of a call when it is sent (`result` undefined) and when it answered. @internal */
export type CallWatcher = (method: CallWatched, result: V2TimCallback | undefined) => void;

type EventName = 'onConnecting' | 'onConnectSuccess' | 'onConnectFailed' | 'onKickedOffline' | 'onUserSigExpired';

/**
 * `TencentImSDKPlugin.v2TIMManager`. Each method forwards its arguments to the native core as
 * JSON and resolves with the core's answer: the core checks every argument (a wrong type answers
 * 6017 naming the parameter), so this class adds no rules. Promises never reject.
 *
 * Every call answers within the bound its documentation gives, whatever the network does, and
 * the SDK serves other calls meanwhile. Events and answers reach JavaScript in the order the
 * core produced them: a login's `onConnecting` and `onConnectSuccess` come before `login`
 * resolves, on Node, Android and iOS alike.
 *
 * Each call acts on the SDK instance that exists when it is made, whatever was called before it
 * and not yet answered: after `unInitSDK` (awaited or not) the next call reaches a new instance.
 * Listener changes take effect in call order.
 */
export class V2TIMManager {
  private readonly listeners = new Set<V2TimSDKListener>();
  /**
   * The listener `initSDK` set, and the number of the call that set it. Listener changes take
   * effect in call order although `initSDK` sets its listener at its answer: an answer older
   * than the listener's installer, or than a `removeSDKListener` of that listener, changes
   * nothing (see {@link V2TIMManager.initSDK}).
   */
  private initListener: { listener: V2TimSDKListener | undefined; call: number } = { listener: undefined, call: 0 };
  /** The number of the last `removeSDKListener` call of each listener. */
  private readonly removedAt = new WeakMap<V2TimSDKListener, number>();
  /** Counts `initSDK` and `removeSDKListener` calls, in call order. */
  private listenerCalls = 0;
  /**
   * The instance later calls go to, or none yet (the next call connects one). `unInitSDK` lets
   * go of it at its call, so that a call made after it reaches a new instance, whenever the
   * `unInitSDK` answers.
   */
  private transport: NativeTransport | undefined;
  /** Counts connected transports: only the newest one's events reach the listeners. */
  private generation = 0;
  /** Told of the calls that change the login (see {@link V2TIMManager.watchCalls}). */
  private readonly callWatchers = new Set<CallWatcher>();

  /**
   * @param connect - finds the native transport, or explains why there is none. Called lazily
   *   at the first call, so importing the package never touches native code.
   */
  constructor(private readonly connect: () => NativeTransport | string) {}

  /**
   * Initialises the SDK for an app. Call once before anything else.
   * @param sdkAppID - the app's SDKAppID.
   * @param logLevel - how much the SDK logs.
   * @param listener - receives SDK events; a second successful `initSDK` replaces it (one that
   *   fails leaves the listener as it was). It is set when the call answers 0, with the effect
   *   it had at the call: a `removeSDKListener(listener)` made after this call, even before its
   *   answer, leaves it removed, and a later `initSDK`'s listener is never replaced by an earlier
   *   call's. Without a listener the current one stays.
   * @param config - where the server is (`serverUrl`) and timeouts. `ws://` is accepted only
   *   for loopback and private-network addresses unless `allowCleartext` is set.
   * @returns `data: true` on success; 90101 when initialised for another app; 6017 for a bad
   *   config. Answers at once: it does not touch the network.
   */
  async initSDK(
    sdkAppID: number,
    logLevel: LogLevelEnum,
    listener?: V2TimSDKListener,
    config?: V2TimSDKConfig,
  ): Promise<V2TimValueCallback<boolean>> {
    const call = listener === undefined ? 0 : ++this.listenerCalls;
    const result = await this.watched('initSDK', this.invoke<V2TimValueCallback<boolean>>('initSDK', { sdkAppID, logLevel, config }));
    if (result.code === 0 && listener !== undefined && call > this.initListener.call) {
      // Set at the answer, as it was at the call: a removeSDKListener(listener) made since then
      // comes after it.
      const removed = (this.removedAt.get(listener) ?? 0) > call;
      this.initListener = { listener: removed ? undefined : listener, call };
    }
    return result;
  }

  /**
   * Logs out if needed and releases the SDK. Call after `logout` when the app is done with IM.
   * Answers within `requestTimeoutMs` (the server's logout answer is awaited that long at most).
   *
   * It acts on the instance that exists when it is called, at once: a call made after it, even
   * before it answers, reaches a new instance (needing `initSDK`, answering 6013 before), and
   * that instance is never torn down by this answer. A login under way answers 7009. Listeners
   * stay: they hear the new instance.
   */
  async unInitSDK(): Promise<V2TimCallback> {
    const transport = this.native();
    // Let go at the call: later calls reach a new instance even before this one answers.
    this.transport = undefined;
    const result = await this.watched('unInitSDK', this.invoke<V2TimCallback>('unInitSDK', {}, transport));
    if (typeof transport !== 'string') {
      transport.release();
    }
    return result;
  }

  /**
   * Logs in; the first login of a UserID registers it. Logging in as another user switches
   * accounts; a second call while a login for the same user runs joins it (it answers that
   * login's result; if the server refuses the first ticket, the newer one is tried within the
   * same bound).
   *
   * A call for the user already logged in renews the session's UserSig: the SDK sends
   * `userSig` on the open session, the server verifies it as a login's, and the session expires
   * with it from then on, so an app that refreshes its ticket ahead of time keeps its user
   * online. It answers 0, or the server's code for the ticket (70001, 70009, 70013, 70052, …),
   * and the session then stays on its old ticket; every later reconnect presents the newest
   * ticket the server accepted. While reconnecting it answers 0 at once and the next attempt
   * presents `userSig`. (A server of protocol version 1 cannot renew: the call answers 0 at once,
   * and when the old ticket expires the SDK reconnects with the new one.)
   *
   * Answers within `connectTimeoutMs + requestTimeoutMs` (20 s with the defaults), an account
   * switch included: the old account is logged out meanwhile, within `requestTimeoutMs`. A
   * renewal answers within `requestTimeoutMs`; a server that does not answer it in time is taken
   * for gone, and the call answers 0 as the reconnect presents the ticket.
   * @returns code 0, or e.g. 70001 (UserSig expired: get a new one), 7003 (bad UserID).
   */
  login(userID: string, userSig: string): Promise<V2TimCallback> {
    return this.watched('login', this.invoke('login', { userID, userSig }));
  }

  /**
   * Logs out. A login under way answers 6023. The status is logged out at once; the promise
   * resolves when the server answered the logout, within `requestTimeoutMs`.
   */
  logout(): Promise<V2TimCallback> {
    return this.watched('logout', this.invoke('logout', {}));
  }

  /** The logged-in UserID, or "" when not logged in. Answers at once, from local state. */
  getLoginUser(): Promise<V2TimValueCallback<string>> {
    return this.invoke('getLoginUser', {});
  }

  /**
   * 1 logged in, 2 logging in, 3 logged out: a number, as in Tencent's package; compare it with
   * {@link V2TimLoginStatus}'s members or with plain numbers. Answers at once, from local state.
   */
  getLoginStatus(): Promise<V2TimValueCallback<number>> {
    return this.invoke('getLoginStatus', {});
  }

  /** The SDK's version. Answers at once. */
  getVersion(): Promise<V2TimValueCallback<string>> {
    return this.invoke('getVersion', {});
  }

  /** The server's clock in Unix seconds (6014 before a login). Answers at once, from local state. */
  getServerTime(): Promise<V2TimValueCallback<number>> {
    return this.invoke('getServerTime', {});
  }

  /**
   * Calls an API outside the standard set. Supported: `"networkChanged"` (tell the SDK the
   * network changed, so a reconnect waiting out its backoff retries at once); any other `api`
   * answers 6017. `param` is any value, as Tencent's `Object` parameter allows. Answers at once.
   */
  callExperimentalAPI(api: string, param?: unknown): Promise<V2TimValueCallback<object>> {
    return this.invoke('callExperimentalAPI', { api, param });
  }

  /** Adds a listener for SDK events, beside the one `initSDK` set. */
  addSDKListener(listener: V2TimSDKListener): void {
    this.listeners.add(listener);
  }

  /**
   * Removes a listener added with `addSDKListener`, or the one `initSDK` set, at once: also one
   * that an `initSDK` not yet answered is about to set (changes take effect in call order).
   */
  removeSDKListener(listener: V2TimSDKListener): void {
    this.listeners.delete(listener);
    this.removedAt.set(listener, ++this.listenerCalls);
    if (this.initListener.listener === listener) {
      this.initListener = { listener: undefined, call: this.initListener.call };
    }
  }

  /**
   * Tells `watcher` of every `initSDK`, `unInitSDK`, `login` and `logout` made on this manager:
   * once when it is sent (without an answer), once when it answered. For
   * `react-native-tim-rs/react`, whose store follows the login through these and the SDK's
   * events; apps use listeners.
   * @returns a function that stops the watching.
   * @internal
   */
  watchCalls(watcher: CallWatcher): () => void {
    this.callWatchers.add(watcher);
    return () => this.callWatchers.delete(watcher);
  }

  private watched<T extends V2TimCallback>(method: CallWatched, answer: Promise<T>): Promise<T> {
    if (this.callWatchers.size === 0) {
      return answer;
    }
    this.tell(method, undefined);
    return answer.then((result) => {
      this.tell(method, result);
      return result;
    });
  }

  private tell(method: CallWatched, result: V2TimCallback | undefined): void {
    for (const watcher of [...this.callWatchers]) {
      try {
        watcher(method, result);
      } catch (e) {
        console.error(`react-native-tim-rs: a call watcher threw in ${method}:`, e);
      }
    }
  }

  /**
   * Sends one call, to `transport` or else to the current instance, chosen now: the call acts on
   * the instance that exists when it is made.
   */
  private async invoke<T extends V2TimCallback>(
    method: string,
    params: object,
    transport: NativeTransport | string = this.native(),
  ): Promise<T> {
    if (typeof transport === 'string') {
      return failure(V2TimErrorCode.ERR_SDK_NOT_INITIALIZED, transport);
    }
    let paramsJson: string;
    try {
      paramsJson = JSON.stringify(params);
    } catch (e) {
      return failure(V2TimErrorCode.ERR_INVALID_PARAMETERS, `${method}: the arguments cannot be sent: ${String(e)}`);
    }
    try {
      return JSON.parse(await transport.call(method, paramsJson)) as T;
    } catch (e) {
      return failure(V2TimErrorCode.ERR_IO_OPERATION_FAILED, `${method}: the native module failed: ${String(e)}`);
    }
  }

  private native(): NativeTransport | string {
    if (this.transport === undefined) {
      const found = this.connect();
      if (typeof found === 'string') {
        return found;
      }
      const generation = ++this.generation;
      // An instance that unInitSDK let go of still speaks until a newer one is connected; then
      // only the newer one does (on React Native both hear the same native module).
      found.subscribe((json) => {
        if (generation === this.generation) this.dispatch(json);
      });
      this.transport = found;
    }
    return this.transport;
  }

  /** Hands one event to every listener; a listener that throws does not stop the others. */
  private dispatch(eventJson: string): void {
    let event: { type: EventName; data: { code: number; desc: string } | null };
    try {
      event = JSON.parse(eventJson);
    } catch {
      return;
    }
    const targets = [this.initListener.listener, ...this.listeners].filter((l) => l !== undefined);
    for (const listener of new Set(targets)) {
      try {
        if (event.type === 'onConnectFailed') {
          listener.onConnectFailed?.(event.data?.code ?? 0, event.data?.desc ?? '');
        } else {
          listener[event.type]?.();
        }
      } catch (e) {
        console.error(`react-native-tim-rs: an SDK listener threw in ${event.type}:`, e);
      }
    }
  }
}

function failure<T extends V2TimCallback>(code: number, desc: string): T {
  return { code, desc } as T;
}
