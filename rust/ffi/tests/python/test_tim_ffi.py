"""tim-ffi through its generated Python bindings against a real tim-server: a thin smoke test of
the UniFFI layer (async calls on asyncio, a foreign event sink called from core threads, ordered
calls whose answers reach a foreign completion in the core's order with the events). The
rules themselves are tested once, in Rust (rust/bridge/tests)."""

import asyncio
import json
import queue
import threading

import tim_ffi
from harness import APP, WAIT, Device, on_asyncio, ticket


@on_asyncio
async def test_login_succeeds_and_events_reach_the_sink_from_core_threads(server_url):
    device = Device()
    assert await device.init(server_url) == {"code": 0, "desc": "ok", "data": True}
    assert await device.login("py-alice") == {"code": 0, "desc": "ok"}
    assert (await device.event_named("onConnectSuccess"))["data"] is None
    assert (await device.call("getLoginStatus"))["data"] == 1
    assert (await device.call("getLoginUser"))["data"] == "py-alice"
    assert device.sink_threads and threading.get_ident() not in device.sink_threads
    assert (await device.call("logout"))["code"] == 0
    assert (await device.call("unInitSDK"))["code"] == 0


@on_asyncio
async def test_a_ticket_signed_with_the_wrong_key_answers_70009(server_url):
    device = Device()
    await device.init(server_url)
    answer = await device.login("py-bob", ticket("py-bob", key="not-the-key"))
    assert answer["code"] == 70009, answer
    assert (await device.call("getLoginStatus"))["data"] == 3


@on_asyncio
async def test_a_second_device_kicks_the_first_offline(server_url):
    first, second = Device(), Device()
    await first.init(server_url)
    await second.init(server_url)
    assert (await first.login("py-carol"))["code"] == 0
    assert (await second.login("py-carol"))["code"] == 0
    assert (await first.event_named("onKickedOffline"))["data"] is None
    assert (await first.call("getLoginStatus"))["data"] == 3
    assert (await second.call("getLoginStatus"))["data"] == 1


@on_asyncio
async def test_a_wrong_parameter_type_is_a_code_not_an_exception(server_url):
    device = Device()
    answer = await device.call("initSDK", {"sdkAppID": "1400000001", "logLevel": 0})
    assert answer["code"] == 6017, answer
    assert "sdkAppID" in answer["desc"]



class _Completed(tim_ffi.Completion):
    def __init__(self, handed_over, method):
        self.handed_over, self.method = handed_over, method

    def done(self, result_json):
        answer = json.loads(result_json)
        self.handed_over.put(f"{self.method} {answer['code']} {json.dumps(answer.get('data'))}")


class _HoldingSink(tim_ffi.EventSink):
    """Hands events to one queue, with the answers; holds `onKickedOffline` until released and
    queues it only then, as a host still busy handing it over."""

    def __init__(self, handed_over):
        self.handed_over = handed_over
        self.holding, self.release = threading.Event(), threading.Event()

    def on_event(self, event_json):
        name = json.loads(event_json)["type"]
        if name == "onKickedOffline" and not self.holding.is_set():
            self.holding.set()
            self.release.wait(WAIT)
        self.handed_over.put(name)


@on_asyncio
async def test_call_ordered_answers_keep_the_core_order_with_the_events(server_url):
    handed_over = queue.Queue()
    sink = _HoldingSink(handed_over)
    bridge = tim_ffi.TimBridge(sink)

    def call(method, params):
        bridge.call_ordered(method, json.dumps(params), _Completed(handed_over, method))

    def next_entries(n):
        return [handed_over.get(timeout=WAIT) for _ in range(n)]

    call("initSDK", {"sdkAppID": APP, "logLevel": 0, "config": {"serverUrl": server_url}})
    call("login", {"userID": "py-dave", "userSig": ticket("py-dave")})
    assert await asyncio.to_thread(next_entries, 4) == [
        "initSDK 0 true",
        "onConnecting",
        "onConnectSuccess",
        "login 0 null",
    ]
    other = Device()
    await other.init(server_url)
    assert (await other.login("py-dave"))["code"] == 0
    assert await asyncio.to_thread(sink.holding.wait, WAIT)
    # The kick is on its way to the host: answers made now come behind it.
    call("getLoginStatus", {})
    call("login", {"userID": 7})
    sink.release.set()
    entries = await asyncio.to_thread(next_entries, 3)
    assert entries[:2] == ["onKickedOffline", "getLoginStatus 0 3"], entries
    assert entries[2].startswith("login 6017"), entries
