/** The mock that apps use in their own tests behaves like a logged-in SDK and plays events. */
import { TencentImSDKPlugin, mockEmit } from '../jest';

it('logs in and out, and plays events to listeners', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  await expect(manager.login('alice', 'sig')).resolves.toMatchObject({ code: 6013 });
  const onKickedOffline = jest.fn();
  await expect(manager.initSDK(1, 0, { onKickedOffline })).resolves.toEqual({ code: 0, desc: 'ok', data: true });
  await expect(manager.login('alice', 'sig')).resolves.toEqual({ code: 0, desc: 'ok' });
  await expect(manager.getLoginUser()).resolves.toEqual({ code: 0, desc: 'ok', data: 'alice' });
  await expect(manager.getLoginStatus()).resolves.toMatchObject({ data: 1 });
  mockEmit('onKickedOffline');
  expect(onKickedOffline).toHaveBeenCalledTimes(1);
  await manager.logout();
  await expect(manager.getLoginStatus()).resolves.toMatchObject({ data: 3 });
});
