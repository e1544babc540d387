"""The report's three steps in TestClient: validation, honeypot, rate limits, the e-mail link.

A real SMTP sink receives the confirmation mail; the store is SQLite or PostgreSQL. Nothing here
reaches intake (a confirmed report does: see tests/e2e/test_citizen_journey.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sportello_devstack.mailsink import read_mails, start_sink
from sportello_devstack.natsserver import free_port
from sportello_public.main import PublicSettings, build

ROOT = Path(__file__).parents[4]
REPORT = {
    "privacy": "yes",
    "place": "Via Roma 12",
    "category": "decoro_pulizia",
    "title": "Cassonetti traboccanti",
    "details": "I cassonetti di via Roma 12 non vengono svuotati da una settimana.",
    "name": "Maria Rossi",
    "email": "maria.rossi@example.org",
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def mail_dir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    port = free_port()
    sink = start_sink(tmp_path / "mail", port)
    yield tmp_path / "mail", port
    sink.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(
    store: dict[str, str], tmp_path: Path, mail_dir: tuple[Path, int], clock: Clock
) -> Iterator[TestClient]:
    settings = PublicSettings(
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SMTP_PORT=mail_dir[1],
        PUBLIC_SECRET_KEY="test-secret",
        PUBLIC_REPORTS_PER_EMAIL=2,
        INTAKE_URL="http://127.0.0.1:9",  # nothing listens: these tests never confirm
        **{**store, "SPORTELLO_DATA_DIR": str(tmp_path / "site")},
    )  # type: ignore[call-arg]
    with TestClient(build(settings, clock=clock)) as client:
        yield client


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def post(site: TestClient, path: str, form: dict[str, Any]) -> Any:
    token = csrf(site.get("/torino/segnala").text)
    return site.post(path, data={**form, "csrf_token": token})


def test_the_three_steps_follow_designers_italia(site: TestClient) -> None:
    first = site.get("/torino/segnala")
    assert first.status_code == 200 and "Passo 1 di 3" in first.text
    assert 'data-element="report-inefficiency"' in first.text
    assert "Content-Security-Policy" in first.headers or "content-security-policy" in first.headers
    second = post(site, "/torino/segnala/dati", {"privacy": "yes"})
    assert second.status_code == 200 and "Passo 2 di 3" in second.text
    assert "Decoro e pulizia della città" in second.text  # the tenant's catalogue
    third = post(site, "/torino/segnala/riepilogo", REPORT)
    assert third.status_code == 200 and "Passo 3 di 3" in third.text
    assert "Cassonetti traboccanti" in third.text and 'name="website"' in third.text


def test_without_consent_the_first_step_says_why(site: TestClient) -> None:
    refused = post(site, "/torino/segnala/dati", {})
    assert refused.status_code == 422
    assert "occorre accettare l&#39;informativa" in refused.text
    assert 'href="#privacy"' in refused.text  # the error summary links to the field


def test_each_invalid_field_is_explained_and_what_was_typed_stays(site: TestClient) -> None:
    typed = REPORT | {"category": "", "email": "not-an-address", "details": "corto", "name": ""}
    refused = post(site, "/torino/segnala/riepilogo", typed)
    assert refused.status_code == 422
    page = refused.text
    for field in ("category", "email", "details", "name"):
        assert f'href="#{field}"' in page and f'id="{field}-error"' in page
    assert "Scegli una categoria dall&#39;elenco." in page
    assert "L&#39;indirizzo e-mail non è valido." in page
    assert "Il testo è troppo breve." in page
    assert 'value="Cassonetti traboccanti"' in page and 'value="not-an-address"' in page
    assert ">corto</textarea>" in page
    too_long = post(site, "/torino/segnala/riepilogo", REPORT | {"title": "x" * 121})
    assert too_long.status_code == 422 and "Il testo è troppo lungo." in too_long.text


def test_citizen_text_is_escaped(site: TestClient) -> None:
    page = post(site, "/torino/segnala/riepilogo", REPORT | {"title": "<script>x()</script>"})
    assert "<script>x()</script>" not in page.text and "&lt;script&gt;" in page.text


def test_a_filled_honeypot_is_refused_with_the_reason(
    site: TestClient, mail_dir: tuple[Path, int]
) -> None:
    refused = post(site, "/torino/segnala/invia", REPORT | {"website": "http://spam.example"})
    assert refused.status_code == 422
    assert "programma automatico" in refused.text
    assert "Cassonetti traboccanti" in refused.text  # nothing typed is lost
    assert read_mails(mail_dir[0]) == []


def test_too_many_reports_from_one_address_are_refused_and_kept(
    site: TestClient, mail_dir: tuple[Path, int]
) -> None:
    for _ in range(2):
        assert post(site, "/torino/segnala/invia", REPORT).status_code == 200
    refused = post(site, "/torino/segnala/invia", REPORT)
    assert refused.status_code == 429
    assert (
        "troppe segnalazioni" in refused.text and 'value="Cassonetti traboccanti"' in refused.text
    )
    assert len(read_mails(mail_dir[0])) == 2
    other = post(site, "/torino/segnala/invia", REPORT | {"email": "altro@example.org"})
    assert other.status_code == 200


def test_the_confirmation_link_expires_after_24_hours(
    site: TestClient, mail_dir: tuple[Path, int], clock: Clock
) -> None:
    sent = post(site, "/torino/segnala/invia", REPORT)
    assert sent.status_code == 200 and "maria.rossi@example.org" in sent.text
    (mail,) = read_mails(mail_dir[0])
    assert mail["To"] == "maria.rossi@example.org"
    body = str(mail.get_payload(decode=True), "utf-8")
    link = re.search(r"http://\S+/torino/segnala/conferma/\S+", body)
    assert link, body
    path = "/" + link.group(0).split("/", 3)[3]
    shown = site.get(path)
    assert shown.status_code == 200 and "Cassonetti traboccanti" in shown.text
    clock.now += timedelta(hours=24, minutes=1)
    expired = site.get(path)
    assert expired.status_code == 410 and "è scaduto" in expired.text
    token = (
        csrf(expired.text)
        if "csrf_token" in expired.text
        else csrf(site.get("/torino/segnala").text)
    )
    assert site.post(path, data={"csrf_token": token}).status_code == 410
    assert site.get(path[:-3] + "xyz").status_code == 404


def test_english_is_selectable(site: TestClient) -> None:
    site.get("/lingua", params={"to": "en", "next": "/torino/segnala"})
    page = site.get("/torino/segnala")
    assert '<html lang="en">' in page.text and "Step 1 of 3" in page.text


def test_a_post_without_the_form_token_is_refused(site: TestClient) -> None:
    assert site.post("/torino/segnala/invia", data=REPORT).status_code == 403


def test_an_unknown_tenant_is_404(site: TestClient) -> None:
    assert site.get("/atlantide/segnala").status_code == 404
