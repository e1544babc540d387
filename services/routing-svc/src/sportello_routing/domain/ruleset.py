"""A tenant's rules, versioned: every change publishes a whole new version."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .rules import RulesDocument

RULESET_NAMESPACE = UUID("a3d4c0b2-8e61-4f0a-b7c9-64e2f5d8a913")


def digest(document: RulesDocument) -> str:
    canonical = json.dumps(document.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class VersionConflict(ValueError):
    """The rules changed since the version the editor started from."""


class RuleSet(Aggregate):
    """The aggregate's version is the rule set's version: version 3 is the third event."""

    @event("Created")
    def __init__(self, tenant: str, document: dict[str, Any], actor: str, source: str) -> None:
        self.tenant = tenant
        self.digests: list[str] = []
        self._adopt(document)

    @staticmethod
    def create_id(tenant: str) -> UUID:
        return uuid5(RULESET_NAMESPACE, f"ruleset/{tenant}")

    @classmethod
    def first(cls, tenant: str, document: RulesDocument, actor: str, source: str) -> RuleSet:
        return cls(tenant, document.model_dump(mode="json"), actor, source)

    @property
    def rules(self) -> RulesDocument:
        return self._rules

    def has_published(self, document: RulesDocument) -> bool:
        """Whether this exact document was ever a version (seeding does not re-publish it)."""
        return digest(document) in self.digests

    def publish(
        self, document: RulesDocument, actor: str, source: str, based_on: int | None = None
    ) -> bool:
        """A new version unless the document is the current one; False when nothing changed."""
        if based_on is not None and based_on != self.version:
            raise VersionConflict(f"rules are at version {self.version}, not {based_on}")
        if digest(document) == self.current_digest:
            return False
        self._publish(document.model_dump(mode="json"), actor, source)
        return True

    @event("Published")
    def _publish(self, document: dict[str, Any], actor: str, source: str) -> None:
        self._adopt(document)

    def _adopt(self, document: dict[str, Any]) -> None:
        # Parsed once per version: every decision reads the rules.
        self._rules = RulesDocument.model_validate(document)
        self.document = document
        self.current_digest = digest(self._rules)
        self.digests.append(self.current_digest)
