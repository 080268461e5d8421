"""The cost of one call through the UniFFI Python bindings: N sequential
`await bridge.call("getLoginStatus", "{}")` after a login. The answer is the manager's local
state, so this measures the crossing itself: Python to Rust, the hop onto the core's runtime, and
the wake-up back on asyncio's loop. Usage: bench_call.py [N]; prints one JSON line.
Run by scripts/bench-ffi.sh against the release library."""

import asyncio
import json
import sys
import time

from harness import Device, Server

WARM_UP = 1_000


async def measure(url, calls):
    device = Device()
    assert (await device.init(url))["code"] == 0
    assert (await device.login("bench-user"))["code"] == 0
    for _ in range(WARM_UP):
        await device.bridge.call("getLoginStatus", "{}")
    start = time.perf_counter()
    for _ in range(calls):
        answer = await device.bridge.call("getLoginStatus", "{}")
    seconds = time.perf_counter() - start
    assert json.loads(answer)["data"] == 1, answer
    return {"calls": calls, "seconds": round(seconds, 3), "us_per_call": round(seconds / calls * 1e6, 2)}


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    server = Server()
    try:
        print(json.dumps(asyncio.run(measure(server.url, calls))))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
