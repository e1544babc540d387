"""The shared web layer in a tiny application: layout, assets, headers, CSRF, languages, dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sportello_web import Catalogue, WebSettings, install_web, make_templates, require_csrf
from sportello_web.dates import from_rome_input, rome_datetime, rome_input
from sportello_web.i18n import safe_next

HERE = Path(__file__).parent


@pytest.fixture
def client() -> TestClient:
    catalogue = Catalogue({"it": {"hello": "Benvenuto"}, "en": {"hello": "Welcome"}})
    templates = make_templates([HERE / "templates"], catalogue, {"site": "Prova", "owner": "Ente"})
    app = FastAPI()
    install_web(app, WebSettings(secret_key="test-secret"), templates)

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, text: str = "") -> HTMLResponse:
        when = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)
        return templates.TemplateResponse(request, "page.html", {"text": text, "when": when})

    @app.post("/submit", dependencies=[Depends(require_csrf)])
    def submit() -> dict[str, bool]:
        return {"ok": True}

    return TestClient(app)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_layout_is_italian_accessible_and_escapes_what_people_typed(client: TestClient) -> None:
    page = client.get("/", params={"text": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert '<html lang="it">' in page.text
    assert 'href="#main"' in page.text and 'id="main"' in page.text  # skip link
    assert "Benvenuto" in page.text and "Vai al contenuto principale" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "<style" not in page.text and "style=" not in page.text
    assert all(not tag.strip() for tag in re.findall(r"<script[^>]*>(.*?)</script>", page.text))


def test_every_response_carries_a_strict_content_security_policy(client: TestClient) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_assets_are_served_by_the_application_itself(client: TestClient) -> None:
    page = client.get("/").text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert client.get(src).status_code == 200, src
    config = client.get("/static/web/htmx-config.js").text
    assert "includeIndicatorStyles = false" in config
    assert "http" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', page))


def test_english_is_selectable_and_redirects_stay_on_the_site(client: TestClient) -> None:
    chosen = client.get("/lingua", params={"to": "en", "next": "/"}, follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == "/"
    page = client.get("/")
    assert '<html lang="en">' in page.text and "Welcome" in page.text
    assert safe_next("https://evil.example/") == "/" and safe_next("//evil") == "/"


def test_a_post_without_the_session_token_is_refused(client: TestClient) -> None:
    refused = client.post("/submit", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert "Il modulo è scaduto" in refused.text
    token = csrf_of(client.get("/").text)
    assert client.post("/submit", data={"csrf_token": token}).json() == {"ok": True}
    assert client.post("/submit", headers={"X-CSRF-Token": token}).status_code == 200


def test_session_cookie_is_httponly_and_lax(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_times_are_shown_in_rome() -> None:
    summer = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)
    assert rome_datetime(summer) == "01/07/2026 12:30"
    assert rome_datetime("2026-12-04T10:30:00+00:00") == "04/12/2026 11:30"
    assert rome_input(summer) == "2026-07-01T12:30"
    back = from_rome_input("2026-07-01T12:30")
    assert back is not None and back.astimezone(UTC) == summer
    assert from_rome_input("  ") is None


def test_the_layout_keeps_bootstrap_italia_within_the_csp(client: TestClient) -> None:
    page = client.get("/").text
    switch = page.index("/static/web/before-bootstrap-italia.js")
    assert switch < page.index("bootstrap-italia.bundle.min.js")  # Video.js's styles stay out
    assert client.get("/favicon.ico").status_code == 204


def test_a_site_may_let_forms_lead_to_its_identity_provider() -> None:
    from sportello_web.security import content_security_policy

    assert "form-action 'self';" in content_security_policy()
    policy = content_security_policy(("https://login.comune.example",))
    assert "form-action 'self' https://login.comune.example;" in policy
