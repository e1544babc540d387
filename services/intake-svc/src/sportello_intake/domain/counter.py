"""Identities: a case's id from its idempotency key, and the tenant's reference numbers."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .events import STORED_MODULE

CASE_NAMESPACE = UUID("5b1f3c2e-7d4a-4c1e-9a53-0c6f2f7d8e11")
COUNTER_NAMESPACE = UUID("a3d0b6f4-2e51-4f0b-8a4e-3f7c9e1d2b60")


def case_id_for(tenant: str, idempotency_key: str) -> UUID:
    """Retrying the same registration yields the same case, never a second one."""
    return uuid5(CASE_NAMESPACE, f"{tenant}/{idempotency_key}")


class ReferenceCounter(Aggregate):
    """Hands out a tenant's human reference numbers for one year (TO-2026-000123).

    Gap-tolerant: a number is used once; if a registration fails after issuing it, it is skipped.
    """

    __module__ = STORED_MODULE  # the topic its events and snapshots are stored under

    @event("Started")
    def __init__(self, tenant: str, year: int) -> None:
        self.tenant = tenant
        self.year = year
        self.last = 0

    @staticmethod
    def create_id(tenant: str, year: int) -> UUID:
        return uuid5(COUNTER_NAMESPACE, f"{tenant}/{year}")

    @event("Issued")
    def issue(self) -> None:
        self.last += 1
