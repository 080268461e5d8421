// The demo's story, told through the public JavaScript API on Node (the same TencentImSDKPlugin
// a React Native app imports), against a tim-server on a free loopback port:
// alice logs in, a second device of alice kicks the first, a ticket expires while online, the
// server is killed and restarted in the same data folder and the client comes back by itself, and
// alice logs out. The app's business server (scripts/demo-business.mjs) imports alice, hears each
// state change, reads the DAU (kept across the restart) and kicks her: a ticket signed before the
// kick is refused from then on.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP, sign, startServer, startProxy } from '../test/support/server.mjs';
import { startBusinessServer } from './demo-business.mjs';

const require = createRequire(import.meta.url);
const { createV2TIMManager, LogLevelEnum } = require('..');

const started = Date.now();
const say = (who, what) => console.log(`${String(Date.now() - started).padStart(6)} ms  ${who.padEnd(8)} ${what}`);
const show = (result) => JSON.stringify(result);

/** A listener that prints every event and lets the story wait for one. */
function listenerFor(who) {
  const waiting = new Map();
  const seen = (name, text) => {
    say(who, `⚡ ${name}${text ?? ''}`);
    waiting.get(name)?.();
    waiting.delete(name);
  };
  return {
    listener: {
      onConnecting: () => seen('onConnecting'),
      onConnectSuccess: () => seen('onConnectSuccess'),
      onConnectFailed: (code, desc) => seen('onConnectFailed', `(${code}, ${JSON.stringify(desc)})`),
      onKickedOffline: () => seen('onKickedOffline'),
      onUserSigExpired: () => seen('onUserSigExpired'),
    },
    next: (name) => new Promise((resolve) => waiting.set(name, resolve)),
  };
}

async function main() {
  const business = await startBusinessServer({ app: APP, adminSig: sign('administrator'), say });
  // The server keeps its accounts, kicks and figures in a data folder (tim-data by default);
  // the demo's is a temporary one.
  const data = mkdtempSync(join(tmpdir(), 'tim-demo-'));
  const serverArgs = ['--callback-url', business.callbackUrl, '--data', data];
  let server = await startServer(serverArgs);
  // Clients know the server by the proxy's address, as apps know it by name: the restart below
  // starts a new server behind it instead of racing for the old port.
  const address = await startProxy(server.address);
  say('server', `tim-server listening on ${server.url}, reached at ${address.url}`);
  business.useServer(server.url.replace(/^ws/, 'http'));
  await business.call('im_open_login_svc/account_import', { UserID: 'alice', Nick: 'Alice' });
  const signedEarly = sign('alice');
  const config = { serverUrl: address.url, reconnectMinMs: 200, reconnectMaxMs: 1000 };

  const phone = createV2TIMManager();
  const phoneEvents = listenerFor('phone');
  say('phone', `initSDK(${APP}) → ${show(await phone.initSDK(APP, LogLevelEnum.V2TIM_LOG_WARN, phoneEvents.listener, config))}`);
  const heard = business.nextCallback();
  say('phone', `login("alice") → ${show(await phone.login('alice', sign('alice')))}`);
  await heard;
  say('phone', `getLoginStatus() → ${show(await phone.getLoginStatus())}`);

  const tablet = createV2TIMManager();
  const tabletEvents = listenerFor('tablet');
  await tablet.initSDK(APP, LogLevelEnum.V2TIM_LOG_WARN, tabletEvents.listener, config);
  const kicked = phoneEvents.next('onKickedOffline');
  say('tablet', `login("alice") on a second device of the same platform → ${show(await tablet.login('alice', sign('alice')))}`);
  await kicked;
  say('phone', `getLoginStatus() → ${show(await phone.getLoginStatus())}`);

  const expired = phoneEvents.next('onUserSigExpired');
  say('phone', `login("bob") with a ticket valid for 2 seconds → ${show(await phone.login('bob', sign('bob', { expire: 2 })))}`);
  await expired;
  say('phone', `getLoginStatus() → ${show(await phone.getLoginStatus())}`);

  const failed = tabletEvents.next('onConnectFailed');
  say('server', 'killed');
  await server.kill();
  await failed;
  say('tablet', `getLoginStatus() while the server is down → ${show(await tablet.getLoginStatus())}`);
  const back = tabletEvents.next('onConnectSuccess');
  server = await startServer(serverArgs);
  address.setUpstream(server.address);
  say('server', `restarted on ${server.url}, behind ${address.url}`);
  business.useServer(server.url.replace(/^ws/, 'http'));
  await back;
  say('tablet', `getLoginUser() → ${show(await tablet.getLoginUser())}`);

  await business.call('openconfigsvr/getappinfo', { RequestField: ['ActiveUserNum', 'LoginTimes'] });
  const kickedByApp = tabletEvents.next('onKickedOffline');
  await business.call('im_open_login_svc/kick', { UserID: 'alice' });
  await kickedByApp;
  say('tablet', `login("alice") with a ticket signed before the kick → ${show(await tablet.login('alice', signedEarly))}`);
  say('tablet', `login("alice") with a ticket signed after the kick → ${show(await tablet.login('alice', sign('alice')))}`);

  say('tablet', `logout() → ${show(await tablet.logout())}`);
  say('tablet', `unInitSDK() → ${show(await tablet.unInitSDK())}`);
  await phone.unInitSDK();
  await address.close();
  await server.stop();
  say('server', 'stopped');
  business.close();
  rmSync(data, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
