// An app's own test file: it imports the package as app code does, through the mock.
import { LogLevelEnum, TencentImSDKPlugin, V2TimLoginStatus } from 'react-native-tim-rs';
import { mockEmit } from 'react-native-tim-rs/jest';

const manager = TencentImSDKPlugin.v2TIMManager;

test('the app logs in and sees a kick through the mocked SDK', async () => {
  const kicked = jest.fn();
  expect((await manager.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO, { onKickedOffline: kicked })).code).toBe(0);
  expect(await manager.login('alice', 'ticket')).toEqual({ code: 0, desc: 'ok' });
  expect((await manager.getLoginStatus()).data).toBe(V2TimLoginStatus.V2TIM_STATUS_LOGINED);
  mockEmit('onKickedOffline');
  expect(kicked).toHaveBeenCalledTimes(1);
});

test('the real package loads in the app\'s Jest and answers 6013 with no native module', async () => {
  const real = jest.requireActual('react-native-tim-rs');
  const answer = await real.TencentImSDKPlugin.v2TIMManager.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO);
  expect(answer.code).toBe(6013);
  expect(answer.desc).toMatch(/native module TencentImSDK is not in this app/);
});
