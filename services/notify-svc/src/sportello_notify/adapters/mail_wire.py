"""The bytes of a notification mail, written directly instead of through `email.message`.

With the standard library's default policy every header set on an `EmailMessage` is parsed into
a header object and folded again when the message is flattened for SMTP: a third of notify's CPU
under load went there. Our mails always have the same shape (one plain-text part in UTF-8,
quoted-printable; a handful of headers), so this module writes that shape itself, with the same
headers and the same meaning once decoded:

- words of the Subject and of the sender's display name that are plain ASCII stay readable (a
  case's reference is found in the raw Subject), the others are RFC 2047 encoded words, each at
  most 75 characters, split on whole characters, so no empty `=?utf-8?q??=` word is ever made
  (Python's folding at 78 columns made one on the wire before an accented word);
- lines are folded at 78 columns between words; the body is quoted-printable in 76-column lines.

What does not have that shape (an address that is not plain ASCII, which needs SMTPUTF8; control
characters; an odd Message-ID) gets None, and the caller builds the message with `email` as
before (`mailer.build_message`), so nothing unusual is rendered by new code.
"""

from __future__ import annotations

import email.quoprimime
import re
from datetime import datetime
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from .delivery import OutgoingMessage

MAX_LINE = 78  # RFC 5322's "should": lines are folded there when a word boundary allows
MAX_ENCODED = 75  # RFC 2047: an encoded word is at most 75 characters
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="
_ROOM = MAX_ENCODED - len(_PREFIX) - len(_SUFFIX)

_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
ADDR_SPEC = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
PLAIN_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,900}>")  # printable ASCII, no <>
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
ATOM = re.compile(rf"[{_ATEXT}]+")  # a display name's word that needs no quoting
VISIBLE = re.compile(r"[\x21-\x7e]+")  # a Subject's word that needs no encoding
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LONGEST_WORD = 900  # a longer word than this is encoded (and so split), lines stay < 998


@lru_cache(maxsize=16)
def configured_sender(sender: str) -> tuple[str, str]:
    """(name, address) of a configured account: parsed once, not for every mail."""
    return parseaddr(sender)


def wire_bytes(
    mail: OutgoingMessage, sender: str, at: datetime, *, message_id: str, in_reply_to: str
) -> bytes | None:
    """The message as sent (CRLF), or None if it is not of the plain shape this module writes.

    `sender` is the configured account ("Sportello <noreply@...>"), shown under the Comune's
    name when the mail has one; `in_reply_to` is "" or a Message-ID already checked."""
    configured_name, address = configured_sender(sender)
    name = mail.sender_name or configured_name
    subject = _unstructured("Subject", mail.subject)
    sender_line = _mailbox("From", name, address)
    plain = (
        ADDR_SPEC.fullmatch(mail.recipient)
        and PLAIN_MESSAGE_ID.fullmatch(message_id)
        and (not in_reply_to or PLAIN_MESSAGE_ID.fullmatch(in_reply_to))
        and LANGUAGE_TAG.fullmatch(mail.language)
    )
    if subject is None or sender_line is None or not plain:
        return None
    lines = [sender_line, f"To: {mail.recipient}", subject, f"Date: {format_datetime(at)}"]
    lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    lines += [
        "Auto-Submitted: auto-generated",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "MIME-Version: 1.0",
        f"Content-Language: {mail.language}",
        "",
        _quoted_printable(mail.body),
    ]
    return "\r\n".join(lines).encode("ascii")


def _quoted_printable(body: str) -> str:
    """As `EmailMessage.set_content(body, cte="quoted-printable")` encodes it: line breaks made
    uniform, a final one added; then RFC 2045's 76-column lines."""
    lines = body.encode("utf-8").splitlines()
    text = (b"\n".join(lines) + b"\n").decode("latin-1")
    return email.quoprimime.body_encode(text, maxlinelen=76, eol="\r\n")


def _unstructured(name: str, text: str) -> str | None:
    if CONTROL.search(text):
        return None  # `email` refuses line breaks in a header, and so do we: the old path says so
    return _fold(name, _words(text, VISIBLE))


def _mailbox(name: str, display: str, address: str) -> str | None:
    if not ADDR_SPEC.fullmatch(address) or CONTROL.search(display) or "=?" in display:
        return None
    if not display:
        return _fold(name, [address])
    if display.isascii():
        return _fold(name, formataddr((display, address)).rsplit(" ", 1))  # quoted if need be
    return _fold(name, [*_words(display, ATOM), f"<{address}>"])


def _words(text: str, clear: re.Pattern[str]) -> list[str]:
    """The header's words: clear ones as they are, each run of the others (with the spaces
    inside it) as encoded words. Whitespace other than single spaces between words is kept
    exactly by encoding the whole text."""
    words = text.split(" ")
    if "" in words:  # leading, trailing or repeated spaces: decoders would not keep them
        return _encoded(text) if text else []
    out: list[str] = []
    run: list[str] = []
    for word in words:
        if clear.fullmatch(word) and "=?" not in word and len(word) <= LONGEST_WORD:
            if run:
                out += _encoded(" ".join(run))
                run = []
            out.append(word)
        else:
            run.append(word)
    if run:
        out += _encoded(" ".join(run))
    return out


def _encoded(text: str) -> list[str]:
    """RFC 2047 Q encoded words of at most 75 characters, split between characters (whitespace
    between adjacent encoded words is not part of the text, so the split adds nothing)."""
    words: list[str] = []
    chunk = ""
    for char in text:
        piece = email.quoprimime.header_encode(char.encode("utf-8"), "utf-8")
        piece = piece[len(_PREFIX) : -len(_SUFFIX)]
        if len(chunk) + len(piece) > _ROOM:
            words.append(_PREFIX + chunk + _SUFFIX)
            chunk = ""
        chunk += piece
    if chunk:
        words.append(_PREFIX + chunk + _SUFFIX)
    return words


def _fold(name: str, words: list[str]) -> str:
    """`Name: word word …`, a line break before a word that would pass column 78 (never before
    the first word, so a header never starts blank)."""
    line = f"{name}:"
    lines: list[str] = []
    for index, word in enumerate(words):
        if index and len(line) + 1 + len(word) > MAX_LINE:
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines)
