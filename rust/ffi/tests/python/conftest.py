"""The tests share one tim-server; each test logs in as its own user."""

import pytest

from harness import Server


@pytest.fixture(scope="session")
def server_url():
    server = Server()
    yield server.url
    server.stop()
