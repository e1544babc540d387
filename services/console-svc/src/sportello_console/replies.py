"""Reply templates per tenant for closing a case with an outcome (deploy/tenants/<t>/risposte.yaml).

Italian texts the office starts from; `{riferimento}` becomes the case's reference. A template
may be limited to some categories. Read once at start, like the tenants' catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    titolo: str = Field(min_length=1, max_length=120)
    testo: str = Field(min_length=1, max_length=4000)
    categorie: tuple[str, ...] = ()

    def fits(self, category: str) -> bool:
        return not self.categorie or category in self.categorie

    def text_for(self, reference: str) -> str:
        return self.testo.replace("{riferimento}", reference)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risposte: list[Reply]


@dataclass(frozen=True)
class Replies:
    by_tenant: dict[str, tuple[Reply, ...]]

    def for_case(self, tenant: str, category: str) -> list[Reply]:
        return [r for r in self.by_tenant.get(tenant, ()) if r.fits(category)]

    def find(self, tenant: str, category: str, reply_id: str) -> Reply | None:
        return next((r for r in self.for_case(tenant, category) if r.id == reply_id), None)


def load_replies(tenants_dir: Path) -> Replies:
    """Every tenant's risposte.yaml; a tenant without one offers none. A malformed file stops
    the start (pydantic says where), as a malformed tenant.yaml does."""
    found = {}
    for path in sorted(tenants_dir.glob("*/risposte.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found[path.parent.name] = tuple(_File.model_validate(document).risposte)
    return Replies(found)
