"""Interop with Tencent's official Python signing library (PyPI tls-sig-api-v2, pinned in
requirements.txt): tickets it makes verify with our CLI, and tickets our CLI makes are what it
makes. Run by ./run.sh (or `TIM_USERSIG_BIN=... pytest test_official.py` in a venv with the pins).
"""

import base64
import json
import os
import subprocess
import zlib
from pathlib import Path

import pytest
import TLSSigAPIv2

HERE = Path(__file__).resolve().parent
BIN = os.environ.get("TIM_USERSIG_BIN") or str(HERE / "../../../target/debug/tim-usersig")

APP = 1400000000
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
T = 1600000000

USERS = [
    "xiaojun",
    "alice_01",
    "A-Z-a-z-0-9",
    "user@example.com",
    "x" * 32,
    "with space",
    'quote"and\\backslash',
    "张三",
]
EXPIRES = [1, 86400, 15552000]
USERBUFS = [None, "abc", "room 1234 ✓"]
CASES = [
    (user, expire, USERBUFS[(u + e) % len(USERBUFS)])
    for u, user in enumerate(USERS)
    for e, expire in enumerate(EXPIRES)
]


@pytest.fixture
def clock(monkeypatch):
    """Fixes the library's clock (it calls time.time()) at unix second T, plus a fraction."""
    monkeypatch.setattr(TLSSigAPIv2.time, "time", lambda: T + 0.789)


def official_ticket(key, user, expire, userbuf):
    api = TLSSigAPIv2.TLSSigAPIv2(APP, key)
    if userbuf is None:
        return api.gen_sig(user, expire)
    return api.gen_sig_with_userbuf(user, expire, userbuf.encode("utf-8"))


def official_decode(ticket):
    """The official module's own decoding, then inflate and parse."""
    return zlib.decompress(TLSSigAPIv2.base64_decode_url(ticket.encode())).decode("utf-8")


def cli(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, check=False)


def cli_verify(ticket, user, keys=(KEY,), now=T + 1, app=APP):
    key_args = [a for k in keys for a in ("--key", k)]
    r = cli("verify", "--sdkappid", str(app), *key_args, "--user", user, "--time", str(now), "--", ticket)
    return r.returncode, r.stdout


def cli_gen(key, user, expire, userbuf):
    args = ["gen", "--sdkappid", str(APP), "--key", key, "--user", user, "--expire", str(expire), "--time", str(T)]
    if userbuf is not None:
        args += ["--userbuf", userbuf]
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1
    return r.stdout.rstrip("\n")


def test_cli_binary_exists():
    assert cli("--version").returncode == 0, BIN


def test_official_library_reproduces_the_test_vector(clock):
    doc = json.loads(official_decode(official_ticket(KEY, "xiaojun", 15552000, None)))
    assert doc["TLS.sig"] == "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="
    assert doc["TLS.time"] == T


@pytest.mark.parametrize("user,expire,userbuf", CASES)
def test_official_tickets_verify_with_our_cli(clock, user, expire, userbuf):
    ticket = official_ticket(KEY, user, expire, userbuf)
    assert cli_verify(ticket, user) == (0, "ok\n")
    assert cli_verify(ticket, user, now=T + expire) == (0, "ok\n")
    code, out = cli_verify(ticket, user, now=T + expire + 1)
    assert (code, out.split(" ")[0]) == (1, "70001")
    code, out = cli_verify(ticket, user, keys=("wrong",))
    assert (code, out.split(" ")[0]) == (1, "70009")
    assert cli_verify(ticket, user + "x")[1].startswith("70013 ")
    assert cli_verify(ticket, user, app=APP + 1)[1].startswith("70014 ")


def test_official_tickets_verify_during_a_key_rotation(clock):
    old = official_ticket("old key", "rotating", 86400, None)
    new = official_ticket("new clé ✓", "rotating", 86400, None)
    for ticket in (old, new):
        assert cli_verify(ticket, "rotating", keys=("old key", "new clé ✓")) == (0, "ok\n")
    assert cli_verify(old, "rotating", keys=("new clé ✓",))[1].startswith("70009 ")


@pytest.mark.parametrize("user,expire,userbuf", CASES)
def test_our_tickets_decode_under_the_official_library_with_its_signature(clock, user, expire, userbuf):
    ours = json.loads(official_decode(cli_gen(KEY, user, expire, userbuf)))
    api = TLSSigAPIv2.TLSSigAPIv2(APP, KEY)
    b64_userbuf = None if userbuf is None else base64.b64encode(userbuf.encode("utf-8")).decode()
    expected_sig = api._TLSSigAPIv2__hmacsha256(user, T, expire, b64_userbuf).decode()
    assert ours["TLS.sig"] == expected_sig
    # Field by field, the document the official library writes (its key order and spacing differ).
    official = json.loads(official_decode(official_ticket(KEY, user, expire, userbuf)))
    assert ours == official
