"""What a citizen wrote, out of what a mail client sent: HTML as text, wrong charsets read as
well as they can be, signatures and the quoted earlier messages cut away. Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
)
HIDDEN = frozenset({"script", "style", "head", "title"})

# Where the quoted earlier message starts ("Il giorno ... ha scritto:", Outlook's header block).
QUOTE_STARTS = (
    re.compile(r"^\s*(il|on)\b.{0,200}\b(ha scritto|wrote)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(messaggio originale|original message)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*(da|from)\s*:\s.+$", re.IGNORECASE),  # Outlook: From/Sent/To/Subject
    re.compile(r"^\s*_{20,}\s*$"),
)
# Where a signature starts: RFC 3676's "-- ", and what phones append.
SIGNATURE_STARTS = (
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*(inviato da|inviato dal mio|sent from my|get outlook for)\b", re.IGNORECASE),
)


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        if tag == "blockquote":
            self.quoted += 1  # a quoted earlier message, in HTML
        if tag in BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag == "blockquote":
            self.quoted = max(0, self.quoted - 1)
        if tag in BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden and not self.quoted:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def decode(data: bytes, charset: str | None) -> str:
    """The declared charset when it reads without error; else UTF-8, else Windows-1252 (what a
    mail that lies about its charset is nearly always in), never an exception."""
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def trim_reply(text: str) -> str:
    """The new text only: no quoted lines, no quoted earlier message, no signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if any(p.match(line) for p in SIGNATURE_STARTS) or any(p.match(line) for p in QUOTE_STARTS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
