// What the addon's tests and benchmark share: the real tim-server on a free port, tickets from the
// real tim-usersig, and a Device (one NativeBridge) whose events can be awaited.
// Binaries come from $CARGO_TARGET_DIR/debug (default target/debug), as cargo resolves it; test.sh
// builds them first.
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(NODE_DIR, "../..");
const BIN = join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target"), "debug");

/** The addon, as build.sh leaves it. */
export const { NativeBridge } = createRequire(import.meta.url)(join(NODE_DIR, "tim_node.node"));

export const APP = 1400000000;
export const KEY = "node-test-key";
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

/** Starts tim-server on 127.0.0.1:0; resolves `{url, stop()}` once it prints its address. */
export async function startServer() {
  const child = spawn(join(BIN, "tim-server"), ["--listen", "127.0.0.1:0", "--app", `${APP}:${KEY}`], {
    stdio: ["ignore", "pipe", "inherit"],
    // Warnings only, unless asked: its info lines would bury the test report.
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const exited = new Promise((done) => child.once("exit", done));
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((done, fail) => {
    lines.once("line", done);
    child.once("error", fail);
    exited.then((code) => fail(new Error(`tim-server exited (${code}) before listening`)));
  });
  const line = await within(first, "tim-server to listen");
  const url = /^listening on (ws:\/\/\S+)$/.exec(line)?.[1];
  if (!url) throw new Error(`unexpected first line from tim-server: ${line}`);
  lines.on("line", () => {}); // keep draining stdout
  return {
    url,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

/** A ticket for `user` from the tim-usersig CLI; `key`, `expire` and `time` override defaults. */
export function ticket(user, { key = KEY, expire, time } = {}) {
  const args = ["gen", "--sdkappid", String(APP), "--key", key, "--user", user];
  if (expire !== undefined) args.push("--expire", String(expire));
  if (time !== undefined) args.push("--time", String(time));
  return execFileSync(join(BIN, "tim-usersig"), args, { encoding: "utf8" }).trim();
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
