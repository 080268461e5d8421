/** The React Native entry over a (mocked) native mockModule: calls and events cross as JSON text. */
const mockListeners: Record<string, (payload: string) => void> = {};
const mockModule = {
  call: jest.fn(async (method: string) => JSON.stringify({ code: 0, desc: 'ok', data: method === 'getLoginStatus' ? 2 : undefined })),
  addListener: jest.fn(),
  removeListeners: jest.fn(),
};
jest.mock('react-native', () => ({
  NativeModules: { TencentImSDK: mockModule },
  NativeEventEmitter: class {
    addListener(name: string, handler: (payload: string) => void) {
      mockListeners[name] = handler;
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
  mockListeners[EVENT_NAME]?.('{"type":"onConnectSuccess","data":null}');
  expect(onConnectSuccess).toHaveBeenCalledTimes(1);
});
