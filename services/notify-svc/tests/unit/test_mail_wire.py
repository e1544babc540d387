"""The mail written directly (`mail_wire`) against the same mail built with `email`
(`build_message`, the path it replaced and still the fallback): the same headers, in the same
order, with the same values once decoded (as `build_message(...).as_bytes()` writes them: on the
wire, aiosmtplib folded them again at 78 columns and made the empty `=?utf-8?q??=` word), and the
same body."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from uuid import UUID

import pytest
from aiosmtplib.email import flatten_message
from sportello_notify.adapters.delivery import OutgoingMessage
from sportello_notify.adapters.mail_wire import wire_bytes
from sportello_notify.adapters.mailer import build_message, message_id, reply_to

AT = datetime(2026, 3, 2, 9, 41, 7, tzinfo=UTC)
SENDER = "Sportello <noreply@sportello.example>"
LONG_SUBJECT = (
    "Comune di Forlì - La sua segnalazione FO-2026-000123 è stata presa in carico dall'ufficio "
    "Lavori pubblici, viabilità e manutenzione del verde: perché è urgente, la città "
    "provvederà entro tre giorni lavorativi; più informazioni sul sito del Comune"
)
BODY = (
    "Gentile Maria Rossi,\n\nla sua segnalazione FO-2026-000123 («buca in via Cesare Battisti, "
    "all'angolo con piazza Saffi, profonda più di dieci centimetri e già segnalata») è stata "
    "presa in carico dall'ufficio Lavori pubblici.   \n"
    "From the office: la città la ringrazia.\n.\nCordiali saluti — Ufficio Relazioni con il "
    "Pubblico\r\nCittà di Forlì\n"
)
CASES = {
    "long accented subject, accented Comune": {
        "subject": LONG_SUBJECT,
        "sender_name": "Comune di Forlì-Cesena, Città",
        "body": BODY,
    },
    "reply to the citizen's mail": {
        "subject": "Re: Richiesta di intervento: perché nessuno è venuto?",
        "sender_name": "Comune di Pisa",
        "in_reply_to": "<CAF3a9+xy.42@mail.example.org>",
        "body": "Gentile Giulia Bianchi,\n\nrisposta alla sua e-mail del 2 marzo.\n",
    },
    "all ASCII, longer than a line": {
        "subject": "Your report TO-2026-000042 has been taken in charge by the office in charge of "
        "roads and public works of the City of Turin",
        "sender_name": "Comune di Torino",
        "body": "Dear Sir or Madam,\n\n" + "a long line without accents " * 12 + "\n",
    },
    "whitespace kept exactly": {
        "subject": "  Promemoria:  due  spazi, è così ",
        "sender_name": "Città  di  Castello",
        "body": "",
    },
    "words that look encoded, emoji and quotes": {
        "subject": '=?utf-8?q?x?= "citazione" 🌊 alluvione a Marcallo con Casone è finita',
        "sender_name": 'Comune "di" Marcallo (MI)',
        "body": "🌊\n\n=?utf-8?q?x?=\n",
    },
    "no display name, the account's own": {
        "subject": "Segnalazione ricevuta",
        "sender_name": "",
        "body": "Gentile…\n",
    },
    "an empty subject": {"subject": "", "sender_name": "Comune di Pisa", "body": "b"},
}


def outgoing(**fields: str) -> OutgoingMessage:
    defaults = {"recipient": "maria.rossi@example.org", "language": "it", "in_reply_to": ""}
    return OutgoingMessage(
        notification_id=UUID("8f0b2a8e-64e4-5a1c-9d7d-1a3b5c7d9e0f"),
        message_key="8f0b2a8e-64e4-5a1c-9d7d-1a3b5c7d9e0f.2",
        tenant="forli",
        organization=None,
        case_id="c1",
        template="taken_in_charge",
        **(defaults | fields),
    )


def new_bytes(mail: OutgoingMessage) -> bytes:
    raw = wire_bytes(
        mail, SENDER, AT, message_id=message_id(mail.message_key), in_reply_to=reply_to(mail)
    )
    assert raw is not None, "a plain mail is written directly"
    return raw


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_the_same_headers_and_body_as_the_email_package(fields: dict[str, str]) -> None:
    mail = outgoing(**fields)
    old, new = parsed(build_message(mail, SENDER, AT).as_bytes()), parsed(new_bytes(mail))
    assert new.keys() == old.keys()
    for name in [key for key in old if key != "Subject"]:
        assert str(new[name]) == str(old[name]), name
    assert new["Subject"] == mail.subject
    # Where the two differ, `email` lost something: leading spaces, and a word that looked like
    # an encoded word was sent as it was (so readers decoded it). Both are kept now.
    if "=?" not in mail.subject:
        assert old["Subject"] == mail.subject.lstrip()
    # The body as the SMTP server received it before: flattened by aiosmtplib (CRLF).
    before = parsed(flatten_message(build_message(mail, SENDER, AT)))
    assert new.get_content() == before.get_content()
    lines = mail.body.splitlines() or [""]  # an empty body is one empty line, as before
    assert new.get_content() == "".join(f"{line}\r\n" for line in lines)
    assert new.get_content_type() == "text/plain" and new.get_content_charset() == "utf-8"
    assert new["Content-Transfer-Encoding"] == "quoted-printable"


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_readers_without_a_policy_decode_the_same_subject_and_sender(
    fields: dict[str, str],
) -> None:
    """The suite's and the benchmark's readers: compat32 and `decode_header` (which leave the
    unfolding to the caller: RFC 5322 unfolding removes the CRLF)."""
    mail = outgoing(**fields)
    message = message_from_bytes(new_bytes(mail))
    unfolded = re.sub(r"\r?\n", "", message["Subject"])
    assert str(make_header(decode_header(unfolded))) == mail.subject or not mail.subject
    sender = str(make_header(decode_header(re.sub(r"\r?\n", "", message["From"]))))
    assert sender.endswith("<noreply@sportello.example>")
    display_name = parsed(new_bytes(mail))["From"].addresses[0].display_name
    assert display_name == " ".join((mail.sender_name or "Sportello").split())


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_well_formed_lines_and_encoded_words(fields: dict[str, str]) -> None:
    raw = new_bytes(outgoing(**fields))
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert b"=?utf-8?q??=" not in head
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    words = re.findall(rb"=\?utf-8\?q\?[^?]*\?=", head)
    assert all(len(word) <= 75 for word in words)
    subject = next(line for line in head.split(b"\r\n") if line.startswith(b"Subject:"))
    assert subject.strip() == b"Subject:" or subject.removeprefix(b"Subject:").strip()


def test_the_reference_stays_readable_in_the_raw_subject() -> None:
    message = message_from_bytes(
        new_bytes(outgoing(**CASES["long accented subject, accented Comune"]))
    )
    assert "FO-2026-000123" in message["Subject"]
    assert message["Message-ID"] == "<8f0b2a8e-64e4-5a1c-9d7d-1a3b5c7d9e0f.2@sportello>"


@pytest.mark.parametrize(
    "fields",
    [
        {"recipient": "josé@example.org"},  # needs SMTPUTF8: the `email` path decides
        {"recipient": '"maria rossi"@example.org'},
        {"subject": "riga\r\nBcc: x@example.org"},  # `email` refuses it, as before
        {"language": "it\r\nX: y"},
    ],
)
def test_what_is_not_plain_is_left_to_the_email_package(fields: dict[str, str]) -> None:
    mail = outgoing(**({"subject": "s", "sender_name": "Comune di Pisa", "body": "b"} | fields))
    assert (
        wire_bytes(mail, SENDER, AT, message_id=message_id(mail.message_key), in_reply_to="")
        is None
    )
