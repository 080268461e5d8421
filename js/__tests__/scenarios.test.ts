/**
 * The scenario table (test/scenarios.json) against the Jest mock. test/node/scenarios.test.mjs
 * runs the same table against the real package on Node and a real tim-server: the mock answers
 * what the core answers, and makes the same events heard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createV2TIMManager, mockEmit, type V2TIMManager, type V2TimSDKListener } from '../jest';

type Step = [string, unknown[], { code?: number; data?: unknown; events?: string[] }];
const table = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/scenarios.json'), 'utf8')) as {
  scenarios: Array<{ name: string; steps: Step[] }>;
};

/** The mock's server: any loopback URL (the mock never connects). */
const SERVER_URL = 'ws://127.0.0.1:7311';

/** Placeholders: any non-empty ticket is valid to the mock. */
function argument(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'ticket' in value) return `ticket-of-${String(value.ticket)}`;
  if (typeof value === 'object' && value !== null && 'config' in value) {
    return { serverUrl: SERVER_URL, ...(value.config === true ? {} : (value.config as object)) };
  }
  return value === null ? undefined : value;
}

describe.each(table.scenarios)('$name', ({ steps }) => {
  it('answers as the core does and makes the same events heard', async () => {
    const manager = createV2TIMManager();
    const heard: string[] = [];
    const names = ['onConnecting', 'onConnectSuccess', 'onConnectFailed', 'onKickedOffline', 'onUserSigExpired'] as const;
    const listener: V2TimSDKListener = Object.fromEntries(names.map((name) => [name, () => heard.push(name)]));
    manager.addSDKListener(listener);
    const call = (method: string, args: unknown[]) =>
      (manager[method as keyof V2TIMManager] as (...a: unknown[]) => Promise<{ code: number; data?: unknown }>).apply(manager, args);
    for (const [method, args, { events = [], ...expected }] of steps) {
      heard.length = 0;
      let result = {};
      if (method === '$kick') {
        mockEmit('onKickedOffline');
      } else {
        result = await call(method, args.map(argument));
      }
      expect({ step: method, args, ...result, events: heard }).toMatchObject({ step: method, args, ...expected, events });
    }
    await manager.unInitSDK();
  });
});
