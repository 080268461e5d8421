// Interop with Tencent's official Node signing library (npm tls-sig-api-v2, pinned in package.json):
// tickets it makes verify with our CLI, and tickets our CLI makes are what it makes.
// Run by ./run.sh (or `TIM_USERSIG_BIN=... node --test official.test.mjs` after `npm ci`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2');

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.TIM_USERSIG_BIN ?? resolve(here, '../../../target/debug/tim-usersig');

const APP = 1400000000;
const KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
const T = 1600000000;

const USERS = [
  'xiaojun',
  'alice_01',
  'A-Z-a-z-0-9',
  'user@example.com',
  'x'.repeat(32),
  'with space',
  'quote"and\\backslash',
  '张三',
];
const EXPIRES = [1, 86400, 15552000];
const USERBUFS = [null, 'abc', 'room 1234 ✓'];

function cases() {
  const all = [];
  for (const user of USERS) {
    for (const [i, expire] of EXPIRES.entries()) {
      all.push({ user, expire, userbuf: USERBUFS[(USERS.indexOf(user) + i) % USERBUFS.length] });
    }
  }
  return all;
}

/** Runs fn with Date.now fixed at unix second `seconds` (plus a fraction the library must floor). */
function atClock(seconds, fn) {
  const realNow = Date.now;
  Date.now = () => seconds * 1000 + 789;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

function officialTicket(key, { user, expire, userbuf }, time = T) {
  const api = new TLSSigAPIv2.Api(APP, key);
  return atClock(time, () => (userbuf === null ? api.genUserSig(user, expire) : api.genSig(user, expire, userbuf)));
}

/** The official library's own decoding: undo the alphabet, inflate, parse. */
function officialDecode(ticket) {
  const b64 = ticket.replace(/_/g, '=').replace(/-/g, '/').replace(/\*/g, '+');
  return zlib.inflateSync(Buffer.from(b64, 'base64')).toString('utf8');
}

function cli(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliVerify(ticket, { user, keys = [KEY], now = T + 1, app = APP }) {
  const keyArgs = keys.flatMap((k) => ['--key', k]);
  return cli(['verify', '--sdkappid', String(app), ...keyArgs, '--user', user, '--time', String(now), '--', ticket]);
}

function cliGen(key, { user, expire, userbuf }, time = T) {
  const args = ['gen', '--sdkappid', String(APP), '--key', key, '--user', user, '--expire', String(expire), '--time', String(time)];
  if (userbuf !== null) args.push('--userbuf', userbuf);
  const r = cli(args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[A-Za-z0-9*_-]+\n$/);
  return r.stdout.trimEnd();
}

test('the CLI binary exists', () => {
  const r = cli(['--version']);
  assert.equal(r.status, 0, `${BIN}: ${r.stderr}`);
});

test('the official library reproduces the test vector', () => {
  const doc = JSON.parse(officialDecode(officialTicket(KEY, { user: 'xiaojun', expire: 15552000, userbuf: null })));
  assert.equal(doc['TLS.sig'], '1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M=');
  assert.equal(doc['TLS.time'], T);
});

test('official tickets verify with our CLI', () => {
  for (const c of cases()) {
    const ticket = officialTicket(KEY, c);
    assert.deepEqual(cliVerify(ticket, { user: c.user }), { status: 0, stdout: 'ok\n', stderr: '' }, JSON.stringify(c));
    // Last valid second, then expired.
    assert.equal(cliVerify(ticket, { user: c.user, now: T + c.expire }).stdout, 'ok\n');
    assert.match(cliVerify(ticket, { user: c.user, now: T + c.expire + 1 }).stdout, /^70001 /);
    // Wrong key, other user, other app.
    assert.match(cliVerify(ticket, { user: c.user, keys: ['wrong'] }).stdout, /^70009 /);
    assert.match(cliVerify(ticket, { user: c.user + 'x' }).stdout, /^70013 /);
    assert.match(cliVerify(ticket, { user: c.user, app: APP + 1 }).stdout, /^70014 /);
  }
});

test('official PrivateMapKey tickets (binary userbuf) verify with our CLI', () => {
  const api = new TLSSigAPIv2.Api(APP, KEY);
  const tickets = atClock(T, () => [
    api.genPrivateMapKey('xiaojun', 300, 10000, 255),
    api.genPrivateMapKeyWithStringRoomID('xiaojun', 300, '1000000040', 42),
  ]);
  for (const ticket of tickets) {
    assert.ok(JSON.parse(officialDecode(ticket))['TLS.userbuf']);
    assert.equal(cliVerify(ticket, { user: 'xiaojun' }).stdout, 'ok\n');
  }
});

test('official tickets verify during a key rotation', () => {
  const c = { user: 'rotating', expire: 86400, userbuf: null };
  const oldTicket = officialTicket('old key', c);
  const newTicket = officialTicket('new clé ✓', c);
  for (const ticket of [oldTicket, newTicket]) {
    assert.equal(cliVerify(ticket, { user: c.user, keys: ['old key', 'new clé ✓'] }).stdout, 'ok\n');
  }
  assert.match(cliVerify(oldTicket, { user: c.user, keys: ['new clé ✓'] }).stdout, /^70009 /);
});

test('our tickets decode under the official library and carry its signature', () => {
  const api = new TLSSigAPIv2.Api(APP, KEY);
  for (const c of cases()) {
    const oursJson = officialDecode(cliGen(KEY, c));
    const ours = JSON.parse(oursJson);
    const b64UserBuf = c.userbuf === null ? null : Buffer.from(c.userbuf).toString('base64');
    assert.equal(ours['TLS.sig'], api._hmacsha256(c.user, T, c.expire, b64UserBuf), JSON.stringify(c));
    // The whole document, field by field and byte for byte, is what the official library writes.
    const officialJson = officialDecode(officialTicket(KEY, c));
    assert.deepEqual(ours, JSON.parse(officialJson));
    assert.equal(oursJson, officialJson);
  }
});
