"""What a listing shows each role when it does not name a tenant or an organization."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from sportello_shared.auth import Principal, Role, visible_scope


def principal(role: Role, tenant: str | None = None, organization: str | None = None) -> Principal:
    return Principal("someone", frozenset({role}), tenant, organization)


def test_admins_and_auditors_see_what_they_ask_for() -> None:
    assert visible_scope(principal(Role.ADMIN), None, None) == (None, None)
    assert visible_scope(principal(Role.AUDITOR), "pisa", "sepi") == ("pisa", "sepi")


def test_an_operator_sees_its_tenant_whatever_it_asks() -> None:
    operator = principal(Role.OPERATOR, "torino")
    assert visible_scope(operator, None, None) == ("torino", None)
    assert visible_scope(operator, "pisa", "urp") == ("torino", "urp")


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PARTNER])
def test_an_organization_sees_only_itself(role: Role) -> None:
    pisamo = principal(role, "pisa", "pisamo")
    assert visible_scope(pisamo, None, None) == ("pisa", "pisamo")
    assert visible_scope(pisamo, None, "pisamo") == ("pisa", "pisamo")
    with pytest.raises(HTTPException) as refused:
        visible_scope(pisamo, None, "sepi")
    assert refused.value.status_code == 403
