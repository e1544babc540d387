"""Personal data: sealed per data subject in every store, erasable by deleting one key.

This module is pure (domain code imports it); the mapper, the vault and the Application mixin
that wire it into a store are in `.mapper`, `.vault` and `.store`.

A domain event class declares what in it is personal, and whose it is:

    class Registered(Aggregate.Created):
        personal_data: ClassVar = {"citizen": {"name": ERASED_TEXT}, "description": ERASED_TEXT}
        personal_data_subject: ClassVar = "data_subject"   # the field naming the subject

`personal_data` maps each personal field to the value it reads as once erased.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

ERASED_TEXT: Final = "[dati personali cancellati]"
ERASED_MARK: Final = "_personal_data_erased"


def personal_fields(event_class: type[Any]) -> Mapping[str, Any]:
    fields: Mapping[str, Any] = getattr(event_class, "personal_data", {})
    return fields


def data_subject_of(domain_event: Any) -> str:
    field: str = getattr(type(domain_event), "personal_data_subject", "data_subject")
    return str(vars(domain_event).get(field) or "")


def is_erased(domain_event: Any) -> bool:
    """Whether this event's personal fields were read after its subject's key was erased."""
    return bool(vars(domain_event).get(ERASED_MARK, False))


__all__ = ["ERASED_MARK", "ERASED_TEXT", "data_subject_of", "is_erased", "personal_fields"]
