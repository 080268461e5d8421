/**
 * A Jest mock of `react-native-tim-rs` for apps' own tests:
 *
 * ```js
 * jest.mock('react-native-tim-rs', () => require('react-native-tim-rs/jest'));
 * ```
 *
 * The real `V2TIMManager` runs over an in-memory transport that answers as the core does for an
 * app whose tickets are all valid: the same codes for calls before `initSDK` (6013), a second
 * `initSDK` for another app (90101), a bad UserID (7003), an empty ticket (70002), a wrong
 * argument type or an unknown experimental API (6017), `getServerTime` before a login (6014).
 * `mockEmit` plays an SDK event to the listeners (`mockEmit('onKickedOffline')`); a kick or an
 * expiry logs the mock out, as it logs the SDK out. The same table of scenarios runs against this
 * mock and against the real package on Node (`test/scenarios.json`), so the two cannot drift.
 */
import type { NativeTransport } from '../transport';
import { V2TIMManager } from '../V2TIMManager';

export * from '../types';
export { V2TIMManager };

/** The mocked managers' event entries; `mockEmit` plays to each. */
const emitters = new Set<(json: string) => void>();

const answer = (code: number, desc: string, data?: unknown) => JSON.stringify(data === undefined ? { code, desc } : { code, desc, data });
const ok = (data?: unknown) => answer(0, 'ok', data);
const invalid = (desc: string) => answer(6017, desc);

const isWhole = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
/** The core's UserID rule: 1 to 32 bytes of visible ASCII. */
const validUserID = (id: string) => id.length > 0 && id.length <= 32 && /^[\x21-\x7e]+$/.test(id);

function mockTransport(): NativeTransport {
  let app: number | undefined;
  let user = '';
  let onEvent: (json: string) => void = () => {};
  const emitter = (json: string) => {
    const { type } = JSON.parse(json) as { type: string };
    if (type === 'onKickedOffline' || type === 'onUserSigExpired') {
      user = '';
    }
    onEvent(json);
  };
  emitters.add(emitter);
  const methods: Record<string, (params: Record<string, unknown>) => string> = {
    initSDK({ sdkAppID, logLevel }) {
      if (!isWhole(sdkAppID) || sdkAppID === 0) return invalid('initSDK: parameter sdkAppID must be a positive whole number');
      if (!isWhole(logLevel) || ![0, 3, 4, 5, 6].includes(logLevel)) return invalid('initSDK: parameter logLevel must be 0, 3, 4, 5 or 6');
      if (app !== undefined && app !== sdkAppID) return answer(90101, `the SDK is initialised for app ${app}; call unInitSDK first`);
      app = sdkAppID;
      return ok(true);
    },
    unInitSDK() {
      app = undefined;
      user = '';
      return ok();
    },
    getVersion: () => ok('mock'),
    login({ userID, userSig }) {
      if (typeof userID !== 'string') return invalid('login: parameter userID must be a string');
      if (typeof userSig !== 'string') return invalid('login: parameter userSig must be a string');
      if (!validUserID(userID)) return answer(7003, 'the UserID must be 1 to 32 bytes of visible ASCII');
      if (userSig === '') return answer(70002, 'the UserSig is empty');
      user = userID;
      return ok();
    },
    logout() {
      user = '';
      return ok();
    },
    getLoginUser: () => ok(user),
    getLoginStatus: () => ok(user === '' ? 3 : 1),
    getServerTime: () => (user === '' ? answer(6014, 'getServerTime needs a login') : ok(Math.floor(Date.now() / 1000))),
    callExperimentalAPI({ api }) {
      if (typeof api !== 'string') return invalid('callExperimentalAPI: parameter api must be a string');
      return api === 'networkChanged' ? ok() : invalid(`callExperimentalAPI: unknown api ${JSON.stringify(api)} (known: networkChanged)`);
    },
  };
  return {
    subscribe(listener) {
      onEvent = listener;
    },
    release() {
      emitters.delete(emitter);
    },
    async call(method, paramsJson) {
      const params = JSON.parse(paramsJson) as Record<string, unknown>;
      const run = methods[method];
      if (run === undefined) return invalid(`unknown method ${JSON.stringify(method)}`);
      if (app === undefined && !['initSDK', 'unInitSDK', 'getVersion'].includes(method)) {
        return answer(6013, 'the SDK is not initialised: call initSDK first');
      }
      return run(params);
    },
  };
}

/** Plays an SDK event to every mocked manager's listeners. */
export function mockEmit(type: string, data: unknown = null): void {
  const json = JSON.stringify({ type, data });
  emitters.forEach((emit) => emit(json));
}

/** A mocked manager of its own (a second device), as the Node entry offers. */
export function createV2TIMManager(): V2TIMManager {
  return new V2TIMManager(mockTransport);
}

/** The mocked plugin object. */
export const TencentImSDKPlugin = {
  v2TIMManager: createV2TIMManager(),
};
