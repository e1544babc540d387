"""Whoever a body names, every operator's command is recorded as the token's subject."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer

from .conftest import SmtpServer, eventually, publish
from .test_service import AppFactory, client_for, fresh_story, js, service  # noqa: F401

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT = {
    ("POST", "/admin/dlq/{sequence}/redrive"): "republishes a message, records no command",
    ("POST", "/surveys/{token}"): "public: the citizen's single-use token, no actor",
    # needs an urgent case out of office hours: the token's subject is checked there
    ("POST", "/cases/{case_id}/on-call/acknowledge"): "test_on_call_service.py",
}


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every state-changing operation the service publishes in its OpenAPI."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in MUTATING
    }


async def test_resends_and_posted_letters_are_the_token_s_subject(
    service: AppFactory,  # noqa: F811
    js: JetStreamContext,  # noqa: F811
    mail_sink: SmtpServer,
    issuer: DevIssuer,
) -> None:
    app = await service(mail_sink.port)
    by_mail = fresh_story(tenant="pisa", channel="phone")
    by_post = fresh_story(
        tenant="pisa",
        channel="phone",
        email=None,
        address="via Roma 1, 56125 Pisa",
        first_notification_id=50,
    )
    for story in (by_mail, by_post):
        for event in (story.received, story.taken_in_charge):
            await publish(js, event)
    anna = {"Authorization": f"Bearer {issuer.token('operator', 'pisa', subject='anna@pisa')}"}
    torino = {"Authorization": f"Bearer {issuer.token('operator', 'torino')}"}
    covered: set[tuple[str, str]] = set()

    async with client_for(app) as client:

        async def settled(story: Any, status: str) -> dict[str, Any] | None:
            path = f"/cases/{story.case_id}/notifications"
            response = await client.get(path, headers=anna)
            found = response.json() if response.status_code == 200 else []
            mine = [n for n in found if n["status"] == status and n["audience"] == "citizen"]
            return mine[0] if mine else None

        sent = await eventually(lambda: settled(by_mail, "sent"))
        url = f"/notifications/{sent['notification_id']}/resend"
        resend = {"actor": "mallory", "reason": "mai arrivata"}
        assert (await client.post(url, json=resend, headers=torino)).status_code == 403
        resent = await client.post(url, json=resend, headers=anna)
        assert resent.status_code == 202, resent.text
        assert [r["actor"] for r in resent.json()["resends"]] == ["anna@pisa"]
        covered.add(("POST", "/notifications/{notification_id}/resend"))

        letter = await eventually(lambda: settled(by_post, "requested"))
        url = f"/notifications/{letter['notification_id']}/letter-posted"
        assert (await client.post(url, json={"actor": "x"}, headers=torino)).status_code == 403
        posted = await client.post(url, json={"actor": "mallory"}, headers=anna)
        assert posted.status_code == 200, posted.text
        assert posted.json()["provider_reply"].startswith("posted by anna@pisa")
        covered.add(("POST", "/notifications/{notification_id}/letter-posted"))

    assert mutating_routes(app) == covered | set(EXEMPT)
