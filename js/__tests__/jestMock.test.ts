/** The mock that apps use in their own tests behaves like a logged-in SDK and plays events. */
import { TencentImSDKPlugin, createV2TIMManager, mockEmit, type V2TimSDKConfig } from '../jest';

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

describe('the mock logs in as the SDK does', () => {
  it('emits onConnecting and onConnectSuccess before login answers, so a test can await them', async () => {
    const manager = createV2TIMManager();
    const connected = new Promise<void>((resolve) => manager.addSDKListener({ onConnectSuccess: resolve }));
    await manager.initSDK(1400000000, 0, undefined, { serverUrl: 'ws://127.0.0.1:7311' });
    const login = manager.login('alice', 'sig');
    await expect(manager.getLoginStatus()).resolves.toMatchObject({ data: 2 });
    await connected;
    await expect(login).resolves.toEqual({ code: 0, desc: 'ok' });
    await manager.unInitSDK();
  });

  it('refuses the configs the core refuses', async () => {
    const manager = createV2TIMManager();
    await expect(manager.initSDK(1400000000, 0, undefined, { serverUrl: 'ws://im.example.com' })).resolves.toMatchObject({ code: 6017 });
    const unknownKey = { serverURL: 'wss://im.example.com' } as unknown as V2TimSDKConfig;
    await expect(manager.initSDK(1400000000, 0, undefined, unknownKey)).resolves.toMatchObject({
      code: 6017,
      desc: expect.stringContaining('unknown parameter serverURL'),
    });
    await expect(manager.initSDK(1400000000, 0, undefined, { serverUrl: 'wss://im.example.com' })).resolves.toMatchObject({ code: 0 });
    await manager.unInitSDK();
  });

  it('answers 6023 to a login that a logout interrupts, and 7009 to one that unInitSDK interrupts', async () => {
    const manager = createV2TIMManager();
    await manager.initSDK(1400000000, 0);
    const interrupted = manager.login('alice', 'sig');
    await expect(manager.logout()).resolves.toEqual({ code: 0, desc: 'ok' });
    await expect(interrupted).resolves.toMatchObject({ code: 6023 });
    const uninitialised = manager.login('alice', 'sig');
    await manager.unInitSDK();
    await expect(uninitialised).resolves.toMatchObject({ code: 7009 });
  });

  it('needs no timers: it logs in under fake timers', async () => {
    jest.useFakeTimers();
    try {
      const manager = createV2TIMManager();
      await manager.initSDK(1400000000, 0);
      await expect(manager.login('alice', 'sig')).resolves.toEqual({ code: 0, desc: 'ok' });
      await manager.unInitSDK();
    } finally {
      jest.useRealTimers();
    }
  });
});
