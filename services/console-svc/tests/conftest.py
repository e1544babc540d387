"""The console's tests: the whole system as processes (NATS, mail sink, the four services, the
development OpenID provider, the console) and signed-in HTTP clients."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
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
    assert running.killed == [], f"did not stop on SIGTERM within 15 s: {running.killed}"


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


# --- a stack where Marcallo is always out of office hours (issue 18: the on-call alert) ---------

TENANTS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "tenants"


class SmsReceiver:
    """The SMS provider as a local HTTP server: keeps every text POSTed to it, answers 202."""

    def __init__(self) -> None:
        self.texts: list[dict[str, Any]] = []
        texts = self.texts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                texts.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sms"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def always_night(directory: Path) -> Path:
    """The tenants as deployed, but Marcallo has no office hours: an urgent case pages the rota
    whenever the suite runs; one hour to acknowledge (nobody else is paged during a test).
    Torino `direct`, as for the other console tests (`tenants_with_direct_torino`)."""
    tenants = tenants_with_direct_torino(directory)
    path = tenants / "marcallo" / "notify.yaml"
    policy = yaml.safe_load(path.read_text("utf-8"))
    policy["on_call"] |= {"office_hours": [], "escalate_after_minutes": 60}
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), "utf-8")
    return tenants


@pytest.fixture(scope="module")
def night_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The console's stack with Marcallo at night and the SMS provider listening."""
    sms = SmsReceiver()
    env = {
        **STACK_ENV,
        "SPORTELLO_TENANTS_DIR": str(always_night(tmp_path_factory.mktemp("night-conf"))),
        "SMS_ENDPOINT": sms.url,
        "ON_CALL_POLL_INTERVAL": "0.2",
        "DISPATCH_POLL_INTERVAL": "0.1",
    }
    data_dir = tmp_path_factory.mktemp("console-night")
    running = Stack.on_free_ports(data_dir, web=True, extra_env=env).start()
    running.sms = sms  # type: ignore[attr-defined]
    yield running
    running.stop()
    sms.stop()
    assert running.killed == [], f"did not stop on SIGTERM within 15 s: {running.killed}"


def register_by_api(stack: Stack, tenant: str, category: str, kind: str = "segnalazione") -> str:
    """A case registered through intake's API by the tenant's call-taker: its id."""
    body = {
        "tenant": tenant,
        "kind": kind,
        "channel": "phone",
        "category": category,
        "description": "Strada allagata in via Roma, l'acqua entra nei cortili",
        "citizen": {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org"},
        "location": {"address": "Via Roma 1"},
    }
    token = stack.issuer.token("operator", tenant)
    answer = httpx.post(
        f"{stack.url('intake')}/cases",
        json=body,
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


@pytest.fixture
def api_register(web_stack: Stack) -> Callable[..., str]:
    """`register_by_api` on the module's stack: (tenant, category, kind) → the case's id."""
    return lambda *args: register_by_api(web_stack, *args)
