import { V2TIMManager } from '../V2TIMManager';
import type { NativeTransport } from '../transport';
import { LogLevelEnum, type V2TimSDKListener } from '../types';

/**
 * A transport that records calls and answers what the test says. Like a native event emitter,
 * it keeps every subscription until `release` removes it, so a manager that subscribed twice
 * would see each event twice.
 */
function fakeTransport(answer: (method: string, params: unknown) => unknown = () => ({ code: 0, desc: 'ok' })) {
  const calls: Array<[string, unknown]> = [];
  const subscribers: Array<(json: string) => void> = [];
  const transport: NativeTransport & { released: number } = {
    released: 0,
    async call(method, paramsJson) {
      const params = JSON.parse(paramsJson);
      calls.push([method, params]);
      return JSON.stringify(answer(method, params));
    },
    subscribe(onEvent) {
      subscribers.push(onEvent);
    },
    release() {
      transport.released += 1;
      subscribers.length = 0;
    },
  };
  const emit = (type: string, data: unknown = null) => subscribers.forEach((s) => s(JSON.stringify({ type, data })));
  return { transport, calls, emit, subscribers };
}

describe('V2TIMManager', () => {
  it('forwards each call as JSON and resolves the core answer unchanged', async () => {
    const { transport, calls } = fakeTransport((method) =>
      method === 'getLoginStatus' ? { code: 0, desc: 'ok', data: 1 } : { code: 70009, desc: 'bad signature' },
    );
    const manager = new V2TIMManager(() => transport);
    await expect(manager.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO, undefined, { serverUrl: 'ws://x' })).resolves.toEqual({
      code: 70009,
      desc: 'bad signature',
    });
    await expect(manager.getLoginStatus()).resolves.toEqual({ code: 0, desc: 'ok', data: 1 });
    await manager.login('alice', 'sig');
    await manager.callExperimentalAPI('networkChanged');
    expect(calls).toEqual([
      ['initSDK', { sdkAppID: 1400000000, logLevel: 4, config: { serverUrl: 'ws://x' } }],
      ['getLoginStatus', {}],
      ['login', { userID: 'alice', userSig: 'sig' }],
      ['callExperimentalAPI', { api: 'networkChanged' }],
    ]);
  });

  it('passes wrong argument types through for the core to answer 6017', async () => {
    const { transport, calls } = fakeTransport(() => ({ code: 6017, desc: 'login: parameter userID must be a string, got a number' }));
    const manager = new V2TIMManager(() => transport);
    const login = manager.login as unknown as (a: unknown, b: unknown) => Promise<unknown>;
    await expect(login.call(manager, 42, undefined)).resolves.toMatchObject({ code: 6017 });
    expect(calls).toEqual([['login', { userID: 42 }]]);
  });

  it('resolves 6017 when the arguments cannot be serialised, and 6022 when the native call fails', async () => {
    const transport: NativeTransport = {
      call: () => Promise.reject(new Error('bridge torn down')),
      subscribe: () => {},
      release: () => {},
    };
    const manager = new V2TIMManager(() => transport);
    const result = await manager.callExperimentalAPI('x', { big: BigInt(1) });
    expect(result.code).toBe(6017);
    expect(result.desc).toContain('cannot be sent');
    const failed = await manager.getVersion();
    expect(failed).toEqual({ code: 6022, desc: expect.stringContaining('bridge torn down') });
  });

  it('never touches native code at construction, and explains a missing module on every call', async () => {
    const connect = jest.fn(() => 'the native module is not linked: rebuild the app');
    const manager = new V2TIMManager(connect);
    expect(connect).not.toHaveBeenCalled();
    await expect(manager.login('alice', 'sig')).resolves.toEqual({ code: 6013, desc: 'the native module is not linked: rebuild the app' });
    await expect(manager.getLoginStatus()).resolves.toMatchObject({ code: 6013 });
  });

  it('delivers events to the initSDK listener and to added listeners, isolating throwing ones', async () => {
    const { transport, emit } = fakeTransport();
    const manager = new V2TIMManager(() => transport);
    const first: V2TimSDKListener = { onKickedOffline: jest.fn(), onConnectFailed: jest.fn() };
    const replacement: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const added: V2TimSDKListener = {
      onKickedOffline: jest.fn(() => {
        throw new Error('app bug');
      }),
      onUserSigExpired: jest.fn(),
    };
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, first);
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, replacement);
    manager.addSDKListener(added);
    emit('onKickedOffline');
    emit('onConnectFailed', { code: 9508, desc: 'down' });
    emit('onUserSigExpired');
    expect(first.onKickedOffline).not.toHaveBeenCalled();
    expect(replacement.onKickedOffline).toHaveBeenCalledTimes(1);
    expect(added.onKickedOffline).toHaveBeenCalledTimes(1);
    expect(added.onUserSigExpired).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledTimes(1);
    manager.removeSDKListener(added);
    manager.removeSDKListener(replacement);
    emit('onKickedOffline');
    expect(added.onKickedOffline).toHaveBeenCalledTimes(1);
    expect(replacement.onKickedOffline).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('releases the transport after unInitSDK and connects again at the next call', async () => {
    const { transport } = fakeTransport();
    const connect = jest.fn(() => transport);
    const manager = new V2TIMManager(connect);
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE);
    await manager.unInitSDK();
    expect(transport.released).toBe(1);
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE);
    expect(connect).toHaveBeenCalledTimes(2);
  });

  it('delivers each event once after any number of unInitSDK and initSDK cycles', async () => {
    const { transport, emit, subscribers } = fakeTransport();
    const manager = new V2TIMManager(() => transport);
    const listener: V2TimSDKListener = { onKickedOffline: jest.fn() };
    for (let cycle = 0; cycle < 3; cycle += 1) {
      await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, listener);
      await manager.unInitSDK();
    }
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, listener);
    expect(subscribers).toHaveLength(1);
    emit('onKickedOffline');
    expect(listener.onKickedOffline).toHaveBeenCalledTimes(1);
  });

  it('keeps the listener when a second initSDK fails, as the core keeps its state', async () => {
    let initCode = 0;
    const { transport, emit } = fakeTransport((method) =>
      method === 'initSDK' && initCode !== 0 ? { code: initCode, desc: 'initialised for another app' } : { code: 0, desc: 'ok', data: true },
    );
    const manager = new V2TIMManager(() => transport);
    const first: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const refused: V2TimSDKListener = { onKickedOffline: jest.fn() };
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, first);
    initCode = 90101;
    await expect(manager.initSDK(2, LogLevelEnum.V2TIM_LOG_NONE, refused)).resolves.toMatchObject({ code: 90101 });
    emit('onKickedOffline');
    expect(first.onKickedOffline).toHaveBeenCalledTimes(1);
    expect(refused.onKickedOffline).not.toHaveBeenCalled();
  });
});

/**
 * An SDK instance per transport, as on Node (each transport is a bridge of its own): initSDK and
 * unInitSDK change its state, a released instance answers 6013 like a destroyed bridge, and the
 * test decides when unInitSDK answers (the core waits up to requestTimeoutMs for the server).
 */
function instances() {
  const made: Array<{ initialised: boolean; released: boolean; emit: (type: string) => void }> = [];
  const pendingUnInits: Array<() => void> = [];
  const connect = (): NativeTransport => {
    let onEvent: (json: string) => void = () => {};
    const instance = { initialised: false, released: false, emit: (type: string) => onEvent(JSON.stringify({ type, data: null })) };
    made.push(instance);
    const answer = (code: number, data?: unknown) => JSON.stringify({ code, desc: code === 0 ? 'ok' : 'not initialised', data });
    return {
      async call(method) {
        if (instance.released) return answer(6013);
        if (method === 'initSDK') {
          instance.initialised = true;
          return answer(0, true);
        }
        if (method === 'unInitSDK') {
          // The core takes the engine at the call; the answer comes when the server answered.
          instance.initialised = false;
          await new Promise<void>((resolve) => pendingUnInits.push(resolve));
          return answer(0);
        }
        return answer(instance.initialised ? 0 : 6013);
      },
      subscribe(listener) {
        onEvent = listener;
      },
      release() {
        instance.released = true;
      },
    };
  };
  const answerUnInits = async () => {
    pendingUnInits.splice(0).forEach((resolve) => resolve());
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { connect, made, answerUnInits };
}

describe('calls act on the instance that existed when they were made', () => {
  it('an unInitSDK not awaited releases its own instance, not the one initSDK made after it', async () => {
    const { connect, made, answerUnInits } = instances();
    const manager = new V2TIMManager(connect);
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE);
    const unInit = manager.unInitSDK();
    await expect(manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE)).resolves.toMatchObject({ code: 0 });
    await answerUnInits();
    await expect(unInit).resolves.toEqual({ code: 0, desc: 'ok' });
    await expect(manager.login('alice', 'sig')).resolves.toMatchObject({ code: 0 });
    expect(made.map((i) => i.released)).toEqual([true, false]);
  });

  it('events of an instance being unInitialised stop once a newer one is connected', async () => {
    const { connect, made, answerUnInits } = instances();
    const manager = new V2TIMManager(connect);
    const listener: V2TimSDKListener = { onConnecting: jest.fn(), onKickedOffline: jest.fn() };
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, listener);
    const unInit = manager.unInitSDK();
    made[0]?.emit('onConnecting');
    expect(listener.onConnecting).toHaveBeenCalledTimes(1);
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, listener);
    made[0]?.emit('onKickedOffline');
    made[1]?.emit('onKickedOffline');
    expect(listener.onKickedOffline).toHaveBeenCalledTimes(1);
    await answerUnInits();
    await unInit;
    made[1]?.emit('onKickedOffline');
    expect(listener.onKickedOffline).toHaveBeenCalledTimes(2);
  });
});

describe('listener changes take effect in call order', () => {
  it('removeSDKListener right after initSDK, before its answer, removes the listener', async () => {
    const { transport, emit } = fakeTransport();
    const manager = new V2TIMManager(() => transport);
    const listener: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const init = manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, listener);
    manager.removeSDKListener(listener);
    await init;
    emit('onKickedOffline');
    expect(listener.onKickedOffline).not.toHaveBeenCalled();
  });

  it('a later initSDK wins, and removing the old listener does not undo a newer initSDK', async () => {
    const { transport, emit } = fakeTransport();
    const manager = new V2TIMManager(() => transport);
    const old: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const next: V2TimSDKListener = { onKickedOffline: jest.fn() };
    await manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, old);
    const init = manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, next);
    manager.removeSDKListener(old);
    await init;
    emit('onKickedOffline');
    expect(old.onKickedOffline).not.toHaveBeenCalled();
    expect(next.onKickedOffline).toHaveBeenCalledTimes(1);
  });

  it('an initSDK answered after a newer one does not bring its listener back', async () => {
    // Two transports whose answers the test releases in the order it likes.
    const held: Array<{ transport: number; method: string; answer: () => void }> = [];
    const subscribers: Array<(json: string) => void> = [];
    const connect = (): NativeTransport => {
      const index = subscribers.length;
      return {
        call: (method) =>
          new Promise((resolve) => held.push({ transport: index, method, answer: () => resolve('{"code":0,"desc":"ok","data":true}') })),
        subscribe: (onEvent) => subscribers.push(onEvent),
        release: () => {},
      };
    };
    const manager = new V2TIMManager(connect);
    const first: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const second: V2TimSDKListener = { onKickedOffline: jest.fn() };
    const one = manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, first);
    const unInit = manager.unInitSDK();
    const two = manager.initSDK(1, LogLevelEnum.V2TIM_LOG_NONE, second);
    expect(held.map((h) => [h.transport, h.method])).toEqual([
      [0, 'initSDK'],
      [0, 'unInitSDK'],
      [1, 'initSDK'],
    ]);
    for (const index of [2, 0, 1]) held[index]?.answer();
    await Promise.all([one, unInit, two]);
    subscribers[1]?.(JSON.stringify({ type: 'onKickedOffline', data: null }));
    expect(second.onKickedOffline).toHaveBeenCalledTimes(1);
    expect(first.onKickedOffline).not.toHaveBeenCalled();
  });
});
