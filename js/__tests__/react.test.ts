/**
 * `react-native-tim-rs/react` against the Jest mock, as an app's tests would run it (the
 * package mocked with `react-native-tim-rs/jest`), rendered with React's test renderer.
 * test/node/react.test.mjs runs the same hooks against the real package and a tim-server.
 */
jest.mock('react-native-tim-rs', () => jest.requireActual('../jest'));

import { createElement, StrictMode, type ReactElement, type ReactNode } from 'react';
import { create, type ReactTestRenderer } from 'react-test-renderer';
import { TencentImSDKPlugin, createV2TIMManager, mockEmit, type V2TIMManager } from '../jest';
import { useConnectionState, useLoginStatus, useLoginUser, type ConnectionState } from '../react';

// React Native's Jest preset sets the first (the renderer then needs no deprecation notice).
// Not an act() environment: React renders as it would in an app, after each change, so that
// every state the store passes through is rendered; each step waits until React is idle.
(globalThis as { IS_REACT_NATIVE_TEST_ENVIRONMENT?: boolean }).IS_REACT_NATIVE_TEST_ENVIRONMENT = true;
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

const CONFIG = { serverUrl: 'ws://127.0.0.1:7311' };

/** What one component rendered, render after render (consecutive repeats dropped). */
function recorder(manager?: V2TIMManager) {
  const renders: Array<{ status: number; user: string; connection: ConnectionState }> = [];
  function Probe(): ReactNode {
    const seen = { status: useLoginStatus(manager), user: useLoginUser(manager), connection: useConnectionState(manager) };
    const last = renders[renders.length - 1];
    if (last === undefined || last.status !== seen.status || last.user !== seen.user || last.connection !== seen.connection) {
      renders.push(seen);
    }
    return null;
  }
  const states = () => renders.map((r) => `${r.status} ${r.user === '' ? '-' : r.user} ${r.connection.state}`);
  return { Probe, renders, states };
}

/** Lets the mock's promise steps, the store's refreshes and React's renders run out. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

async function step<T>(work: () => Promise<T> | T): Promise<T> {
  const result = await work();
  await settle();
  return result;
}

async function render(element: ReactElement, strict = true): Promise<ReactTestRenderer> {
  // A concurrent root, as React Native's new architecture renders (the option is not in the types).
  const options = { unstable_isConcurrent: true } as unknown as Parameters<typeof create>[1];
  const renderer = create(strict ? createElement(StrictMode, null, element) : element, options);
  await settle();
  return renderer;
}

/** The listeners added to a manager (the store adds one, however many components mount). */
const added = (manager: V2TIMManager) => (manager as unknown as { listeners: Set<unknown> }).listeners.size;

// The mock logs in within a few promise callbacks, faster than React renders, so a test sees
// where each step ends; test/node/react.test.mjs sees every state of a login that takes time.
it('follows a login, a kick and a logout through the default manager, in StrictMode', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  const app = { onKickedOffline: jest.fn() };
  const { Probe, states } = recorder();
  const renderer = await render(createElement(Probe));
  expect(states()).toEqual(['3 - idle']);
  await step(() => manager.initSDK(1400000000, 0, app, CONFIG));
  await step(() => manager.login('alice', 'sig'));
  expect(states().at(-1)).toBe('1 alice connected');
  await step(() => mockEmit('onKickedOffline'));
  // The app's own initSDK listener still hears the kick: the hooks added a listener of their own.
  expect(app.onKickedOffline).toHaveBeenCalledTimes(1);
  expect(states().at(-1)).toBe('3 - kicked');
  await step(() => manager.login('alice', 'sig'));
  expect(states().at(-1)).toBe('1 alice connected');
  await step(() => manager.logout());
  expect(states().at(-1)).toBe('3 - idle');
  // StrictMode mounted, unmounted and mounted the effects: still one listener of the store's.
  expect(added(manager)).toBe(1);
  await step(() => manager.unInitSDK());
  renderer.unmount();
});

it('gives every mounted component the same state, and keeps it when one of them unmounts', async () => {
  const manager = createV2TIMManager();
  const [first, second] = [recorder(manager), recorder(manager)];
  const renderer = await render(createElement('view', null, createElement(first.Probe), createElement(second.Probe)));
  await step(() => manager.initSDK(1400000000, 0, undefined, CONFIG));
  await step(() => manager.login('alice', 'sig'));
  expect(second.states()).toEqual(first.states());
  expect(added(manager)).toBe(1);
  renderer.update(createElement('view', null, createElement(second.Probe)));
  await settle();
  await step(() => mockEmit('onConnectFailed', { code: 9508, desc: 'the network is down' }));
  expect(second.renders.at(-1)).toEqual({ status: 1, user: 'alice', connection: { state: 'failed', code: 9508, desc: 'the network is down' } });
  await step(() => mockEmit('onConnecting'));
  expect(second.states().at(-1)).toBe('1 alice connecting');
  await step(() => mockEmit('onUserSigExpired'));
  expect(second.states().at(-1)).toBe('3 - expired');
  expect(first.states().at(-1)).toBe('1 alice connected');
  await step(() => manager.unInitSDK());
  renderer.unmount();
});

it('shows a login made before the first hook mounted, a refused login as idle, and unInitSDK', async () => {
  const manager = createV2TIMManager();
  await manager.initSDK(1400000000, 0, undefined, CONFIG);
  await manager.login('bob', 'sig');
  const { Probe, states } = recorder(manager);
  const renderer = await render(createElement(Probe), false);
  expect(states()).toEqual(['3 - idle', '1 bob connected']);
  // A second login for the same user answers at once, changing nothing.
  await step(() => manager.login('bob', 'sig'));
  expect(states()).toEqual(['3 - idle', '1 bob connected']);
  await step(() => manager.logout());
  // An empty UserSig: the server is reached (onConnectSuccess), then refuses the login.
  expect(await step(() => manager.login('bob', ''))).toMatchObject({ code: 70002 });
  expect(states().at(-1)).toBe('3 - idle');
  await step(() => manager.login('bob', 'sig'));
  expect(states().at(-1)).toBe('1 bob connected');
  await step(() => manager.unInitSDK());
  expect(states().at(-1)).toBe('3 - idle');
  renderer.unmount();
});
