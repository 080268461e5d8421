// The operator's side of the demo: the app's business server, a few lines of Node. It calls
// tim-server's REST API exactly as it would call Tencent's (only the base URL differs), and
// receives the state-change callbacks on an HTTP endpoint of its own.
import { createServer } from 'node:http';
import { once } from 'node:events';

/** Starts the callback endpoint; `call` sends REST commands as `administrator`. */
export async function startBusinessServer({ app, adminSig, say }) {
  const waiting = [];
  const endpoint = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const { Info, KickedDevice } = JSON.parse(body);
    const kicked = KickedDevice ? `, kicked ${KickedDevice.map((d) => d.Platform).join(', ')}` : '';
    say('business', `⇐ State.StateChange ${Info.Action}/${Info.Reason} of ${Info.To_Account}${kicked}`);
    response.end('{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}');
    waiting.shift()?.(Info);
  });
  endpoint.listen(0, '127.0.0.1');
  await once(endpoint, 'listening');
  let restBase;
  return {
    callbackUrl: `http://127.0.0.1:${endpoint.address().port}/im/state`,
    /** Where the REST API is: `http://HOST:PORT`, as Tencent's `https://console.tim.qq.com`. */
    useServer: (base) => {
      restBase = base;
    },
    async call(command, body) {
      const random = Math.floor(Math.random() * 2 ** 32);
      const query = `sdkappid=${app}&identifier=administrator&usersig=${adminSig}&random=${random}&contenttype=json`;
      const response = await fetch(`${restBase}/v4/${command}?${query}`, { method: 'POST', body: JSON.stringify(body) });
      const answer = await response.json();
      say('business', `${command} ${JSON.stringify(body)} → ${JSON.stringify(answer)}`);
      return answer;
    },
    /** Resolves with the `Info` of the next callback. */
    nextCallback: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => endpoint.close(),
  };
}
