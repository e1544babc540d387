"""The parsing corpus: what telephone systems, fax gateways, PEC providers and mail clients send,
read into who, when, what and which files (pure: no mailbox, no store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sportello_devstack import mail_corpus as corpus
from sportello_intake.mailbox.attachments import AttachmentStore, keep
from sportello_intake.mailbox.config import Mailbox
from sportello_intake.mailbox.parsing import Unreadable, parse
from sportello_intake.mailbox.taking import citizen_of, describe, received_time
from sportello_intake.mailbox.text import html_to_text, trim_reply

VOICEMAIL = Mailbox(id="voicemail", channel="voicemail")
FAX = Mailbox(id="fax", channel="fax")
EMAIL = Mailbox(id="email", channel="email")
PEC = Mailbox(id="pec", channel="pec")


def test_asterisk_voicemail_names_the_caller_and_keeps_the_recording(tmp_path: Path) -> None:
    at = corpus.rome(2026, 1, 9, 19, 30)
    item = parse(corpus.asterisk_voicemail("+39 333 1234567", "Mario Rossi", at))
    assert item.sent_at == at
    assert citizen_of(item, VOICEMAIL) == {
        "name": "Mario Rossi",
        "phone": "+39 333 1234567",
        "language": "it",
    }
    [recording] = keep(AttachmentStore(tmp_path), item.parts, VOICEMAIL)
    assert recording["media_type"] == "audio/x-wav"
    assert recording["uri"].startswith("sportello-attachment:sha256:")
    digest = recording["uri"].rsplit(":", 1)[1]
    assert (tmp_path / digest[:2] / digest).read_bytes()[:4] == b"RIFF"


def test_a_caller_without_a_name_and_an_anonymous_one() -> None:
    item = parse(corpus.asterisk_voicemail("0114426495", name=""))
    assert citizen_of(item, VOICEMAIL) == {
        "name": "Chiamante 0114426495",
        "phone": "0114426495",
        "language": "it",
    }
    anonymous = parse(
        corpus.asterisk_voicemail("", name="").replace(b"from ,", b"from an unknown caller,")
    )
    with pytest.raises(Unreadable) as refused:
        citizen_of(anonymous, VOICEMAIL)
    assert refused.value.code == "no_caller"


def test_a_pattern_of_another_telephone_system() -> None:
    mailbox = Mailbox(
        id="voicemail",
        channel="voicemail",
        caller_patterns=(r"Messaggio vocale da (?P<number>\d+) \((?P<name>[^)]*)\)",),
    )
    item = parse(
        corpus.citizen_mail("pbx@3cx.example", "Messaggio vocale da 3471112233 (Lia Neri)")
    )
    assert citizen_of(item, mailbox)["phone"] == "3471112233"
    assert citizen_of(item, mailbox)["name"] == "Lia Neri"


def test_fax_pdf_from_the_sending_number(tmp_path: Path) -> None:
    item = parse(corpus.fax("011 7654321"))
    assert citizen_of(item, FAX)["phone"] == "011 7654321"
    [pages] = keep(AttachmentStore(tmp_path), item.parts, FAX)
    assert pages["media_type"] == "application/pdf" and "uri" in pages


def test_pec_certified_sender_and_time_from_daticert() -> None:
    item = parse(corpus.pec_envelope("mario.rossi@pec.example.it", certified="05/01/2026 10:30:00"))
    assert item.certified and item.automatic is None
    assert item.sent_at == datetime(2026, 1, 5, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert citizen_of(item, PEC)["email"] == "mario.rossi@pec.example.it"
    assert item.subject == "Richiesta di intervento: buca in strada"
    assert "buca profonda in via Roma 3" in item.text
    assert [p.name for p in item.parts] == []  # daticert, postacert, signature are the envelope
    # the citizen's own message (postacert.eml) is the one answered, not the provider's envelope
    assert item.message_id is not None and item.message_id != item.key
    assert "pec.provider.example" in item.key and "pec.provider" not in item.message_id


def test_pec_receipts_are_no_cases() -> None:
    item = parse(corpus.pec_envelope(kind="accettazione"))
    assert item.automatic == "ricevuta PEC (accettazione)"


def test_html_only_mail_reads_as_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Buongiorno,</p>"
        "<p>in via Nizza 20 c&egrave; un <b>cassonetto</b> rotto.</p>"
        "<blockquote>testo citato</blockquote></body></html>"
    )
    item = parse(corpus.citizen_mail(text="", html=html))
    assert item.text == "Buongiorno,\n\nin via Nizza 20 cè un cassonetto rotto."
    assert html_to_text("<div>a<br>b</div>") == "a\nb"


def test_quoted_replies_and_signatures_are_trimmed() -> None:
    text = (
        "Il problema non è stato risolto.\n\n--\nGiulia Bianchi\nvia Po 1\n\n"
        "Il giorno lun 5 gen 2026 alle 10:00 Comune di Torino <noreply@x> ha scritto:\n"
        "> La sua segnalazione TO-2026-000001 è stata presa in carico\n"
    )
    assert trim_reply(text) == "Il problema non è stato risolto."
    outlook = "Va bene, grazie.\nInviato da iPhone\n\nDa: Comune\nInviato: lunedì\n"
    assert trim_reply(outlook) == "Va bene, grazie."


def test_wrong_encodings_read_as_well_as_they_can() -> None:
    item = parse(corpus.wrong_encoding())
    assert item.subject == "Rumori notturni in piazza"
    assert "c'è musica" in item.text and "Città di Torino" in item.text


def test_a_30_mb_attachment_is_refused_with_a_reason(tmp_path: Path) -> None:
    big = b"\x89PNG" + b"\x00" * (30 * 1024 * 1024)
    item = parse(corpus.citizen_mail(attachments=[("foto.png", "image/png", big)]))
    files = keep(AttachmentStore(tmp_path), item.parts, EMAIL)
    assert files == [
        {
            "name": "foto.png",
            "media_type": "image/png",
            "size": len(big),
            "refused": "supera il limite di 20 MB (30.0 MB)",
        }
    ]
    assert not list(tmp_path.iterdir())
    assert "[allegato «foto.png» non acquisito: supera il limite di 20 MB" in describe(item, files)


def test_types_outside_the_list_are_refused(tmp_path: Path) -> None:
    item = parse(corpus.citizen_mail(attachments=[("x.exe", "application/x-msdownload", b"MZ")]))
    [entry] = keep(AttachmentStore(tmp_path), item.parts, EMAIL)
    assert entry["refused"] == "tipo di file non ammesso (application/x-msdownload)"


def test_a_malformed_message_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        parse(corpus.malformed())
    assert refused.value.code == "malformed"


def test_no_sender_is_unreadable_for_written_channels() -> None:
    item = parse(
        b"Subject: senza mittente\r\nDate: Mon, 05 Jan 2026 09:00:00 +0100\r\n\r\nciao\r\n"
    )
    with pytest.raises(Unreadable) as refused:
        citizen_of(item, EMAIL)
    assert refused.value.code == "no_sender"


def test_one_key_per_message() -> None:
    mail = corpus.citizen_mail(message_id="<abc@example.org>")
    assert parse(mail).key == "<abc@example.org>"
    no_id = b"From: a@example.org\r\nSubject: x\r\n\r\ny\r\n"
    assert parse(no_id).key.startswith("sha256:") and parse(no_id).key == parse(no_id).key
    assert parse(mail).message_id == "<abc@example.org>"  # what the answers reply to
    assert parse(no_id).message_id is None  # nothing to reply to


def test_auto_replies_are_no_citizens_messages() -> None:
    mail = corpus.citizen_mail().replace(
        b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1
    )
    assert parse(mail).automatic == "risposta automatica (Auto-Submitted: auto-replied)"


def test_the_message_time_unless_absent_or_implausible() -> None:
    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    sent = now - timedelta(hours=5)
    assert received_time(sent, now - timedelta(hours=4), now) == sent
    assert received_time(None, now - timedelta(hours=4), now) == now - timedelta(hours=4)
    assert received_time(now + timedelta(hours=1), now, now) == now  # a clock ahead
    assert received_time(now - timedelta(days=30), now, now) == now  # a clock far behind
