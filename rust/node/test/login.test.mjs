// Logging in through the addon against the real tim-server, and an event crossing to JavaScript.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Device, startServer, ticket } from "../support/harness.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

test("login succeeds and the status and user follow", async () => {
  const device = new Device();
  assert.deepEqual(await device.init(server.url), { code: 0, desc: "ok", data: true });
  assert.deepEqual(await device.call("getLoginStatus"), { code: 0, desc: "ok", data: 3 });
  assert.deepEqual(await device.call("login", { userID: "alice", userSig: ticket("alice") }), {
    code: 0,
    desc: "ok",
  });
  // One ordered channel: the login's events were handed to the callback before its answer.
  assert.deepEqual(
    device.events.map((e) => e.type),
    ["onConnecting", "onConnectSuccess"],
  );
  assert.equal((await device.call("getLoginStatus")).data, 1);
  assert.equal((await device.call("getLoginUser")).data, "alice");
  assert.equal((await device.call("logout")).code, 0);
  assert.equal((await device.call("unInitSDK")).code, 0);
  device.bridge.destroy();
});

test("a second device of the same user kicks the first, and the event reaches JavaScript", async () => {
  const [first, second] = [new Device(), new Device()];
  for (const device of [first, second]) {
    assert.equal((await device.init(server.url)).code, 0);
    assert.equal((await device.call("login", { userID: "bob", userSig: ticket("bob") })).code, 0);
  }
  assert.deepEqual(await first.event("onKickedOffline"), { type: "onKickedOffline", data: null });
  assert.equal((await first.call("getLoginStatus")).data, 3);
  assert.equal((await second.call("getLoginStatus")).data, 1);
  assert.ok(!second.events.some((e) => e.type === "onKickedOffline"));
  first.bridge.destroy();
  second.bridge.destroy();
});
