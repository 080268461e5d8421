// The public JavaScript API on Node, end to end: `require` of the package root gives
// TencentImSDKPlugin backed by the tim-node addon, logging in to a real tim-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { APP, sign, startServer, startProxy, closedPortUrl, eventRecorder } from '../support/server.mjs';

const require = createRequire(import.meta.url);
const { TencentImSDKPlugin, createV2TIMManager, LogLevelEnum, V2TimLoginStatus } = require('../..');

const fast = (url) => ({ serverUrl: url, reconnectMinMs: 50, reconnectMaxMs: 400 });

test('login, status, user, server time and logout', async () => {
  const server = await startServer();
  const manager = TencentImSDKPlugin.v2TIMManager;
  const events = eventRecorder();
  try {
    assert.deepEqual(await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_WARN, events.listener, fast(server.url)), { code: 0, desc: 'ok', data: true });
    assert.deepEqual(await manager.getLoginStatus(), { code: 0, desc: 'ok', data: V2TimLoginStatus.V2TIM_STATUS_LOGOUT });
    assert.deepEqual(await manager.login('alice', sign('alice')), { code: 0, desc: 'ok' });
    // The login's events reached the listener before its answer: one ordered channel.
    assert.deepEqual(events.seen.map((e) => e.type), ['onConnecting', 'onConnectSuccess']);
    assert.equal((await manager.getLoginStatus()).data, V2TimLoginStatus.V2TIM_STATUS_LOGINED);
    assert.equal((await manager.getLoginUser()).data, 'alice');
    const serverTime = (await manager.getServerTime()).data;
    assert.ok(Math.abs(serverTime - Date.now() / 1000) < 5, `server time ${serverTime}`);
    assert.match((await manager.getVersion()).data, /^\d+\.\d+\.\d+/);
    assert.deepEqual(await manager.logout(), { code: 0, desc: 'ok' });
    assert.equal((await manager.getLoginUser()).data, '');
  } finally {
    await manager.unInitSDK();
    await server.stop();
  }
});

test('wrong argument types resolve 6017 naming the parameter, never a pending promise', async () => {
  const manager = createV2TIMManager();
  await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, { serverUrl: await closedPortUrl() });
  try {
    const bad = await manager.login(42, null);
    assert.equal(bad.code, 6017);
    assert.match(bad.desc, /userID must be a string, got a number/);
    // A failed initSDK leaves nothing holding the process open (the suite would never end).
    const badInit = await createV2TIMManager().initSDK('1400000000', 4);
    assert.equal(badInit.code, 6017);
    assert.match(badInit.desc, /sdkAppID/);
    const badUser = await manager.login('a b', 'sig');
    assert.equal(badUser.code, 7003);
  } finally {
    await manager.unInitSDK();
  }
});

test('an expired ticket answers 70001 and a wrong key 70009', async () => {
  const server = await startServer();
  const manager = createV2TIMManager();
  await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(server.url));
  try {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await manager.login('alice', sign('alice', { time: now - 100, expire: 10 }))).code, 70001);
    assert.equal((await manager.login('alice', sign('alice', { key: 'guessed' }))).code, 70009);
    assert.equal((await manager.getLoginStatus()).data, V2TimLoginStatus.V2TIM_STATUS_LOGOUT);
  } finally {
    await manager.unInitSDK();
    await server.stop();
  }
});

test('a second device of the same user kicks the first', async () => {
  const server = await startServer();
  const [phone1, phone2] = [createV2TIMManager(), createV2TIMManager()];
  const events = eventRecorder();
  await phone1.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, events.listener, fast(server.url));
  await phone2.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(server.url));
  try {
    assert.equal((await phone1.login('alice', sign('alice'))).code, 0);
    const kicked = events.next('onKickedOffline');
    assert.equal((await phone2.login('alice', sign('alice'))).code, 0);
    await kicked;
    assert.equal((await phone1.getLoginStatus()).data, V2TimLoginStatus.V2TIM_STATUS_LOGOUT);
    assert.equal((await phone2.getLoginStatus()).data, V2TimLoginStatus.V2TIM_STATUS_LOGINED);
  } finally {
    await phone1.unInitSDK();
    await phone2.unInitSDK();
    await server.stop();
  }
});

test('after a server restart the client comes back by itself', async () => {
  let server = await startServer();
  const proxy = await startProxy(server.address);
  const manager = createV2TIMManager();
  const events = eventRecorder();
  await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, events.listener, fast(proxy.url));
  try {
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    const failed = events.next('onConnectFailed');
    await server.kill();
    const [code] = await failed;
    assert.ok([9508, 9514].includes(code), `network code, got ${code}`);
    assert.equal((await manager.getLoginStatus()).data, V2TimLoginStatus.V2TIM_STATUS_LOGINED);
    const back = events.next('onConnectSuccess');
    server = await startServer();
    proxy.setUpstream(server.address);
    await back;
    assert.equal((await manager.getLoginUser()).data, 'alice');
  } finally {
    await manager.unInitSDK();
    await proxy.close();
    await server.stop();
  }
});

test('an unInitSDK not awaited tears down its own instance, not the one initSDK made after it', async () => {
  const server = await startServer();
  const manager = createV2TIMManager();
  const events = eventRecorder();
  await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, events.listener, fast(server.url));
  try {
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    const unInit = manager.unInitSDK();
    assert.deepEqual(await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, events.listener, fast(server.url)), { code: 0, desc: 'ok', data: true });
    assert.deepEqual(await unInit, { code: 0, desc: 'ok' });
    assert.deepEqual(await manager.login('alice', sign('alice')), { code: 0, desc: 'ok' });
    assert.equal((await manager.getLoginUser()).data, 'alice');
    // The new instance's events still reach the listener: a second device kicks it.
    const kicked = events.next('onKickedOffline');
    const other = createV2TIMManager();
    await other.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(server.url));
    assert.equal((await other.login('alice', sign('alice'))).code, 0);
    await kicked;
    await other.unInitSDK();
  } finally {
    await manager.unInitSDK();
    await server.stop();
  }
});

test('removeSDKListener right after initSDK takes effect after it, in call order', async () => {
  const server = await startServer();
  const manager = createV2TIMManager();
  const removed = eventRecorder();
  const kept = eventRecorder();
  manager.addSDKListener(kept.listener);
  const init = manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, removed.listener, fast(server.url));
  manager.removeSDKListener(removed.listener);
  try {
    assert.equal((await init).code, 0);
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    assert.deepEqual(kept.seen.map((e) => e.type), ['onConnecting', 'onConnectSuccess']);
    assert.deepEqual(removed.seen, []);
  } finally {
    await manager.unInitSDK();
    await server.stop();
  }
});
