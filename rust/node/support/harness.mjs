// What the addon's tests and benchmark share: the real tim-server on a free port and tickets from
// the real tim-usersig (the project's one JavaScript helper for both, test/support/server.mjs),
// and a Device (one NativeBridge) whose events can be awaited. test.sh builds the binaries first.
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export { APP, KEY, startServer, sign as ticket } from "../../../test/support/server.mjs";
import { APP } from "../../../test/support/server.mjs";

export const NODE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The addon, as build.sh leaves it. */
export const { NativeBridge } = createRequire(import.meta.url)(join(NODE_DIR, "tim_node.node"));

/** How long anything awaited may take before a test fails instead of hanging. */
export const WAIT_MS = 10_000;

/** Rejects with `what` if `promise` has not settled within WAIT_MS. */
export function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One SDK instance: calls take and give parsed JSON; events are queued until awaited. */
export class Device {
  events = [];
  #waiters = [];

  constructor() {
    this.bridge = new NativeBridge((eventJson) => {
      this.events.push(JSON.parse(eventJson));
      this.#waiters = this.#waiters.filter((check) => !check());
    });
  }

  async call(method, params = {}) {
    return JSON.parse(await this.bridge.call(method, JSON.stringify(params)));
  }

  init(url) {
    return this.call("initSDK", { sdkAppID: APP, logLevel: 0, config: { serverUrl: url } });
  }

  /** Resolves the first event named `type` (received before or after this call). */
  event(type) {
    return within(
      new Promise((done) => {
        const check = () => {
          const found = this.events.find((e) => e.type === type);
          if (found) done(found);
          return found !== undefined;
        };
        if (!check()) this.#waiters.push(check);
      }),
      `event ${type}`,
    );
  }
}
