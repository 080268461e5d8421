/**
 * A Jest mock of `react-native-tim-rs` for apps' own tests:
 *
 * ```js
 * jest.mock('react-native-tim-rs', () => require('react-native-tim-rs/jest'));
 * ```
 *
 * The real `V2TIMManager` runs over an in-memory transport that answers as the core does for an
 * app whose server is up and whose tickets are all valid (any non-empty UserSig):
 *
 * - the same codes, checked in the same order: a wrong argument type or an unknown parameter
 *   (6017) before anything else, then calls before `initSDK` (6013; `getVersion`, `unInitSDK`
 *   and `callExperimentalAPI('networkChanged')` answer 0), then the call's own rules;
 * - `initSDK` checks its config as the core does (`serverUrl`'s scheme and host, `ws://` only
 *   for loopback and private-network hosts unless `allowCleartext`, `platform`, `instanceId`,
 *   the timeouts, unknown keys: 6017), and answers 90101 when initialised for another app;
 * - `login` answers 7003 for a bad UserID; otherwise it is logging in (status 2), emits
 *   `onConnecting` and `onConnectSuccess`, then answers 0 (or 70002 for an empty UserSig, after
 *   the same two events, as the server refuses it). A login for the logged-in user answers 0 at
 *   once with no event; one for another user switches accounts. `logout` during a login makes it
 *   answer 6023, `unInitSDK` 7009;
 * - `getServerTime` before a login answers 6014.
 *
 * The login's steps run on promise callbacks only, never on timers, so tests with fake timers
 * see the same. `mockEmit` plays an SDK event to the listeners (`mockEmit('onKickedOffline')`,
 * `mockEmit('onConnectFailed', { code: 9508, desc: 'down' })`); a kick or an expiry logs the
 * mock out, as it logs the SDK out. The same table of scenarios runs against this mock and
 * against the real package on Node (`test/scenarios.json` in the repository), calls, codes and
 * the events each call makes heard, so the two cannot drift.
 */
import type { NativeTransport } from '../transport';
import { V2TIMManager } from '../V2TIMManager';

export * from '../types';
export { V2TIMManager };

/** The mocked instances' event entries; `mockEmit` plays to each. */
const emitters = new Set<(json: string) => void>();

type Params = Record<string, unknown>;
type Answer = { code: number; desc: string; data?: unknown };

/** A call's answer, or the failure that ends its checks (thrown inside this module only). */
class Refusal {
  constructor(
    readonly code: number,
    readonly desc: string,
  ) {}
}

const ok = (data?: unknown): Answer => (data === undefined ? { code: 0, desc: 'ok' } : { code: 0, desc: 'ok', data });
const refuse = (code: number, desc: string): never => {
  throw new Refusal(code, desc);
};

/** The kind of a JSON value, named as the core names it. */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'boolean':
      return 'a boolean';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    default:
      return 'an object';
  }
}

/** A call's parameters, read as the core's bridge reads them (rust/bridge/src/params.rs). */
class Reader {
  constructor(
    private readonly method: string,
    private readonly map: Params,
  ) {}

  only(known: string[]): void {
    const unknown = Object.keys(this.map).find((k) => !known.includes(k));
    if (unknown !== undefined) refuse(6017, `${this.method}: unknown parameter ${unknown} (known: ${known.join(', ')})`);
  }

  private value(name: string): unknown {
    const value = this.map[name];
    return value === null ? undefined : value;
  }

  private wrong(name: string, expected: string, got: unknown): never {
    return refuse(6017, `${this.method}: parameter ${name} must be ${expected}, got ${kind(got)}`);
  }

  object(name: string): Reader | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.wrong(name, 'an object', value);
    return new Reader(this.method, value as Params);
  }

  optionalString(name: string): string | undefined {
    const value = this.value(name);
    if (value === undefined || typeof value === 'string') return value;
    return this.wrong(name, 'a string', value);
  }

  string(name: string): string {
    return this.optionalString(name) ?? refuse(6017, `${this.method}: parameter ${name} is missing; it must be a string`);
  }

  optionalBool(name: string): boolean | undefined {
    const value = this.value(name);
    if (value === undefined || typeof value === 'boolean') return value;
    return this.wrong(name, 'a boolean', value);
  }

  /** A whole number that is not negative: what fits the core's u64 from JSON text. */
  optionalUnsigned(name: string): number | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number') return this.wrong(name, 'a whole number', value);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 64) {
      refuse(6017, `${this.method}: parameter ${name} must be a whole number that is not negative, got ${value}`);
    }
    return value;
  }

  unsigned(name: string): number {
    return this.optionalUnsigned(name) ?? refuse(6017, `${this.method}: parameter ${name} is missing; it must be a whole number`);
  }
}

const PLATFORMS = ['android', 'iphone', 'ipad', 'windows', 'mac', 'linux', 'web'];
const CONFIG_KEYS = [
  'serverUrl',
  'platform',
  'instanceId',
  'connectTimeoutMs',
  'requestTimeoutMs',
  'heartbeatIntervalMs',
  'reconnectMinMs',
  'reconnectMaxMs',
  'extraCaPem',
  'allowCleartext',
];

/** Four decimal parts of 0 to 255, as Rust's `Ipv4Addr` parses them (no leading zeros). */
function ipv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address (`::` and a trailing IPv4 allowed), or undefined. */
function ipv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const bytes: number[] = [];
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      const v4 = i === parts.length - 1 && part.includes('.') ? ipv4(part) : undefined;
      if (v4 !== undefined) {
        bytes.push(...v4);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        const n = parseInt(part, 16);
        bytes.push(n >> 8, n & 0xff);
      } else {
        return undefined;
      }
    }
    return bytes;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const missing = 16 - head.length - tail.length;
  return missing >= 2 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

/** The core's rule (rust/core/src/config.rs): loopback, private and link-local addresses. */
function isLocalHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const v4 = ipv4(host);
  if (v4 !== undefined) {
    const [a = 0, b = 0] = v4;
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const v6 = ipv6(host);
  if (v6 === undefined) return false;
  const loopback = v6.slice(0, 15).every((b) => b === 0) && v6[15] === 1;
  const [first = 0, second = 0] = v6;
  return loopback || (first & 0xfe) === 0xfc || (first === 0xfe && (second & 0xc0) === 0x80);
}

/** The host in what follows `ws://`: `host`, `host:port`, `[v6]:port`, then a path. */
function hostOf(rest: string): string {
  const authority = rest.split(/[/?#]/)[0] ?? '';
  const afterUser = authority.slice(authority.lastIndexOf('@') + 1);
  return afterUser.startsWith('[') ? (afterUser.slice(1).split(']')[0] ?? '') : (afterUser.split(':')[0] ?? '');
}

/**
 * Certificates as the core reads `extraCaPem`: at least one PEM block, each DER (a SEQUENCE
 * whose length is the block's). The mock reads no further than that.
 */
function checkPem(pem: string): void {
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].filter((m) => m[1] === 'CERTIFICATE');
  if (blocks.length === 0) refuse(6017, 'extraCaPem holds no certificate');
  for (const block of blocks) {
    const base64 = (block[2] ?? '').replace(/\s+/g, '');
    const der = /^[A-Za-z0-9+/]*={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
    const [tag = 0, first = 0] = der;
    const lengthBytes = first & 0x80 ? first & 0x7f : 0;
    let length = lengthBytes === 0 ? first : 0;
    for (let i = 0; i < lengthBytes; i += 1) length = length * 256 + (der[2 + i] ?? 0);
    if (der.length < 2 || tag !== 0x30 || 2 + lengthBytes + length !== der.length) {
      refuse(6017, 'extraCaPem: the certificate is not valid DER');
    }
  }
}

/** `initSDK`'s config: the bridge's reading of it, then the core's checks. */
function checkConfig(config: Reader | undefined): void {
  const durations: Record<string, number> = { connectTimeoutMs: 1, requestTimeoutMs: 1, heartbeatIntervalMs: 1, reconnectMinMs: 1000, reconnectMaxMs: 30000 };
  let serverUrl = 'ws://127.0.0.1:7311';
  let allowCleartext = false;
  let instanceId: string | undefined;
  let extraCaPem: string | undefined;
  if (config !== undefined) {
    config.only(CONFIG_KEYS);
    serverUrl = config.optionalString('serverUrl') ?? serverUrl;
    const platform = config.optionalString('platform');
    if (platform !== undefined && !PLATFORMS.includes(platform.toLowerCase())) {
      refuse(6017, `initSDK: config.platform: unknown platform (expected ${PLATFORMS.slice(0, -1).join(', ')} or web)`);
    }
    instanceId = config.optionalString('instanceId');
    extraCaPem = config.optionalString('extraCaPem');
    allowCleartext = config.optionalBool('allowCleartext') ?? false;
    for (const name of Object.keys(durations)) {
      const value = config.optionalUnsigned(name);
      if (value !== undefined) durations[name] = value;
    }
  }
  const rest = serverUrl.startsWith('ws://') ? serverUrl.slice(5) : serverUrl.startsWith('wss://') ? serverUrl.slice(6) : undefined;
  if (rest === undefined) refuse(6017, `serverUrl must start with ws:// or wss://, not ${JSON.stringify(serverUrl)}`);
  if (rest === '' || rest?.startsWith('/')) refuse(6017, `serverUrl has no host: ${JSON.stringify(serverUrl)}`);
  const tls = serverUrl.startsWith('wss://');
  if (!tls && !allowCleartext && !isLocalHost(hostOf(rest ?? ''))) {
    refuse(6017, `serverUrl ${JSON.stringify(serverUrl)}: ws:// sends the UserSig in clear text, so it is only for loopback and private-network addresses; use wss://, or set allowCleartext to true to allow it to this host`);
  }
  if (instanceId !== undefined) {
    if (instanceId === '') refuse(6017, 'instanceId: instance id is empty');
    if (instanceId.length > 64) refuse(6017, 'instanceId: instance id is longer than 64 bytes');
    if (!/^[A-Za-z0-9_-]+$/.test(instanceId)) refuse(6017, "instanceId: instance id may only hold letters, digits, '_' and '-'");
  }
  for (const name of ['connectTimeoutMs', 'requestTimeoutMs', 'heartbeatIntervalMs', 'reconnectMinMs']) {
    if (durations[name] === 0) refuse(6017, `${name.replace(/Ms$/, '')} must be more than zero`);
  }
  if ((durations.reconnectMaxMs ?? 0) < (durations.reconnectMinMs ?? 0)) refuse(6017, 'reconnectMax must not be less than reconnectMin');
  if (tls && extraCaPem !== undefined) checkPem(extraCaPem);
}

/** A turn of the promise queue: the login's steps, in order, without timers. */
const turn = () => Promise.resolve();

/** One mocked SDK instance, as one native bridge is. */
function mockTransport(): NativeTransport {
  let app: number | undefined;
  let status: 1 | 2 | 3 = 3;
  let user = '';
  /** The account being logged in or logged in, and the pending login's callers. */
  let account: { user: string; waiters: Array<(answer: Answer) => void>; attempt: number } | undefined;
  let attempts = 0;
  let onEvent: (json: string) => void = () => {};
  const emit = (type: string, data: unknown = null) => onEvent(JSON.stringify({ type, data }));
  const loggedOut = () => {
    status = 3;
    user = '';
  };
  /** Answers the pending login's callers and forgets the account. */
  const end = (answer: Answer) => {
    account?.waiters.splice(0).forEach((reply) => reply(answer));
    account = undefined;
    loggedOut();
  };
  const emitter = (json: string) => {
    const { type } = JSON.parse(json) as { type: string };
    if (type === 'onKickedOffline' || type === 'onUserSigExpired') {
      end({ code: type === 'onKickedOffline' ? 6208 : 6206, desc: 'logged out' });
    }
    onEvent(json);
  };
  emitters.add(emitter);
  const initialised = () => {
    if (app === undefined) refuse(6013, 'the SDK is not initialised: call initSDK first');
  };

  async function login(userID: string, userSig: string): Promise<Answer> {
    if (account?.user === userID) {
      if (status === 2) return new Promise((reply) => account?.waiters.push(reply));
      return ok();
    }
    end({ code: 6023, desc: `the login as ${account?.user ?? ''} was superseded by a login as ${userID}` });
    const attempt = ++attempts;
    const answer = new Promise<Answer>((reply) => (account = { user: userID, waiters: [reply], attempt }));
    status = 2;
    const current = () => account?.attempt === attempt;
    await turn();
    if (current()) emit('onConnecting');
    await turn();
    if (current() && userSig === '') {
      // The server is reached, and refuses the ticket: logged out after the event, as the core.
      emit('onConnectSuccess');
      end({ code: 70002, desc: 'UserSig is empty' });
    } else if (current()) {
      // Logged in before the event, as the core publishes its status before emitting it.
      status = 1;
      user = userID;
      emit('onConnectSuccess');
      account?.waiters.splice(0).forEach((reply) => reply(ok()));
    }
    return answer;
  }

  const methods: Record<string, (params: Reader) => Answer | Promise<Answer>> = {
    initSDK(params) {
      params.only(['sdkAppID', 'logLevel', 'config']);
      const sdkAppID = params.unsigned('sdkAppID');
      const logLevel = params.unsigned('logLevel');
      if (![0, 3, 4, 5, 6].includes(logLevel)) refuse(6017, `initSDK: parameter logLevel must be 0, 3, 4, 5 or 6, got ${logLevel}`);
      const config = params.object('config');
      if (sdkAppID === 0) refuse(6017, 'sdkAppID must be a positive number');
      checkConfig(config);
      if (app !== undefined && app !== sdkAppID) refuse(90101, `the SDK is initialised for app ${app}; call unInitSDK first`);
      app = sdkAppID;
      return ok(true);
    },
    unInitSDK(params) {
      params.only([]);
      app = undefined;
      end({ code: 7009, desc: 'interrupted by unInitSDK' });
      return ok();
    },
    login(params) {
      params.only(['userID', 'userSig']);
      const userID = params.string('userID');
      const userSig = params.string('userSig');
      initialised();
      if (!/^[\x21-\x7e]{1,32}$/.test(userID)) refuse(7003, 'the UserID must be 1 to 32 bytes of visible ASCII');
      return login(userID, userSig);
    },
    logout(params) {
      params.only([]);
      initialised();
      end({ code: 6023, desc: 'logout called before the login finished' });
      return ok();
    },
    getLoginUser(params) {
      params.only([]);
      initialised();
      return ok(user);
    },
    getLoginStatus(params) {
      params.only([]);
      initialised();
      return ok(status);
    },
    getVersion(params) {
      params.only([]);
      return ok('mock');
    },
    getServerTime(params) {
      params.only([]);
      initialised();
      return status === 1 ? ok(Math.floor(Date.now() / 1000)) : refuse(6014, 'getServerTime needs a login');
    },
    callExperimentalAPI(params) {
      params.only(['api', 'param']);
      const api = params.string('api');
      return api === 'networkChanged' ? ok() : refuse(6017, `callExperimentalAPI: unknown api ${JSON.stringify(api)} (known: networkChanged)`);
    },
  };

  return {
    subscribe(listener) {
      onEvent = listener;
    },
    release() {
      emitters.delete(emitter);
    },
    async call(method, paramsJson) {
      let answer: Answer;
      try {
        const parsed = JSON.parse(paramsJson === '' ? 'null' : paramsJson) as unknown;
        if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
          refuse(6017, `${method}: parameters must be a JSON object, not ${kind(parsed)}`);
        }
        const run = methods[method] ?? refuse(6017, `unknown method ${JSON.stringify(method)} (known: ${Object.keys(methods).join(', ')})`);
        answer = await run(new Reader(method, (parsed ?? {}) as Params));
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        answer = { code: e.code, desc: e.desc };
      }
      return JSON.stringify(answer);
    },
  };
}

/**
 * Plays an SDK event to every mocked manager's listeners: `type` is a listener method's name,
 * `data` is `{code, desc}` for `onConnectFailed`. `onKickedOffline` and `onUserSigExpired` log
 * the mock out first, as the SDK is logged out when it emits them.
 */
export function mockEmit(type: string, data: unknown = null): void {
  const json = JSON.stringify({ type, data });
  emitters.forEach((emit) => emit(json));
}

/** A mocked manager of its own (a second device), as the Node entry offers. */
export function createV2TIMManager(): V2TIMManager {
  return new V2TIMManager(mockTransport);
}

/** The mocked plugin object. */
export const TencentImSDKPlugin = {
  v2TIMManager: createV2TIMManager(),
};
