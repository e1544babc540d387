"""The message notify hands to SMTP; the server side is in the integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from uuid import UUID

from sportello_notify.adapters.delivery import OutgoingMessage, redact
from sportello_notify.adapters.mailer import build_message

NOTIFICATION_ID = UUID("8f0b2a8e-64e4-5a1c-9d7d-1a3b5c7d9e0f")


def outgoing(
    *, recipient: str, subject: str, body: str, language: str, in_reply_to: str = ""
) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=NOTIFICATION_ID,
        message_key=str(NOTIFICATION_ID),
        tenant="torino",
        organization=None,
        case_id="c1",
        template="taken_in_charge",
        recipient=recipient,
        subject=subject,
        body=body,
        language=language,
        in_reply_to=in_reply_to,
    )


def test_the_message_has_a_deterministic_message_id_and_survives_the_wire() -> None:
    mail = outgoing(
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


def test_the_recipients_phone_number_is_scrubbed_in_every_spelling() -> None:
    reply = "400 invalid destination 393331234567 (+39 333 1234567, 3331234567)"
    assert redact(reply, "+39 333 1234567") == (
        "400 invalid destination [address] ([address], [address])"
    )


def test_an_accented_subject_is_encoded_in_one_piece() -> None:
    subject = "Comune di Pisa - La sua segnalazione PI-2026-000001 è stata presa in carico"
    mail = outgoing(
        recipient="a@example.org",
        subject=subject,
        body="Gentile…",
        language="it",
    )
    raw = build_message(mail, "noreply@sportello.example", datetime.now(UTC)).as_bytes()
    assert b"=?utf-8?q??=" not in raw
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_a_mail_to_a_citizen_who_wrote_answers_their_message() -> None:
    mail = outgoing(
        recipient="giulia.bianchi@example.org",
        subject="Segnalazione TO-2026-000042 ricevuta",
        body="Gentile Giulia Bianchi,\n",
        language="it",
        in_reply_to="<first.42@mail.example.org>",
    )
    raw = build_message(mail, "noreply@sportello.example", datetime.now(UTC)).as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["In-Reply-To"] == "<first.42@mail.example.org>"
    assert parsed["References"] == "<first.42@mail.example.org>"
    assert parsed["Message-ID"] == f"<{NOTIFICATION_ID}@sportello>"


def test_no_reply_headers_without_a_well_formed_message_id() -> None:
    for in_reply_to in ("", "not-an-id", "<a@b>\r\nBcc: x@example.org"):
        mail = outgoing(
            recipient="a@example.org", subject="s", body="b", language="it",
            in_reply_to=in_reply_to,
        )  # fmt: skip
        parsed = message_from_bytes(
            build_message(mail, "n@x.example", datetime.now(UTC)).as_bytes()
        )
        assert parsed["In-Reply-To"] is None
        assert parsed["References"] is None
        assert parsed["Bcc"] is None
