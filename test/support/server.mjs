// Starting tim-server and signing tickets for the Node tests and the demo, through the project's
// own command-line tools (the contracts in the README): no fixed ports, no sleeps.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = (name) => path.join(process.env.TIM_BIN_DIR ?? path.join(root, 'target', 'debug'), name);

export const APP = 1400000000;
export const KEY = 'node-test-development-key';

/** Signs a ticket with `tim-usersig`; `expire` in seconds, `time` defaults to now. */
export function sign(user, { expire = 86400, time, key = KEY } = {}) {
  const args = ['gen', '--sdkappid', String(APP), '--key', key, '--user', user, '--expire', String(expire)];
  if (time !== undefined) args.push('--time', String(time));
  return execFileSync(bin('tim-usersig'), args, { encoding: 'utf8' }).trim();
}

/**
 * Starts `tim-server` on `listen` (a free loopback port by default), with `args` after the app,
 * and resolves once it prints its listening line. `stop()` sends SIGTERM and waits for the exit;
 * `kill()` sends SIGKILL.
 */
export async function startServer(listen = '127.0.0.1:0', args = []) {
  const child = spawn(bin('tim-server'), ['--listen', listen, '--app', `${APP}:${KEY}`, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`tim-server exited with ${code} before listening`);
    }),
  ]);
  const url = line.replace(/^listening on /, '');
  const exited = once(child, 'exit');
  return {
    url,
    address: url.replace(/^wss?:\/\//, ''),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Collects a manager's SDK events; `next(name)` resolves at the next event of that name. */
export function eventRecorder() {
  const seen = [];
  const waiting = [];
  const record = (type, args) => {
    seen.push({ type, args });
    for (const w of waiting.filter((w) => w.type === type)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(args);
    }
  };
  const listener = {
    onConnecting: () => record('onConnecting', []),
    onConnectSuccess: () => record('onConnectSuccess', []),
    onConnectFailed: (code, desc) => record('onConnectFailed', [code, desc]),
    onKickedOffline: () => record('onKickedOffline', []),
    onUserSigExpired: () => record('onUserSigExpired', []),
  };
  const next = (type) => new Promise((resolve) => waiting.push({ type, resolve }));
  return {
    listener,
    seen,
    next,
    /** Resolves once an event of that name has arrived: events and call results travel apart. */
    arrived: (type) => {
      const earlier = seen.find((e) => e.type === type);
      return earlier ? Promise.resolve(earlier.args) : next(type);
    },
  };
}
