"""Each tenant's own wording reaches the citizen's inbox, and the acknowledgment follows the
channel the case came in on (deploy/tenants/<tenant>/templates/ and notify.yaml)."""

from __future__ import annotations

from nats.js import JetStreamContext

from .conftest import EMAIL, SmtpServer, body_of, eventually, publish, subject_of
from .test_service import AppFactory, client_for, fresh_story, js, service  # noqa: F401


async def test_marcallo_s_closing_mail_thanks_the_citizen_torino_s_does_not(
    service: AppFactory,  # noqa: F811
    js: JetStreamContext,  # noqa: F811
    mail_sink: SmtpServer,
) -> None:
    app = await service(mail_sink.port)
    stories = {
        tenant: fresh_story(tenant=tenant, first_notification_id=n)
        for tenant, n in (("marcallo", 1), ("torino", 50))
    }
    for story in stories.values():
        for event in (story.received, story.closed):
            await publish(js, event)

    def closings() -> dict[str, str]:
        return {
            subject_of(m).split(" - ", 1)[0]: body_of(m)
            for m in mail_sink.mails()
            if m["To"] == EMAIL and "chius" in subject_of(m)
        }

    found = await eventually(lambda: len(c := closings()) == 2 and c)
    assert "Il Comune la ringrazia" in found["Comune di Marcallo con Casone"]
    assert "ringrazia" not in found["Comune di Torino"]
    marcallo = next(
        m for m in mail_sink.mails() if "Marcallo" in subject_of(m) and "chius" in subject_of(m)
    )
    assert subject_of(marcallo).startswith("Comune di Marcallo con Casone - Grazie: ")

    async with client_for(app) as client:  # the preview words as the dispatcher does
        preview = await client.get("/templates/closed/preview", params={"tenant": "marcallo"})
        assert preview.status_code == 200, preview.text
        assert "Il Comune la ringrazia" in preview.json()["body"]


async def test_pisa_acknowledges_an_e_mail_but_not_a_phone_call(
    service: AppFactory,  # noqa: F811
    js: JetStreamContext,  # noqa: F811
    mail_sink: SmtpServer,
) -> None:
    app = await service(mail_sink.port)
    by_mail = fresh_story(tenant="pisa", channel="email")
    by_phone = fresh_story(tenant="pisa", channel="phone", first_notification_id=50)
    for story in (by_phone, by_mail):
        await publish(js, story.received)
        await publish(js, story.taken_in_charge)

    def to_citizen() -> list[str]:
        return sorted(subject_of(m) for m in mail_sink.mails() if m["To"] == EMAIL)

    subjects = await eventually(lambda: len(s := to_citizen()) == 3 and s)
    received = [s for s in subjects if s.endswith("è stata ricevuta")]
    taken = [s for s in subjects if s.endswith("è stata presa in carico")]
    assert len(received) == 1 and len(taken) == 2
    async with client_for(app) as client:
        for story, expected in (
            (by_mail, {"received", "taken_in_charge"}),
            (by_phone, {"taken_in_charge"}),
        ):
            listed = (await client.get(f"/cases/{story.case_id}/notifications")).json()
            assert {n["template"] for n in listed} == expected
