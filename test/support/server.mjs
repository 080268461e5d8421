// Starting tim-server and signing tickets for every JavaScript test, benchmark and the demo (the
// package's tests, the addon's, scripts/demo.mjs), through the project's own command-line tools
// (the contracts in the README): no fixed ports, no sleeps.
import { spawn, execFileSync } from 'node:child_process';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
/** Binaries from $TIM_BIN_DIR, else cargo's debug folder ($CARGO_TARGET_DIR or target/). */
const bin = (name) =>
  path.join(process.env.TIM_BIN_DIR ?? path.join(path.resolve(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target')), 'debug'), name);

export const APP = 1400000000;
export const KEY = 'node-test-development-key';

/** Signs a ticket with `tim-usersig`; `expire` in seconds, `time` defaults to now. */
export function sign(user, { expire = 86400, time, key = KEY } = {}) {
  const args = ['gen', '--sdkappid', String(APP), '--key', key, '--user', user, '--expire', String(expire)];
  if (time !== undefined) args.push('--time', String(time));
  return execFileSync(bin('tim-usersig'), args, { encoding: 'utf8' }).trim();
}

/**
 * Starts `tim-server` on a free loopback port, with `args` after the app, and resolves once it
 * prints its listening line. It keeps nothing (`--ephemeral`) unless `args` name a `--data`
 * folder. `stop()` sends SIGTERM and waits for the exit; `kill()` sends SIGKILL.
 */
export async function startServer(args = []) {
  const keeps = args.includes('--data') ? [] : ['--ephemeral'];
  const child = spawn(bin('tim-server'), ['--listen', '127.0.0.1:0', '--app', `${APP}:${KEY}`, ...keeps, ...args], {
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

/**
 * A TCP proxy on a free loopback port in front of `upstream` (`host:port`). Clients keep its
 * `url` as they keep a server's name, so a test restarts a server behind it (`setUpstream`)
 * instead of winning back a port the OS may have handed out meanwhile. New connections go to
 * the current upstream; a connection whose upstream ends is closed.
 */
export async function startProxy(upstream) {
  let target = upstream;
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const [host, port] = target.split(':');
    const server = net.connect(Number(port), host);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(server).on('close', () => client.destroy());
    server.pipe(client);
    server.on('close', () => client.destroy());
    client.on('close', () => server.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address();
  return {
    url: `ws://127.0.0.1:${port}`,
    setUpstream(address) {
      target = address;
    },
    async close() {
      sockets.forEach((socket) => socket.destroy());
      proxy.close();
      await once(proxy, 'close');
    },
  };
}

/** A `ws://` URL of a loopback port that nothing listens on: bound, then closed. */
export async function closedPortUrl() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return `ws://127.0.0.1:${port}`;
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
  };
}
