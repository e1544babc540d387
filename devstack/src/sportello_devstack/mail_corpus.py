"""Messages shaped as telephone systems, fax gateways, PEC providers and mail clients send them:
the corpus the mailbox tests take in (built here, nothing downloaded)."""

from __future__ import annotations

import io
import uuid
import wave
from datetime import UTC, datetime, timedelta, timezone
from email import encoders, message_from_bytes
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime


def wav(seconds: float = 1.0) -> bytes:
    """A real WAV (8 kHz mono, as Asterisk records), silent."""
    out = io.BytesIO()
    with wave.open(out, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


def pdf(text: str = "Segnalazione via fax") -> bytes:
    """A one-page PDF, as a fax gateway attaches it."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )


def _id() -> str:
    return f"<{uuid.uuid4().hex}@corpus.example>"


def asterisk_voicemail(
    number: str = "3331234567",
    name: str = "Mario Rossi",
    at: datetime | None = None,
    message_id: str | None = None,
    mailbox: str = "100",
) -> bytes:
    """Asterisk's default voicemail e-mail (emailsubject/emailbody unset), WAV attached."""
    at = at or datetime.now(UTC)
    caller = f'"{name}" <{number}>' if name else number
    message = MIMEMultipart("mixed")
    message["From"] = '"Asterisk PBX" <asterisk@pbx.comune.example>'
    message["To"] = "segreteria@comune.example"
    message["Subject"] = f"[PBX]: New message 1 in mailbox {mailbox}"
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id or f"<Asterisk-1-{uuid.uuid4().hex}@pbx.comune.example>"
    message.attach(
        MIMEText(
            f"Dear Contact Center:\n\n\tjust wanted to let you know you were just left a 0:42 "
            f"long message (number 1)\nin mailbox {mailbox} from {caller}, on "
            f"{at:%A, %B %d, %Y at %I:%M:%S %p} so you might\nwant to check it when you get a "
            "chance.  Thanks!\n\n\t\t\t\t--Asterisk\n",
            "plain",
            "utf-8",
        )
    )
    recording = MIMEBase("audio", "x-wav")
    recording.set_payload(wav())
    recording.add_header("Content-Disposition", "attachment", filename="msg0001.wav")
    encoders.encode_base64(recording)
    message.attach(recording)
    return message.as_bytes()


def fax(number: str = "011 7654321", at: datetime | None = None) -> bytes:
    """A fax gateway's mail: the sending number in the subject, the pages as a PDF."""
    at = at or datetime.now(UTC)
    message = MIMEMultipart("mixed")
    message["From"] = "fax-gateway@comune.example"
    message["Subject"] = f"Fax ricevuto da {number} (2 pagine)"
    message["Date"] = format_datetime(at)
    message["Message-ID"] = _id()
    message.attach(MIMEText("Fax ricevuto, 2 pagine, in allegato.", "plain", "utf-8"))
    pages = MIMEApplication(pdf(), "pdf", Name="fax.pdf")
    pages.add_header("Content-Disposition", "attachment", filename="fax.pdf")
    message.attach(pages)
    return message.as_bytes()


def citizen_mail(
    sender: str = "Giulia Bianchi <giulia.bianchi@example.org>",
    subject: str = "Lampione spento in via Po",
    text: str = "Buongiorno,\nil lampione davanti al civico 12 è spento da una settimana.\n",
    at: datetime | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "contactcenterpm@comune.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(at or datetime.now(UTC))
    message["Message-ID"] = message_id or _id()
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    if html is not None and not text:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text)
    for name, media_type, data in attachments or []:
        main, sub = media_type.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return message.as_bytes()


def wrong_encoding() -> bytes:
    """Declares UTF-8, is Windows-1252; a subject in a charset nobody knows."""
    return (
        b"From: Anna Verdi <anna.verdi@example.org>\r\n"
        b"Subject: =?x-unknown?Q?Rumori_notturni?= in piazza\r\n"
        b"Date: Mon, 05 Jan 2026 09:15:00 +0100\r\n"
        b"Message-ID: <wrong-encoding-1@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Ogni notte c'\xe8 musica fino alle 3: \xe8 impossibile dormire. Citt\xe0 di Torino.\r\n"
    )


def malformed() -> bytes:
    return b"\x00\x01\x02 this is not a mail message at all \xff\xfe\r\n\r\n\x89PNG"


def pec_envelope(
    sender: str = "mario.rossi@pec.example.it",
    subject: str = "Richiesta di intervento: buca in strada",
    text: str = "Si segnala una buca profonda in via Roma 3.\n\nDistinti saluti\nMario Rossi",
    certified: str = "05/01/2026 10:30:00",
    zone: str = "+0100",
    kind: str = "posta-certificata",
) -> bytes:
    """A PEC provider's envelope: its text, daticert.xml, postacert.eml and the signature."""
    original = citizen_mail(f"Mario Rossi <{sender}>", subject, text)
    identifier = f"opec210312.{uuid.uuid4().hex[:12]}@pec.provider.example"
    envelope = MIMEMultipart("mixed")
    envelope["From"] = f'"Per conto di: {sender}" <posta-certificata@pec.provider.example>'
    envelope["Subject"] = f"POSTA CERTIFICATA: {subject}"
    envelope["Date"] = "Mon, 05 Jan 2026 10:30:05 +0100"
    envelope["Message-ID"] = f"<{identifier}>"
    envelope["X-Trasporto"] = "posta-certificata"
    envelope.attach(
        MIMEText(
            f"Messaggio di posta certificata\nIl giorno {certified} il messaggio "
            f'"{subject}" è stato inviato da "{sender}".',
            "plain",
            "utf-8",
        )
    )
    daticert = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<postacert tipo="{kind}" errore="nessuno">'
        f"<intestazione><mittente>{sender}</mittente>"
        f'<destinatari tipo="certificato">protocollo@pec.comune.example</destinatari>'
        f"<risposte>{sender}</risposte><oggetto>{subject}</oggetto></intestazione>"
        f"<dati><gestore-emittente>PEC Provider S.p.A.</gestore-emittente>"
        f'<data zona="{zone}"><giorno>{certified.split()[0]}</giorno>'
        f"<ora>{certified.split()[1]}</ora></data>"
        f"<identificativo>{identifier}</identificativo><msgid>&lt;x@y&gt;</msgid></dati>"
        f"</postacert>"
    )
    xml = MIMEApplication(daticert.encode(), "xml", Name="daticert.xml")
    xml.add_header("Content-Disposition", "inline", filename="daticert.xml")
    envelope.attach(xml)
    if kind == "posta-certificata":
        inner = MIMEBase("message", "rfc822")
        inner.set_payload([message_from_bytes(original)])
        inner.add_header("Content-Disposition", "attachment", filename="postacert.eml")
        envelope.attach(inner)
    signature = MIMEApplication(b"0\x82signature", "pkcs7-signature", Name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    envelope.attach(signature)
    return envelope.as_bytes()


def rome(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone(timedelta(hours=1)))
