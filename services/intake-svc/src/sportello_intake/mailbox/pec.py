"""PEC (posta elettronica certificata): the provider's envelope around the citizen's message.

The envelope carries `daticert.xml` (the certified sender, the certified time, the kind of
message) and the original as `postacert.eml`. Receipts (accettazione, consegna, errors) carry a
daticert.xml of another `tipo` and no citizen's message. Pure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


class NotCertified(ValueError):
    """The envelope's daticert.xml cannot be read."""


@dataclass(frozen=True)
class Certificate:
    kind: str  # posta-certificata for a citizen's message; accettazione, avvenuta-consegna...
    sender: str  # the certified sender (<mittente>)
    subject: str
    certified_at: datetime
    identifier: str  # the provider's message identifier


def read_daticert(xml: bytes) -> Certificate:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise NotCertified(f"daticert.xml illeggibile: {exc}") from exc
    kind = root.get("tipo", "")
    sender = (root.findtext("intestazione/mittente") or "").strip()
    if not kind or not sender:
        raise NotCertified("daticert.xml senza tipo o mittente")
    return Certificate(
        kind=kind,
        sender=sender,
        subject=(root.findtext("intestazione/oggetto") or "").strip(),
        certified_at=_certified_time(root),
        identifier=(root.findtext("dati/identificativo") or "").strip(),
    )


def _certified_time(root: ET.Element) -> datetime:
    """<data zona="+0100"><giorno>05/01/2026</giorno><ora>10:00:00</ora></data>"""
    data = root.find("dati/data")
    if data is None:
        raise NotCertified("daticert.xml senza data certificata")
    zone = re.fullmatch(r"([+-])(\d{2})(\d{2})", data.get("zona", "+0000").strip())
    try:
        day = datetime.strptime(
            f"{data.findtext('giorno', '').strip()} {data.findtext('ora', '').strip()}",
            "%d/%m/%Y %H:%M:%S",
        )
    except ValueError as exc:
        raise NotCertified(f"data certificata illeggibile: {exc}") from exc
    if zone is None:
        raise NotCertified(f"zona oraria illeggibile: {data.get('zona')!r}")
    sign = 1 if zone[1] == "+" else -1
    offset = timedelta(hours=int(zone[2]), minutes=int(zone[3])) * sign
    return day.replace(tzinfo=timezone(offset))
