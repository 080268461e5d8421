// The scenario table (test/scenarios.json) against the real package on Node and a real
// tim-server. js/__tests__/scenarios.test.ts runs the same table against the Jest mock, so the
// mock answers what the core answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { APP, sign, startServer, eventRecorder } from '../support/server.mjs';

const require = createRequire(import.meta.url);
const { createV2TIMManager, LogLevelEnum } = require('../..');
const { scenarios } = JSON.parse(readFileSync(new URL('../scenarios.json', import.meta.url), 'utf8'));

const server = await startServer();
test.after(() => server.stop());

function argument(value) {
  if (value !== null && typeof value === 'object' && 'ticket' in value) return sign(value.ticket);
  if (value !== null && typeof value === 'object' && 'config' in value) {
    return { serverUrl: server.url, ...(value.config === true ? {} : value.config) };
  }
  return value === null ? undefined : value;
}

/** Another device logs in as `user`; resolves once this one heard onKickedOffline. */
async function kick(events, user) {
  const other = createV2TIMManager();
  const kicked = events.next('onKickedOffline');
  try {
    await other.initSDK(APP, LogLevelEnum.V2TIM_LOG_NONE, undefined, { serverUrl: server.url });
    assert.equal((await other.login(user, sign(user))).code, 0);
    await kicked;
  } finally {
    await other.unInitSDK();
  }
}

for (const { name, steps } of scenarios) {
  test(name, async () => {
    const manager = createV2TIMManager();
    const events = eventRecorder();
    manager.addSDKListener(events.listener);
    try {
      for (const [method, args, { events: heard = [], ...expected }] of steps) {
        events.seen.length = 0;
        let result = {};
        if (method === '$kick') {
          await kick(events, args[0]);
        } else {
          result = await manager[method](...args.map(argument));
        }
        const seen = Object.fromEntries(Object.keys(expected).map((key) => [key, result[key]]));
        assert.deepEqual(
          { step: method, args, ...seen, events: events.seen.map((e) => e.type) },
          { step: method, args, ...expected, events: heard },
          result.desc,
        );
      }
    } finally {
      await manager.unInitSDK();
    }
  });
}
