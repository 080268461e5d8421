// Cost of one round trip through N-API: bridge.call("getLoginStatus") -> promise resolved, awaited
// one after another, while logged in to a real tim-server. The answer is local state, so this
// measures the glue (argument marshalling, the core runtime hop, the thread-safe resolution back to
// the JavaScript thread), not the network.
//   rust/node/build.sh --release && cargo build -p tim-server -p tim-usersig
//   node rust/node/bench/roundtrip.mjs [CALLS]        (default 100000)
import assert from "node:assert/strict";
import { APP, NativeBridge, startServer, ticket } from "../support/harness.mjs";

const calls = Number(process.argv[2] ?? 100_000);
const server = await startServer();
const bridge = new NativeBridge(() => {});
const ask = async (method, params = {}) => JSON.parse(await bridge.call(method, JSON.stringify(params)));
assert.equal((await ask("initSDK", { sdkAppID: APP, logLevel: 0, config: { serverUrl: server.url } })).code, 0);
assert.equal((await ask("login", { userID: "bench", userSig: ticket("bench") })).code, 0);

const expected = JSON.stringify({ code: 0, data: 1, desc: "ok" });
async function run(n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const answer = await bridge.call("getLoginStatus", "{}");
    if (answer !== expected) throw new Error(`unexpected answer ${answer}`);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}
await run(Math.min(calls, 10_000)); // warm up: JIT, allocator, runtime threads
const micros = await run(calls);
console.log(`getLoginStatus round trip: ${micros.toFixed(2)} µs/call (${calls} sequential awaits)`);

await ask("logout");
await ask("unInitSDK");
bridge.destroy();
await server.stop();
