"""A tenant's privacy policy (deploy/tenants/<tenant>/privacy.yaml): what is published, how long
personal data is kept. Without the file: nothing is public, and the default retention applies.

Pure rules, no I/O: `PublicationView` says what one reader (the public, or an Open311 client
with a key) may see of a case; `coarsen_address` and `snap_to_grid` blur a location.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sportello_contracts.cases import Channel

# A citizen who wrote on a public-facing reporting tool may see their words published; one who
# phoned, left a voicemail, came to the counter, sent a letter, a fax or a private e-mail did not
# write for the public: their description is never published, whatever the category's policy.
PUBLISHABLE_CHANNELS = frozenset({Channel.WEB, Channel.APP, Channel.OPEN311, Channel.PLATFORM})
DEFAULT_RETENTION_MONTHS = 24
GRID_METRES = 100.0
METRES_PER_DEGREE = 111_320.0


class LocationDetail(StrEnum):
    NONE = "none"  # no location at all
    STREET = "street"  # the street's name, no house number, no coordinates
    GRID_100M = "grid_100m"  # the street, and coordinates moved to the centre of a 100 m cell
    EXACT = "exact"  # as registered (only for a client whose key is granted it)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryPublication(_Frozen):
    """A category made public: its cases are listed; its descriptions only if `description`."""

    description: bool = False


class Publication(_Frozen):
    """What the public Open311 API (no key) shows: only the categories listed here."""

    location: Literal[LocationDetail.NONE, LocationDetail.STREET, LocationDetail.GRID_100M] = (
        LocationDetail.STREET
    )
    categories: dict[str, CategoryPublication] = Field(default_factory=dict)


class Retention(_Frozen):
    """Personal data of cases closed more than `months` ago is erased automatically."""

    months: int = Field(default=DEFAULT_RETENTION_MONTHS, ge=1, le=240)


class PrivacyPolicy(_Frozen):
    publication: Publication = Field(default_factory=Publication)
    retention: Retention = Field(default_factory=Retention)


class Grant(_Frozen):
    """What an Open311 client's key sees beyond the public (kept with the key)."""

    categories: list[str] | Literal["*"] = Field(default_factory=list)
    description: bool = False
    location: LocationDetail = LocationDetail.STREET


@dataclass(frozen=True)
class PublicationView:
    """What one reader sees: which categories, whose descriptions, how precise a location."""

    categories: frozenset[str] | None  # None: every category
    descriptions: frozenset[str] | None  # categories whose descriptions are shown; None: all
    location: LocationDetail
    notes: bool = False  # the office's outcome and reason next to the status
    # The platform reading, when it is one: it reads back in full what it submitted itself (it
    # holds all of it already; FixMyStreet and the like post a report, then read it back).
    submitter: str | None = None

    def submitted(self, submitted_by: str | None) -> bool:
        return self.submitter is not None and submitted_by == self.submitter

    @classmethod
    def own_submission(cls) -> PublicationView:
        return cls(categories=None, descriptions=None, location=LocationDetail.EXACT, notes=True)

    @classmethod
    def public(cls, policy: PrivacyPolicy) -> PublicationView:
        published = policy.publication.categories
        return cls(
            categories=frozenset(published),
            descriptions=frozenset(c for c, p in published.items() if p.description),
            location=policy.publication.location,
        )

    @classmethod
    def granted(cls, policy: PrivacyPolicy, grant: Grant | None) -> PublicationView:
        """A valid key sees the public view, widened by what the key is granted."""
        public = cls.public(policy)
        if grant is None:
            return public
        own = None if grant.categories == "*" else frozenset(grant.categories)
        categories = None if own is None else own | (public.categories or frozenset())
        described = own if grant.description else frozenset()
        descriptions = None if described is None else described | (public.descriptions or set())
        return cls(categories, descriptions, grant.location, notes=grant.description)

    def shows(self, category: str) -> bool:
        return self.categories is None or category in self.categories

    def visible(self, categories: Iterable[str]) -> list[str]:
        return [c for c in categories if self.shows(c)]

    def shows_description(self, category: str, channel: str) -> bool:
        if channel not in PUBLISHABLE_CHANNELS or not self.shows(category):
            return False
        return self.descriptions is None or category in self.descriptions


_HOUSE_NUMBER = re.compile(
    r"(?:[\s,]+(?:n\.?|nr\.?|civico)?\s*\d+\s*[a-zA-Z]?(?:\s*/\s*\w+)?|[\s,]+snc)\s*$",
    re.IGNORECASE,
)


def coarsen_address(address: str | None) -> str | None:
    """The street only: 'Via Roma 1, 10100 Torino' → 'Via Roma'; 'Via 4 Novembre, 12' → 'Via 4
    Novembre'. What follows the first comma (house number, postcode, town) is dropped."""
    if not address:
        return None
    street = _HOUSE_NUMBER.sub("", address.split(",")[0].strip()).strip()
    return street or None


def snap_to_grid(lat: float, lon: float, metres: float = GRID_METRES) -> tuple[float, float]:
    """The centre of the `metres`-wide cell the point falls in (cells are square on the ground)."""
    lat_step = metres / METRES_PER_DEGREE
    snapped_lat = (math.floor(lat / lat_step) + 0.5) * lat_step
    lon_step = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(snapped_lat)), 1e-6))
    snapped_lon = (math.floor(lon / lon_step) + 0.5) * lon_step
    return round(snapped_lat, 6), round(snapped_lon, 6)
