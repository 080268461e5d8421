/**
 * A Jest mock of `react-native-tim-rs` for apps' own tests:
 *
 * ```js
 * jest.mock('react-native-tim-rs', () => require('react-native-tim-rs/jest'));
 * ```
 *
 * The real `V2TIMManager` runs over an in-memory transport: `initSDK` succeeds, `login` succeeds
 * for any non-empty UserID and ticket, status and user follow, and `mockEmit` plays an SDK event
 * to the listeners (e.g. `mockEmit('onKickedOffline')`). It checks nothing else: tests of the
 * real rules run against the real core.
 */
import type { NativeTransport } from '../transport';
import { V2TIMManager } from '../V2TIMManager';

export * from '../types';
export { V2TIMManager };

let emit: (json: string) => void = () => {};

function mockTransport(): NativeTransport {
  let initialised = false;
  let user = '';
  const ok = (data?: unknown) => JSON.stringify(data === undefined ? { code: 0, desc: 'ok' } : { code: 0, desc: 'ok', data });
  return {
    subscribe(onEvent) {
      emit = onEvent;
    },
    release() {
      emit = () => {};
    },
    async call(method, paramsJson) {
      const params = JSON.parse(paramsJson) as { userID?: unknown; userSig?: unknown };
      if (method === 'initSDK') {
        initialised = true;
        return ok(true);
      }
      if (method === 'getVersion') {
        return ok('mock');
      }
      if (!initialised) {
        return JSON.stringify({ code: 6013, desc: 'the SDK is not initialised: call initSDK first' });
      }
      switch (method) {
        case 'login':
          if (typeof params.userID !== 'string' || params.userID === '' || typeof params.userSig !== 'string') {
            return JSON.stringify({ code: 6017, desc: 'login: userID and userSig must be non-empty strings' });
          }
          user = params.userID;
          return ok();
        case 'logout':
          user = '';
          return ok();
        case 'unInitSDK':
          initialised = false;
          user = '';
          return ok();
        case 'getLoginUser':
          return ok(user);
        case 'getLoginStatus':
          return ok(user === '' ? 3 : 1);
        case 'getServerTime':
          return user === '' ? JSON.stringify({ code: 6014, desc: 'getServerTime needs a login' }) : ok(Math.floor(Date.now() / 1000));
        default:
          return ok();
      }
    },
  };
}

/** Plays an SDK event to the mocked manager's listeners. */
export function mockEmit(type: string, data: unknown = null): void {
  emit(JSON.stringify({ type, data }));
}

/** The mocked plugin object. */
export const TencentImSDKPlugin = {
  v2TIMManager: new V2TIMManager(mockTransport),
};
