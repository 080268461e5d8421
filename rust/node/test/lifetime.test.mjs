// The addon must not hold Node's event loop: a script that inits, logs in, logs out, unInits and
// returns (without destroy or process.exit) exits by itself.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NODE_DIR, WAIT_MS, startServer, ticket } from "../support/harness.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

test("a script that unInits and returns exits by itself", async () => {
  const script = join(NODE_DIR, "support", "exit-child.mjs");
  const { code, signal, stdout } = await new Promise((done) => {
    const child = execFile(
      process.execPath,
      [script, server.url, ticket("dave")],
      { timeout: WAIT_MS, killSignal: "SIGKILL" },
      (error, stdout) => done({ code: error?.code ?? 0, signal: error?.signal ?? null, stdout }),
    );
    child.stderr.pipe(process.stderr);
  });
  assert.equal(signal, null, "the script did not exit by itself (killed after the timeout)");
  assert.equal(code, 0);
  assert.deepEqual(stdout.trim().split("\n"), ["initSDK 0", "login 0", "logout 0", "unInitSDK 0"]);
});
