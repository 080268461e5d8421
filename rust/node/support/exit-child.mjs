// Run by test/lifetime.test.mjs: node exit-child.mjs SERVER_URL USERSIG. Prints each call's code
// and returns without destroy() or process.exit(): Node must then exit on its own.
import { APP, NativeBridge } from "./harness.mjs";

const [url, userSig] = process.argv.slice(2);
const bridge = new NativeBridge(() => {});
const steps = [
  ["initSDK", { sdkAppID: APP, logLevel: 0, config: { serverUrl: url } }],
  ["login", { userID: "dave", userSig }],
  ["logout", {}],
  ["unInitSDK", {}],
];
for (const [method, params] of steps) {
  const { code } = JSON.parse(await bridge.call(method, JSON.stringify(params)));
  console.log(method, code);
}
