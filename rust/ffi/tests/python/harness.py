"""A real tim-server, real tickets, and a host that uses the generated `tim_ffi` module the way an
app does. Shared by the tests and the benchmark.

rust/ffi/tests/run-bindings.sh puts the generated module on PYTHONPATH and names the binaries in
TIM_SERVER_BIN and TIM_USERSIG_BIN.
"""

import asyncio
import functools
import json
import os
import subprocess
import threading

import tim_ffi

APP = 1_400_000_001
KEY = "uniffi-test-key"
WAIT = 10.0


def _binary(variable):
    path = os.environ.get(variable)
    if not path:
        raise RuntimeError(f"{variable} is not set: run rust/ffi/tests/run-bindings.sh")
    return path


class Server:
    """`tim-server --listen 127.0.0.1:0` with one app; `url` is from its first stdout line."""

    def __init__(self):
        self.process = subprocess.Popen(
            [_binary("TIM_SERVER_BIN"), "--listen", "127.0.0.1:0", "--app", f"{APP}:{KEY}", "--ephemeral"],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"tim-server did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=WAIT)


def on_asyncio(test):
    """Runs an `async def` test on a fresh asyncio loop, without a pytest plugin."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


def ticket(user, key=KEY):
    """A UserSig for `user`, from the tim-usersig CLI."""
    command = [_binary("TIM_USERSIG_BIN"), "gen", "--sdkappid", str(APP), "--key", key, "--user", user]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


class _Sink(tim_ffi.EventSink):
    """Runs on a core thread: notes the thread, hands the event to the loop's thread, returns.

    It holds the queue, not the Device, so that no reference cycle through Rust keeps a bridge alive.
    """

    def __init__(self, loop, events, threads):
        self.loop, self.events, self.threads = loop, events, threads

    def on_event(self, event_json):
        self.threads.add(threading.get_ident())
        self.loop.call_soon_threadsafe(self.events.put_nowait, json.loads(event_json))


class Device:
    """One TimBridge: one SDK instance, a separate device to the server. Use inside a running loop."""

    def __init__(self):
        self.events = asyncio.Queue()
        self.sink_threads = set()
        self.bridge = tim_ffi.TimBridge(_Sink(asyncio.get_running_loop(), self.events, self.sink_threads))

    async def call(self, method, params=None):
        return json.loads(await self.bridge.call(method, json.dumps(params or {})))

    async def init(self, url):
        config = {"serverUrl": url, "reconnectMinMs": 50, "reconnectMaxMs": 200}
        return await self.call("initSDK", {"sdkAppID": APP, "logLevel": 0, "config": config})

    async def login(self, user, user_sig=None):
        return await self.call("login", {"userID": user, "userSig": user_sig or ticket(user)})

    async def event_named(self, name):
        while True:
            event = await asyncio.wait_for(self.events.get(), WAIT)
            if event["type"] == name:
                return event
