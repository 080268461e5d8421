// Answers and events reach JavaScript in the order the core produced them. The core publishes a
// status with the event that announces it (logged in with onConnectSuccess, logged out with
// onKickedOffline) and queues a status answer in the same step as its read, so every
// getLoginStatus answer must agree with the last event JavaScript saw before it: status 1 after
// onKickedOffline, or 2 after onConnectSuccess, is an answer that overtook an event or was
// overtaken by one. Calls are kept in flight all along, so that answers and events are pending
// together whenever the JavaScript thread picks them up: were answers to take a path of their
// own (napi's deferred settles through a thread-safe function of its own) or to settle within
// one batch of the channel, they would come out of order.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { APP, Device, NativeBridge, startServer, ticket, within } from "../support/harness.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

const ROUNDS = 20;

/** The statuses a getLoginStatus answer may hold after `lastEvent`, given whether a login was
 * asked for since that event. */
function allowed(lastEvent, loginAsked) {
  switch (lastEvent) {
    case "onConnecting":
      return [2];
    case "onConnectSuccess":
      return [1];
    default: // none yet, or onKickedOffline: logged out, or logging in once a login was asked for
      return loginAsked ? [3, 2] : [3];
  }
}

test("status answers, login answers and events keep the core's order through logins and kicks", async () => {
  const log = [];
  const disorder = [];
  let lastEvent = null;
  let loginAsked = false;
  let kicked = () => {};
  const bridge = new NativeBridge((json) => {
    const { type } = JSON.parse(json);
    lastEvent = type;
    loginAsked = false;
    log.push(type);
    if (type === "onKickedOffline") kicked();
  });
  const call = async (method, params = {}) =>
    JSON.parse(await bridge.call(method, JSON.stringify(params)));
  const config = { serverUrl: server.url };
  assert.equal((await call("initSDK", { sdkAppID: APP, logLevel: 0, config })).code, 0);

  let polling = true;
  let answered = 0;
  const poll = async () => {
    while (polling) {
      const { data } = await call("getLoginStatus");
      answered += 1;
      log.push(`status ${data}`);
      if (!allowed(lastEvent, loginAsked).includes(data)) {
        disorder.push(`status ${data} after ${lastEvent} (entry ${log.length - 1})`);
      }
    }
  };
  const pollers = Array.from({ length: 64 }, poll);

  const other = new Device();
  const rounds = async () => {
    assert.equal((await other.init(server.url)).code, 0);
    for (let round = 0; round < ROUNDS; round += 1) {
      const kick = new Promise((done) => {
        kicked = done;
      });
      loginAsked = true;
      const login = await call("login", { userID: "erin", userSig: ticket("erin") });
      assert.equal(login.code, 0, JSON.stringify(login));
      // Its answer comes behind its own events.
      assert.equal(lastEvent, "onConnectSuccess", `login answered after ${lastEvent}`);
      const kicker = await other.call("login", { userID: "erin", userSig: ticket("erin") });
      assert.equal(kicker.code, 0, JSON.stringify(kicker));
      await within(kick, `round ${round}'s onKickedOffline`);
    }
  };
  try {
    await rounds();
  } finally {
    polling = false;
    await Promise.all(pollers);
    other.bridge.destroy();
    bridge.destroy();
  }
  assert.deepEqual(disorder, [], log.slice(-200).join(", "));
  assert.ok(answered > ROUNDS * 3, `only ${answered} status answers: they did not overlap the rounds`);
  assert.equal(log.filter((entry) => entry === "onKickedOffline").length, ROUNDS);
});
