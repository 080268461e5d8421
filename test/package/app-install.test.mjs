// The package as a new user gets it: the development tarball (npm pack, with prepack) installed
// with npm into a fresh copy of an app (fresh-app/: React Native's Jest preset and the README's
// one-line mock), whose own Jest suite must pass; then `require('react-native-tim-rs')` from that
// app on Node, logging in to a real tim-server through the prebuilt addon the tarball carries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { APP, sign, startServer } from '../support/server.mjs';
import { packDevTarball } from '../support/pack.mjs';

const run = promisify(execFile);
const fixture = path.resolve(import.meta.dirname, 'fresh-app');
// Offline from npm's cache when it holds everything (it does after the root's npm ci on the same
// React Native), from the registry otherwise.
const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
let work;
let app;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tim-app-'));
  app = path.join(work, 'app');
  cpSync(fixture, app, { recursive: true, filter: (src) => !src.includes('node_modules') });
  const tarball = packDevTarball(work);
  await run('npm', ['ci', ...npmFlags], { cwd: app });
  await run('npm', ['install', '--no-save', ...npmFlags, tarball], { cwd: app });
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the app's own Jest suite passes with the package installed from the tarball", async () => {
  const { stderr } = await run('npx', ['jest', '--ci'], { cwd: app, env: { ...process.env, CI: '1' } });
  assert.match(stderr, /Tests:\s+3 passed, 3 total/);
});

test("require('react-native-tim-rs') from the installed app logs in on Node", async () => {
  const server = await startServer();
  try {
    const script = `
      const { TencentImSDKPlugin, LogLevelEnum } = require('react-native-tim-rs');
      const manager = TencentImSDKPlugin.v2TIMManager;
      (async () => {
        const init = await manager.initSDK(${APP}, LogLevelEnum.V2TIM_LOG_NONE, {}, { serverUrl: process.env.URL });
        const login = await manager.login('alice', process.env.TICKET);
        const user = await manager.getLoginUser();
        await manager.logout();
        await manager.unInitSDK();
        console.log(JSON.stringify({ resolved: require.resolve('react-native-tim-rs'), init, login, user }));
      })();`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: app,
      env: { ...process.env, URL: server.url, TICKET: sign('alice') },
    });
    const answer = JSON.parse(stdout);
    assert.equal(answer.resolved, path.join(app, 'node_modules', 'react-native-tim-rs', 'lib', 'node.js'));
    assert.equal(answer.init.code, 0);
    assert.deepEqual(answer.login, { code: 0, desc: 'ok' });
    assert.equal(answer.user.data, 'alice');
  } finally {
    await server.stop();
  }
});
