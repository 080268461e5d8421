// Every failure resolves JSON with its code; nothing throws or stays pending (except a constructor
// given no function: a programming error, thrown synchronously).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Device, KEY, NativeBridge, startServer, ticket, within } from "../support/harness.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

async function loggingIn(userSig, userID = "carol") {
  const device = new Device();
  assert.equal((await device.init(server.url)).code, 0);
  const answer = await device.call("login", { userID, userSig });
  device.bridge.destroy();
  return answer;
}

test("a ticket signed with the wrong key answers 70009", async () => {
  const answer = await loggingIn(ticket("carol", { key: `${KEY}-wrong` }));
  assert.equal(answer.code, 70009, JSON.stringify(answer));
});

test("an expired ticket answers 70001", async () => {
  const time = Math.floor(Date.now() / 1000) - 3600;
  const answer = await loggingIn(ticket("carol", { time, expire: 60 }));
  assert.equal(answer.code, 70001, JSON.stringify(answer));
});

test("a wrong type inside the parameters answers 6017 from the bridge", async () => {
  const device = new Device();
  await device.init(server.url);
  const answer = await device.call("login", { userID: 42, userSig: "x" });
  assert.equal(answer.code, 6017);
  assert.match(answer.desc, /userID/);
  device.bridge.destroy();
});

test("non-string arguments to call answer 6017 instead of throwing", async () => {
  const bridge = new NativeBridge(() => {});
  const calls = [
    [1, null, /method must be a string, got number/],
    ["login", { userID: "a" }, /paramsJson must be a string, got object/],
    [undefined, "{}", /method must be a string, got undefined/],
  ];
  for (const [method, params, desc] of calls) {
    const answer = JSON.parse(await within(bridge.call(method, params), "a 6017 answer"));
    assert.equal(answer.code, 6017);
    assert.match(answer.desc, desc);
  }
  const missing = JSON.parse(await bridge.call("getVersion"));
  assert.equal(missing.code, 6017);
  bridge.destroy();
});

test("a call after destroy answers 6013, and destroy twice is harmless", async () => {
  const bridge = new NativeBridge(() => {});
  bridge.destroy();
  bridge.destroy();
  assert.equal(JSON.parse(await bridge.call("getVersion", "{}")).code, 6013);
});

test("the constructor throws without a function", () => {
  const notAFunction = { code: "InvalidArg", message: /Expect value to be Function/ };
  assert.throws(() => new NativeBridge(1), notAFunction);
  assert.throws(() => new NativeBridge(), notAFunction);
});
