/** The React Native entry over a (mocked) native mockModule: calls and events cross as JSON text. */
/** Every live subscription, by event name, as React Native's emitter keeps them. */
const mockListeners: Record<string, Array<(payload: string) => void>> = {};
/** unInitSDK answers held back by a test, as the core holds them until the server answered. */
const mockHeldUnInits: Array<() => void> = [];
let mockHoldUnInit = false;
const mockModule = {
  call: jest.fn(async (method: string) => {
    if (method === 'unInitSDK' && mockHoldUnInit) await new Promise<void>((resolve) => mockHeldUnInits.push(resolve));
    return JSON.stringify({ code: 0, desc: 'ok', data: method === 'getLoginStatus' ? 2 : undefined });
  }),
  addListener: jest.fn(),
  removeListeners: jest.fn(),
};
jest.mock('react-native', () => ({
  NativeModules: { TencentImSDK: mockModule },
  NativeEventEmitter: class {
    addListener(name: string, handler: (payload: string) => void) {
      const list = (mockListeners[name] ??= []);
      list.push(handler);
      return { remove: () => list.splice(list.indexOf(handler), 1) };
    }
  },
  TurboModuleRegistry: { get: () => null },
}));

import { TencentImSDKPlugin } from '../index';
import { EVENT_NAME } from '../reactNative';

it('uses the old-architecture mockModule when there is no TurboModule', async () => {
  const onConnectSuccess = jest.fn();
  await TencentImSDKPlugin.v2TIMManager.initSDK(1400000000, 4, { onConnectSuccess });
  await expect(TencentImSDKPlugin.v2TIMManager.getLoginStatus()).resolves.toEqual({ code: 0, desc: 'ok', data: 2 });
  expect(mockModule.call).toHaveBeenCalledWith('initSDK', '{"sdkAppID":1400000000,"logLevel":4}');
  mockListeners[EVENT_NAME]?.forEach((deliver) => deliver('{"type":"onConnectSuccess","data":null}'));
  expect(onConnectSuccess).toHaveBeenCalledTimes(1);
});

it('subscribes once however often the app unInits and inits again', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  const onKickedOffline = jest.fn();
  for (let cycle = 0; cycle < 3; cycle += 1) {
    await manager.unInitSDK();
    await manager.initSDK(1400000000, 4, { onKickedOffline });
  }
  expect(mockListeners[EVENT_NAME]).toHaveLength(1);
  mockListeners[EVENT_NAME]?.forEach((deliver) => deliver('{"type":"onKickedOffline","data":null}'));
  expect(onKickedOffline).toHaveBeenCalledTimes(1);
});

it('an unInitSDK not awaited leaves the events of the login made after it', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  const onKickedOffline = jest.fn();
  const deliver = (type: string) => [...(mockListeners[EVENT_NAME] ?? [])].forEach((d) => d(JSON.stringify({ type, data: null })));
  await manager.initSDK(1400000000, 4, { onKickedOffline });
  mockHoldUnInit = true;
  const unInit = manager.unInitSDK();
  await manager.initSDK(1400000000, 4, { onKickedOffline });
  await manager.login('alice', 'sig');
  // Both subscriptions are live until the old one's unInitSDK answers: each event once all the same.
  deliver('onKickedOffline');
  expect(onKickedOffline).toHaveBeenCalledTimes(1);
  mockHeldUnInits.splice(0).forEach((resolve) => resolve());
  await unInit;
  mockHoldUnInit = false;
  expect(mockListeners[EVENT_NAME]).toHaveLength(1);
  deliver('onKickedOffline');
  expect(onKickedOffline).toHaveBeenCalledTimes(2);
});
