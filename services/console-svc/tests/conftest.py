"""The console's tests: the whole system as processes (NATS, mail sink, the four services, the
development OpenID provider, the console) and signed-in HTTP clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sportello_devstack.stack import Stack

STACK_ENV = {"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.5"}


DEPLOYED_TENANTS = Path(__file__).resolve().parents[3] / "deploy" / "tenants"


def tenants_with_direct_torino(into: Path) -> Path:
    """deploy/tenants with Torino's workflow `direct`: most console tests show an office's own
    work on a case routed to it (take in charge, contact, close), as in a direct tenant (Pisa's
    partners), on Torino's offices and users. Torino as deployed, triage-first, is
    test_browser.py's (TORINO_AS_DEPLOYED)."""
    copy = into / "tenants"
    shutil.copytree(DEPLOYED_TENANTS, copy)
    tenant_yaml = copy / "torino" / "tenant.yaml"
    text = tenant_yaml.read_text(encoding="utf-8")
    assert "\nworkflow: triage-first\n" in text
    tenant_yaml.write_text(text.replace("\nworkflow: triage-first\n", "\nworkflow: direct\n"))
    return copy


@pytest.fixture(scope="module")
def web_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("console-stack")
    env = dict(STACK_ENV)
    if not getattr(request.module, "TORINO_AS_DEPLOYED", False):
        tenants = tenants_with_direct_torino(tmp_path_factory.mktemp("console-tenants"))
        env["SPORTELLO_TENANTS_DIR"] = str(tenants)
    running = Stack.on_free_ports(data_dir, web=True, extra_env=env).start()
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
