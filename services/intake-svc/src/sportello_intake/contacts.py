"""No anonymous cases, for real: the contacts a case is registered with must reach a person.

Pure. The contract's Citizen already asks for one of e-mail, phone or postal address; here a
postal address must look like one (a street or number, and a town) and a phone must have enough
digits, so "n/d", "-" or "000" do not pass as a way to write back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

STREET = re.compile(
    r"\b(via|viale|v\.le|piazza|p\.zza|p\.za|piazzale|piazzetta|corso|c\.so|largo|vicolo|vico|"
    r"strada|str\.|località|loc\.|frazione|fraz\.|borgo|contrada|c\.da|lungarno|lungomare|"
    r"salita|calle|rione|regione|cascina|galleria|traversa|viottolo|casella postale)\b",
    re.IGNORECASE,
)
LETTERS = re.compile(r"[^\W\d_]")


def looks_postal(address: str) -> bool:
    """'via Roma 1, 56125 Pisa', 'Piazza Chiesa 15 Rescaldina (MI)': a street and a town."""
    text = " ".join(address.split())
    street = bool(STREET.search(text) or re.search(r"\d", text))
    parts = [p for p in re.split(r"[,;\n]", text) if LETTERS.search(p)]
    town = (
        len(parts) >= 2
        or bool(re.search(r"\b\d{5}\b", text))
        or bool(re.search(r"\([A-Z]{2}\)", text))
    )
    return street and town and len(LETTERS.findall(text)) >= 6


def reaches_someone(phone: str) -> bool:
    digits = re.sub(r"\D", "", phone)
    return len(digits) >= 6 and len(set(digits)) > 1


class ContactUnusable(ValueError):
    """A contact that cannot reach the citizen: said in the caller's language."""

    def __init__(self, field: str, it: str, en: str) -> None:
        super().__init__(en)
        self.field = field
        self.texts = {"it": it, "en": en}

    def localized(self, language: str) -> str:
        return self.texts.get(language, self.texts["it"])

    def problem_extra(self) -> dict[str, Any]:
        return {"field": self.field}


def check_contacts(citizen: Mapping[str, Any]) -> None:
    address = citizen.get("address")
    if address and not looks_postal(str(address)):
        raise ContactUnusable(
            "citizen.address",
            it="l'indirizzo postale deve indicare via (o numero civico) e comune, "
            "es. 'via Roma 1, 56125 Pisa'; se non è noto, lo ometta",
            en="a postal address needs a street (or house number) and a town, "
            "e.g. 'via Roma 1, 56125 Pisa'; leave it out if unknown",
        )
    phone = citizen.get("phone")
    if phone and not reaches_someone(str(phone)):
        raise ContactUnusable(
            "citizen.phone",
            it="il numero di telefono non è valido: servono almeno 6 cifre",
            en="the phone number is not valid: it needs at least 6 digits",
        )


EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_IN_TEXT = re.compile(r"\+?\d[\d ./-]{6,18}\d")


def contacts_named_in(text: str) -> list[dict[str, str]]:
    """The e-mail addresses and phone numbers anywhere in a text, each as a citizen's contact
    (a dead letter that is not a readable submission may still name someone)."""
    emails = [{"email": e} for e in EMAIL_IN_TEXT.findall(text)]
    return emails + [{"phone": p} for p in PHONE_IN_TEXT.findall(text)]
