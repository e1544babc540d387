"""A postal address that looks like one, a phone that can ring."""

from __future__ import annotations

import pytest
from sportello_intake.contacts import ContactUnusable, check_contacts, looks_postal


@pytest.mark.parametrize(
    "address",
    [
        "via Roma 1, 56125 Pisa",
        "Via Garibaldi 99, Torino",
        "Piazza Chiesa 15 Rescaldina (MI)",
        "Corso Francia 12 10138 Torino",
        "Località Cascina Nuova, Marcallo con Casone",
    ],
)
def test_addresses_that_reach_someone(address: str) -> None:
    assert looks_postal(address)


@pytest.mark.parametrize("address", ["n/d", "-", "via Roma", "sconosciuto, sconosciuto", "???"])
def test_placeholders_are_not_addresses(address: str) -> None:
    assert not looks_postal(address)


def test_the_refusal_names_the_field_in_both_languages() -> None:
    with pytest.raises(ContactUnusable) as refused:
        check_contacts({"name": "Mario", "phone": "0000000"})
    assert refused.value.problem_extra() == {"field": "citizen.phone"}
    assert "6 cifre" in refused.value.localized("it")
    assert "6 digits" in refused.value.localized("en")
    check_contacts({"name": "Mario", "email": "mario@example.org"})  # nothing to object to
