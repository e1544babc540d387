"""What a case's history records as the actor: the token's subject, with Torino's operator code."""

from __future__ import annotations

from sportello_shared.auth import Principal, Role


def test_the_actor_carries_the_operator_code_when_the_token_has_one() -> None:
    plain = Principal("torino.pm-reparto-6", frozenset({Role.OFFICE}), "torino", "pm-reparto-6")
    assert plain.actor == "torino.pm-reparto-6"
    coded = Principal("torino.centralino", frozenset({Role.OPERATOR}), "torino", None, "OP-0427")
    assert coded.actor == "torino.centralino (OP-0427)"
