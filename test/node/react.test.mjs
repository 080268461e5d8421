// react-native-tim-rs/react on Node against the real package and a real tim-server, rendered
// with React's test renderer: the hooks follow logins, kicks, expiries, failures and reconnects
// as the SDK reports them. js/__tests__/react.test.ts runs the same hooks against the Jest mock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { once } from 'node:events';
import { APP, sign, startServer, startProxy, eventRecorder } from '../support/server.mjs';

const require = createRequire(import.meta.url);
// Through the package's own name and "exports", as an app imports them.
const { TencentImSDKPlugin, createV2TIMManager, LogLevelEnum } = require('react-native-tim-rs');
const { useConnectionState, useLoginStatus, useLoginUser } = require('react-native-tim-rs/react');
const React = require('react');
const TestRenderer = require('react-test-renderer');

// As React Native's Jest preset sets it (the renderer then prints no deprecation notice). Not an
// act() environment: React renders on its own after each change, as in an app.
globalThis.IS_REACT_NATIVE_TEST_ENVIRONMENT = true;
globalThis.IS_REACT_ACT_ENVIRONMENT = false;

const fast = (url) => ({ serverUrl: url, reconnectMinMs: 50, reconnectMaxMs: 400 });

/** A component that records what the hooks gave it, render after render (repeats dropped). */
function recorder(manager) {
  const states = [];
  function Probe() {
    const status = useLoginStatus(manager);
    const user = useLoginUser(manager);
    const connection = useConnectionState(manager);
    const text = `${status} ${user === '' ? '-' : user} ${connection.state}${connection.state === 'failed' ? ` ${connection.code}` : ''}`;
    if (states.at(-1) !== text) states.push(text);
    return null;
  }
  return { Probe, states };
}

function render(...probes) {
  const children = probes.map((p, i) => React.createElement(p, { key: i }));
  return TestRenderer.create(React.createElement(React.StrictMode, null, ...children), { unstable_isConcurrent: true });
}

/** Resolves once `states` ends with `last` (a text, or a RegExp it matches), or fails after `ms`. */
async function until(states, last, ms = 10000) {
  const deadline = Date.now() + ms;
  const reached = () => (last instanceof RegExp ? last.test(states.at(-1) ?? '') : states.at(-1) === last);
  while (!reached()) {
    if (Date.now() > deadline) assert.fail(`waited for "${last}", rendered ${JSON.stringify(states)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('two components in StrictMode follow a login and a kick through the default manager', async () => {
  const server = await startServer();
  const manager = TencentImSDKPlugin.v2TIMManager;
  const app = eventRecorder();
  const [first, second] = [recorder(), recorder()];
  const renderer = render(first.Probe, second.Probe);
  const other = createV2TIMManager();
  try {
    await until(first.states, '3 - idle');
    assert.equal((await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, app.listener, fast(server.url))).code, 0);
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    await until(first.states, '1 alice connected');
    await other.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(server.url));
    const kicked = app.next('onKickedOffline');
    assert.equal((await other.login('alice', sign('alice'))).code, 0);
    // The app's own initSDK listener still hears the kick beside the hooks' store.
    await kicked;
    await until(first.states, '3 - kicked');
    assert.deepEqual(second.states, first.states);
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    await until(first.states, '1 alice connected');
    await manager.logout();
    await until(second.states, '3 - idle');
  } finally {
    renderer.unmount();
    await other.unInitSDK();
    await manager.unInitSDK();
    await server.stop();
  }
});

test('every change re-renders: logging in, a connect timeout, a reconnect after the server died', async () => {
  // A server that accepts connections and never answers: the login waits out connectTimeoutMs.
  const silent = net.createServer(() => {});
  const held = new Set();
  silent.on('connection', (socket) => held.add(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  let server = await startServer();
  const proxy = await startProxy(server.address);
  const manager = createV2TIMManager();
  const { Probe, states } = recorder(manager);
  const renderer = render(Probe);
  try {
    const config = { ...fast(`ws://127.0.0.1:${silent.address().port}`), connectTimeoutMs: 400 };
    assert.equal((await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, config)).code, 0);
    // Not awaited on its own: "2 - connecting" lasts only connectTimeoutMs, which a poll on a
    // busy machine can miss; the sequence below insists it was rendered.
    const login = manager.login('alice', sign('alice'));
    assert.equal((await login).code, 9510);
    await until(states, '3 - failed 9510');
    // Each change rendered. The status may change a moment before the event that goes with it
    // reaches JavaScript: "2 - idle" before onConnecting, "2 - failed 9510" before the login ends.
    const between = new Set(['2 - idle', '2 - failed 9510']);
    assert.deepEqual(states.filter((s) => !between.has(s)), ['3 - idle', '2 - connecting', '3 - failed 9510']);

    await manager.unInitSDK();
    await until(states, '3 - idle');
    assert.equal((await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(proxy.url))).code, 0);
    assert.equal((await manager.login('alice', sign('alice'))).code, 0);
    await until(states, '1 alice connected');
    await server.kill();
    // Still logged in while the SDK reconnects by itself; the failure and each retry render.
    const lost = states.length;
    await until(states, /^1 alice failed (9508|9514)$/);
    server = await startServer();
    proxy.setUpstream(server.address);
    await until(states, '1 alice connected');
    const reconnect = states.slice(lost);
    assert.ok(reconnect.includes('1 alice connecting'), JSON.stringify(states));
    assert.ok(reconnect.every((s) => s.startsWith('1 alice ')), JSON.stringify(states));
  } finally {
    renderer.unmount();
    await manager.unInitSDK();
    held.forEach((socket) => socket.destroy());
    silent.close();
    await proxy.close();
    await server.stop();
  }
});

test('a UserSig that expires while online renders expired; a refused login renders idle', async () => {
  const server = await startServer();
  const manager = createV2TIMManager();
  const { Probe, states } = recorder(manager);
  const renderer = render(Probe);
  try {
    await manager.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, fast(server.url));
    assert.equal((await manager.login('alice', sign('alice', { expire: 2 }))).code, 0);
    await until(states, '1 alice connected');
    await until(states, '3 - expired', 15000);
    assert.equal((await manager.login('alice', sign('alice', { key: 'guessed' }))).code, 70009);
    await until(states, '3 - idle');
  } finally {
    renderer.unmount();
    await manager.unInitSDK();
    await server.stop();
  }
});
