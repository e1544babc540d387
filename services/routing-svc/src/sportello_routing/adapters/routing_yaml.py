"""routing.yaml: the YAML form of a tenant's organizations and rules (files, export, import)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError
from sportello_shared.problems import validation_errors
from sportello_shared.tenants import TenantCatalogue

from ..domain import Problem, RoutingDocument

FILE_NAME = "routing.yaml"


class InvalidDocument(ValueError):
    """YAML that is not a routing document, with each problem naming its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def load(text: str) -> RoutingDocument:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = Problem("document", f"not YAML: {exc}", f"non è YAML: {exc}")
        raise InvalidDocument([problem]) from exc
    if not isinstance(data, dict):
        problem = Problem(
            "document",
            "expected a mapping with tenant and rules",
            "atteso un oggetto con tenant e rules",
        )
        raise InvalidDocument([problem])
    try:
        return RoutingDocument.model_validate(data)
    except ValidationError as exc:
        english = validation_errors(exc.errors(), None, "en")
        italian = validation_errors(exc.errors(), None, "it")
        problems = [
            Problem(en["field"], en["message"], it["message"])
            for en, it in zip(english, italian, strict=True)
        ]
        raise InvalidDocument(problems) from exc


def dump(document: RoutingDocument) -> str:
    data = document.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def seed_documents(tenants_dir: Path, tenants: TenantCatalogue) -> list[RoutingDocument]:
    """Each tenant's routing.yaml, or an empty document (the category table) where none."""
    documents = []
    for tenant in tenants:
        path = tenants_dir / tenant.id / FILE_NAME
        if not path.exists():
            documents.append(RoutingDocument(tenant=tenant.id))
            continue
        try:
            document = load(path.read_text(encoding="utf-8"))
        except InvalidDocument as exc:
            problems = [Problem(f"{path}: {p.field}", p.message, p.it) for p in exc.problems]
            raise InvalidDocument(problems) from exc
        if document.tenant != tenant.id:
            expected = Problem(
                f"{path}: tenant", f"expected {tenant.id!r}", f"atteso {tenant.id!r}"
            )
            raise InvalidDocument([expected])
        documents.append(document)
    return documents
