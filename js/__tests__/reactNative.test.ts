/** The React Native entry with no native module (Expo Go, an unlinked app): no crash, clear answers. */
jest.mock('react-native', () => ({
  NativeModules: {},
  NativeEventEmitter: jest.fn(),
  TurboModuleRegistry: { get: () => null },
}));

import { TencentImSDKPlugin } from '../index';
import { NOT_LINKED } from '../reactNative';

it('answers every call with 6013 and how to fix it', async () => {
  const result = await TencentImSDKPlugin.v2TIMManager.login('alice', 'sig');
  expect(result).toEqual({ code: 6013, desc: NOT_LINKED });
  expect(NOT_LINKED).toContain('Expo Go');
  await expect(TencentImSDKPlugin.v2TIMManager.getLoginStatus()).resolves.toMatchObject({ code: 6013 });
});
