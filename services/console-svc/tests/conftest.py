"""The console's tests: the whole system as processes (NATS, mail sink, the four services, the
development OpenID provider, the console) and signed-in HTTP clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sportello_devstack.stack import Stack

STACK_ENV = {"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.5"}


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("console-stack")
    running = Stack.on_free_ports(data_dir, web=True, extra_env=STACK_ENV).start()
    yield running
    running.stop()


def provider_sign_in(stack: Stack, authorize_url: str, username: str) -> str:
    """The provider's login form, filled in: returns the console's callback URL."""
    assert httpx.get(authorize_url, timeout=10).status_code == 200
    fields = dict(parse_qsl(urlsplit(authorize_url).query))
    answer = httpx.post(
        f"{stack.url('oidc')}/authorize",
        data={**fields, "username": username, "password": "demo"},
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


@pytest.fixture
def sign_in(web_stack: Stack) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def signed_in(username: str) -> httpx.Client:
        client = httpx.Client(base_url=web_stack.url("console"), timeout=15)
        clients.append(client)
        start = client.get("/accedi")
        assert start.status_code == 302, start.text
        callback = provider_sign_in(web_stack, start.headers["location"], username)
        assert client.get(callback).status_code == 303
        return client

    yield signed_in
    for client in clients:
        client.close()


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def csrf() -> Callable[[str], str]:
    """The CSRF token of a rendered page."""
    return csrf_token_of
