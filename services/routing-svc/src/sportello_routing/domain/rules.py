"""Routing rules: ordered, each pointing at an organization, matched against a case's facts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sportello_contracts.cases import Channel, Kind
from sportello_shared.worded import Worded

from .areas import Areas

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
RULE_ID = r"^[a-z0-9][a-z0-9_.:-]{0,62}$"
RESERVED_RULE_IDS = frozenset({"default", "manual", "reopen"})


@dataclass(frozen=True)
class CaseFacts:
    """What routing looks at in a case."""

    tenant: str
    kind: str
    channel: str
    category: str
    description: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Verdict:
    """How one rule judged a case: matched or not, and the reasons in words; `won` for the one
    that decided."""

    rule_id: str
    organization: str
    matched: bool
    reasons: tuple[str, ...]
    won: bool = False


def normalise(text: str) -> str:
    """Case, accents and spacing do not matter: 'Città' matches 'citta'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def mentions(description: str, keyword: str) -> bool:
    """A whole word or phrase: 'tassa' is in 'la tassa rifiuti', not in 'tassativo'."""
    return _in_normalised(normalise(description), keyword)


def _in_normalised(text: str, keyword: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(normalise(keyword))}(?!\w)", text) is not None


class Rule(BaseModel):
    """Sends matching cases to `organization`. An empty condition matches anything."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=RULE_ID)
    organization: str = Field(pattern=SLUG)
    description: str = ""
    kinds: tuple[Kind, ...] = ()
    channels: tuple[Channel, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = Field(default=(), description="any of them in the description")
    areas: tuple[str, ...] = Field(default=(), description="the case's location in any of them")
    overrides_category: bool = Field(
        default=False,
        description="keywords without categories take a case away from the category chosen for "
        "it: allowed only when a rule says so on purpose",
    )

    @field_validator("keywords")
    @classmethod
    def _keywords_are_words(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        if any(not normalise(k) for k in keywords):
            raise Worded("a keyword cannot be blank", it="una parola chiave non può essere vuota")
        return keywords

    @property
    def is_unconditional_for_category(self) -> bool:
        return not (self.kinds or self.channels or self.keywords or self.areas)

    def evaluate(self, facts: CaseFacts, areas: Areas) -> Verdict:
        checks = [
            _among("kind", facts.kind, self.kinds),
            _among("channel", facts.channel, self.channels),
            _among("category", facts.category, self.categories),
            self._keywords(facts.description),
            self._areas(facts, areas),
        ]
        failed = [why for ok, why in checks if not ok and why]
        if failed:
            return Verdict(self.id, self.organization, False, tuple(failed))
        return Verdict(self.id, self.organization, True, tuple(why for _, why in checks if why))

    def covers(self, other: Rule) -> bool:
        """Every case `other` matches, this rule matches too (judged condition by condition)."""
        pairs = [
            (self.kinds, other.kinds),
            (self.channels, other.channels),
            (self.categories, other.categories),
            (self.keywords, other.keywords),
            (self.areas, other.areas),
        ]
        return all(not mine or (theirs and set(theirs) <= set(mine)) for mine, theirs in pairs)

    def _keywords(self, description: str) -> tuple[bool, str]:
        if not self.keywords:
            return True, ""
        text = normalise(description)
        found = [k for k in self.keywords if _in_normalised(text, k)]
        if found:
            return True, f"the description mentions {', '.join(repr(k) for k in found)}"
        return False, f"the description mentions none of {_listed(self.keywords)}"

    def _areas(self, facts: CaseFacts, areas: Areas) -> tuple[bool, str]:
        if not self.areas:
            return True, ""
        if facts.lat is None or facts.lon is None:
            return False, "the case has no location"
        area = areas.containing(facts.lat, facts.lon, self.areas)
        if area is None:
            where = f"({facts.lat}, {facts.lon})"
            return False, f"the location {where} is outside {_listed(self.areas)}"
        return True, f"the location is inside area {area.id!r} ({area.name})"


def _among(what: str, value: str, allowed: tuple[str, ...]) -> tuple[bool, str]:
    if not allowed:
        return True, ""
    if value in allowed:
        return True, f"{what} is {value!r}"
    return False, f"{what} {value!r} is not one of {_listed(allowed)}"


def _listed(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(repr(str(v)) for v in values) + "]"


class RulesDocument(BaseModel):
    """One version of a tenant's rules: ordered rules, areas, and the triage default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str = Field(pattern=SLUG, description="the triage queue for what no rule routes")
    areas: Areas = Field(default_factory=Areas)
    rules: tuple[Rule, ...] = ()
