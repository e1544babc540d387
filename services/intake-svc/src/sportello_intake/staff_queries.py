"""What the console asks before and while it works, beside the search index.

- a citizen's cases, by the pseudonym of their e-mail or phone (the vault's links: never a
  clear-text index of contacts);
- open cases of a category at the same address (the index narrows to the tenant's open cases of
  that category, newest first; the address is read from each file, where it is sealed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from .domain import Case
from .search import CaseQuery

if TYPE_CHECKING:
    from .application import IntakeApplication

PLACE_SCAN = 200  # open cases of one category read for an address match, newest first
ABBREVIATIONS = {
    "v": "via", "v.le": "viale", "p.za": "piazza", "p.zza": "piazza", "p.le": "piazzale",
    "c.so": "corso", "l.go": "largo", "str": "strada", "loc": "località", "fraz": "frazione",
}  # fmt: skip


@dataclass
class Match:
    case: Case
    reasons: list[str] = field(default_factory=list)  # "citizen", "place"


def normalise_address(address: str) -> str:
    """'Via Roma, 1 - Torino' and 'via roma 1, Torino' → 'via roma 1': street and number."""
    text = re.sub(r",\s*(\d)", r" \1", address.strip().lower())
    street = re.split(r"[,;\n]| - ", text)[0]
    words = [ABBREVIATIONS.get(w.rstrip("."), ABBREVIATIONS.get(w, w)) for w in street.split()]
    return " ".join(w.strip(".") for w in words if w.strip("."))


def cases_of_contacts(
    app: IntakeApplication, email: str | None, phone: str | None, open_only: bool = False
) -> list[Case]:
    """Every case linked to the citizen's e-mail or phone pseudonym, newest first; a case
    whose personal data was erased is no longer anyone's."""
    contacts = {k: v for k, v in {"email": email, "phone": phone}.items() if v}
    if not contacts:
        return []
    ids = app.vault.aggregates_of(app.pseudonyms_of(contacts))
    found = [case for case in map(app.find_case, ids) if case is not None]
    kept = [
        case
        for case in found
        if case.personal_data_erased_at is None and (case.is_open or not open_only)
    ]
    return sorted(kept, key=lambda case: case.received_at, reverse=True)


def open_cases_at(app: IntakeApplication, tenant: str, category: str, address: str) -> list[Case]:
    wanted = normalise_address(address)
    if not wanted:
        return []
    query = CaseQuery(tenant=tenant, category=category, is_open=True, limit=PLACE_SCAN)
    rows, _ = app.index.search(query)
    found = []
    for row in rows:
        case = app.find_case(UUID(row.case_id))
        where = (case.location or {}).get("address") if case is not None else None
        if case is not None and where and normalise_address(str(where)) == wanted:
            found.append(case)
    return found


def possible_duplicates(
    app: IntakeApplication,
    tenant: str,
    category: str | None,
    address: str | None,
    email: str | None,
    phone: str | None,
) -> list[Match]:
    """Open cases of the same citizen (any category) or of the same category and address."""
    matches: dict[UUID, Match] = {}
    for case in cases_of_contacts(app, email, phone, open_only=True):
        if case.tenant == tenant:
            matches.setdefault(case.id, Match(case)).reasons.append("citizen")
    if category and address:
        for case in open_cases_at(app, tenant, category, address):
            matches.setdefault(case.id, Match(case)).reasons.append("place")
    return sorted(matches.values(), key=lambda m: m.case.received_at, reverse=True)
