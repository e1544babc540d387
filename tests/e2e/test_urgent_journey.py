"""End to end: a Marcallo flood reported at night, the services as separate processes.

Marcallo's tenant files as deployed, except every hour is out of office hours (so "night" does
not depend on when the suite runs) and the rota has 3 seconds instead of 15 minutes to answer.
The SMS provider is a real HTTP server started here, as notify's SMS tests do."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_devstack.testing import stack_on_store

pytestmark = pytest.mark.e2e

TENANTS = Path(__file__).resolve().parents[2] / "deploy" / "tenants"
ROTA = ["+39 331 0000001", "+39 331 0000002", "+39 331 0000003"]


class SmsProvider:
    """Keeps every text POSTed to it and accepts it (202)."""

    def __init__(self) -> None:
        self.texts: list[dict[str, Any]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                provider.texts.append(json.loads(body))
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

    def paged(self) -> list[str]:
        return [t["to"] for t in self.texts]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def always_night(directory: Path) -> Path:
    tenants = directory / "tenants"
    shutil.copytree(TENANTS, tenants)
    path = tenants / "marcallo" / "notify.yaml"
    policy = yaml.safe_load(path.read_text("utf-8"))
    policy["on_call"] |= {"office_hours": [], "escalate_after_minutes": 0.05}
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), "utf-8")
    return tenants


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def journey(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, SmsProvider]]:
    """The stack on SQLite, then on PostgreSQL (schemas of its own, dropped after)."""
    sms = SmsProvider()
    try:
        with stack_on_store(
            request,
            tmp_path_factory.mktemp(f"urgent-{request.param}"),
            "urgent",
            extra_env={
                "SPORTELLO_TENANTS_DIR": str(always_night(tmp_path_factory.mktemp("conf"))),
                "SMS_ENDPOINT": sms.url,
                "ON_CALL_POLL_INTERVAL": "0.2",
                "RELAY_POLL_INTERVAL": "0.05",
                "DISPATCH_POLL_INTERVAL": "0.1",
            },
        ) as running:
            yield running, sms
    finally:
        sms.stop()


def test_a_flood_at_night_pages_the_rota_until_someone_acknowledges(
    journey: tuple[Stack, SmsProvider],
) -> None:
    stack, sms = journey
    body = {
        "tenant": "marcallo",
        "kind": "segnalazione",
        "channel": "phone",
        "category": "allagamenti",
        "description": "Strada allagata in via Roma, l'acqua entra nei cortili",
        "citizen": {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org"},
    }
    registered = httpx.post(f"{stack.url('intake')}/cases", json=body, timeout=10)
    assert registered.status_code == 201, registered.text
    case_id = registered.json()["case_id"]

    # routed to the office, the first of the rota paged, then the second: nobody answered
    eventually(lambda: sms.paged() == ROTA[:1], timeout=60)
    assert "URGENTE" in sms.texts[0]["text"] and "Allagamenti" in sms.texts[0]["text"]
    eventually(lambda: sms.paged() == ROTA[:2], timeout=30)

    notify = stack.url("notify")
    acknowledged = httpx.post(f"{notify}/cases/{case_id}/on-call/acknowledge", timeout=10)
    assert acknowledged.status_code == 200, acknowledged.text
    alert = acknowledged.json()
    assert alert["acknowledged_by"] == "developer"  # no issuer configured: the developer

    # the citizen was told the staff on call were alerted; the office got the case
    def citizen_mail() -> Any:
        mails = [m for m in read_mails(stack.mail_dir) if "giulia" in (m["To"] or "")]
        return mails[0] if mails else None

    mail = eventually(citizen_mail, timeout=30)
    payload = mail.get_payload(decode=True).decode("utf-8")
    assert "il personale reperibile è stato avvisato ora" in payload
    offices = [m["To"] for m in read_mails(stack.mail_dir)]
    assert "ufficio-tecnico@marcallo.sportello.example" in offices

    # nobody is paged after the acknowledgment (the third one had 3 s and more)
    time.sleep(4.0)
    assert sms.paged() == ROTA[: len(alert["paged"])]
