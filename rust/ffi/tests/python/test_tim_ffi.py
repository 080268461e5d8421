"""tim-ffi through its generated Python bindings against a real tim-server: a thin smoke test of
the UniFFI layer (async calls on asyncio, a foreign event sink called from core threads). The
rules themselves are tested once, in Rust (rust/bridge/tests)."""

import threading

from harness import Device, on_asyncio, ticket


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

