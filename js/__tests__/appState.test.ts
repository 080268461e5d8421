/** On React Native the SDK hears AppState: back in the foreground after a while, it retries at once. */
const mockAppStateListeners: Array<(state: string) => void> = [];
const mockModule = {
  call: jest.fn(async () => JSON.stringify({ code: 0, desc: 'ok' })),
  addListener: jest.fn(),
  removeListeners: jest.fn(),
};
jest.mock('react-native', () => ({
  NativeModules: { TencentImSDK: mockModule },
  NativeEventEmitter: class {
    addListener() {
      return { remove: () => {} };
    }
  },
  AppState: { addEventListener: (_: string, listener: (state: string) => void) => mockAppStateListeners.push(listener) },
  TurboModuleRegistry: { get: () => null },
}));

import { TencentImSDKPlugin } from '../index';
import { BACKGROUND_CHECK_MS } from '../reactNative';

const networkChanged = () => mockModule.call.mock.calls.filter((call) => (call as unknown[])[0] === 'callExperimentalAPI');
const appState = (state: string) => mockAppStateListeners.forEach((listener) => listener(state));

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

it('tells the core the network changed when the app comes back after 5 s or more in the background', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  await manager.initSDK(1400000000, 4, undefined, { serverUrl: 'wss://im.example.com' });
  // Heard once, however often the app unInits and inits again.
  await manager.unInitSDK();
  await manager.initSDK(1400000000, 4, undefined, { serverUrl: 'wss://im.example.com' });
  expect(mockAppStateListeners).toHaveLength(1);
  expect(BACKGROUND_CHECK_MS).toBe(5000);

  appState('inactive');
  appState('background');
  jest.advanceTimersByTime(4999);
  appState('active');
  expect(networkChanged()).toHaveLength(0);

  appState('background');
  jest.advanceTimersByTime(3000);
  appState('inactive');
  jest.advanceTimersByTime(2000);
  appState('active');
  expect(networkChanged()).toEqual([['callExperimentalAPI', '{"api":"networkChanged"}']]);

  appState('active');
  expect(networkChanged()).toHaveLength(1);
});
