"""The message notify hands to SMTP; the server side is in the integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from uuid import UUID

from sportello_notify.adapters.mailer import OutgoingMail, build_message, redact

NOTIFICATION_ID = UUID("8f0b2a8e-64e4-5a1c-9d7d-1a3b5c7d9e0f")


def test_the_message_has_a_deterministic_message_id_and_survives_the_wire() -> None:
    mail = OutgoingMail(
        notification_id=NOTIFICATION_ID,
        recipient="maria.rossi@example.org",
        subject="La sua segnalazione TO-2026-000042 è stata presa in carico",
        body="Gentile Maria Rossi,\n\nè stata presa in carico.\n",
        language="it",
    )
    message = build_message(mail, "Comune <noreply@example.org>", datetime(2026, 3, 2, tzinfo=UTC))
    parsed = message_from_bytes(message.as_bytes())
    assert parsed["Message-ID"] == f"<{NOTIFICATION_ID}@sportello>"
    assert parsed["To"] == "maria.rossi@example.org"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "it"
    assert str(make_header(decode_header(parsed["Subject"]))) == mail.subject
    payload = parsed.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode("utf-8") == mail.body


def test_addresses_are_scrubbed_from_server_replies() -> None:
    reply = "550 5.1.1 <maria.rossi@example.org>: Recipient address rejected"
    assert redact(reply) == "550 5.1.1 <[address]>: Recipient address rejected"
    assert redact("250 2.0.0 Ok: queued as 4F2A1") == "250 2.0.0 Ok: queued as 4F2A1"


def test_an_accented_subject_is_encoded_in_one_piece() -> None:
    from datetime import UTC, datetime

    from sportello_notify.adapters.mailer import OutgoingMail, build_message

    subject = "Comune di Pisa - La sua segnalazione PI-2026-000001 è stata presa in carico"
    mail = OutgoingMail(
        notification_id=NOTIFICATION_ID,
        recipient="a@example.org",
        subject=subject,
        body="Gentile…",
        language="it",
    )
    raw = build_message(mail, "noreply@sportello.example", datetime.now(UTC)).as_bytes()
    assert b"=?utf-8?q??=" not in raw
    from email import message_from_bytes, policy

    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
