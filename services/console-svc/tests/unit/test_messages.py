"""Every word the console shows exists in Italian and English: the two catalogues have the same
keys, every key the templates and pages ask for by name is there, and every channel, kind and
handling mode of the contract has its word (a missing one would show its key to the staff)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sportello_console.catalogue import console_catalogue
from sportello_contracts.cases import Channel, HandlingMode, Kind

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "sportello_console"
ASKED = re.compile(r"""\b_\(\s*["']([a-z0-9_.\-]+)["']\s*[,)]""")
MESSAGES = console_catalogue().messages


def test_italian_and_english_have_the_same_words() -> None:
    italian, english = set(MESSAGES["it"]), set(MESSAGES["en"])
    assert sorted(italian - english) == [], "in Italian only"
    assert sorted(english - italian) == [], "in English only"


def asked_by_name() -> set[tuple[str, str]]:
    files = [*CONSOLE.rglob("*.html"), *CONSOLE.rglob("*.py")]
    return {(key, path.name) for path in files for key in ASKED.findall(path.read_text("utf-8"))}


def test_every_word_asked_for_by_name_exists() -> None:
    asked = asked_by_name()
    assert len(asked) > 100  # the pattern finds the templates' calls
    missing = sorted((key, where) for key, where in asked if key not in MESSAGES["it"])
    assert missing == []


@pytest.mark.parametrize(
    ("prefix", "values"), [("channel", Channel), ("kind", Kind), ("mode", HandlingMode)]
)
def test_every_value_of_the_contract_has_its_word(prefix: str, values: type) -> None:
    for value in values:
        for language in ("it", "en"):
            assert f"{prefix}.{value.value}" in MESSAGES[language], (language, value)
