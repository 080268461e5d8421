/**
 * The scenario table (test/scenarios.json) against the Jest mock. test/node/scenarios.test.mjs
 * runs the same table against the real package on Node: the mock answers what the core answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createV2TIMManager, mockEmit, type V2TIMManager } from '../jest';

type Step = [string, unknown[], { code?: number; data?: unknown }];
const table = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/scenarios.json'), 'utf8')) as {
  scenarios: Array<{ name: string; steps: Step[] }>;
};

/** Placeholders: any non-empty ticket is valid to the mock; the mock needs no config. */
function argument(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'ticket' in value) return `ticket-of-${String(value.ticket)}`;
  if (typeof value === 'object' && value !== null && 'config' in value) return undefined;
  return value === null ? undefined : value;
}

describe.each(table.scenarios)('$name', ({ steps }) => {
  it('answers as the core does', async () => {
    const manager = createV2TIMManager();
    const kicked = jest.fn();
    manager.addSDKListener({ onKickedOffline: kicked });
    const call = (method: string, args: unknown[]) =>
      (manager[method as keyof V2TIMManager] as (...a: unknown[]) => Promise<{ code: number; data?: unknown }>).apply(manager, args);
    for (const [method, args, expected] of steps) {
      if (method === '$kick') {
        mockEmit('onKickedOffline');
        expect(kicked).toHaveBeenCalledTimes(1);
        continue;
      }
      const result = await call(method, args.map(argument));
      expect({ step: method, args, ...result }).toMatchObject({ step: method, args, ...expected });
    }
    await manager.unInitSDK();
  });
});
