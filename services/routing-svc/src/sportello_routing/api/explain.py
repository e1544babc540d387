"""Dry run: who would get a case like this, by which rule, and why. Nothing is assigned."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sportello_contracts.cases import Channel, Kind, Location

from ..domain import CaseFacts, Explanation
from .deps import Body, RoutingDep

router = APIRouter(tags=["routing"])


class ExplainRequest(Body):
    tenant: str = Field(min_length=1, max_length=63)
    kind: Kind
    channel: Channel
    category: str = Field(min_length=1, max_length=63)
    description: str = Field(default="", max_length=4000)
    location: Location | None = None
    exclude: list[str] = Field(default_factory=list, description="organizations that declined")
    version: int | None = Field(default=None, ge=1, description="a past rules version")

    def facts(self) -> CaseFacts:
        return CaseFacts(
            tenant=self.tenant,
            kind=self.kind.value,
            channel=self.channel.value,
            category=self.category,
            description=self.description,
            lat=self.location.lat if self.location else None,
            lon=self.location.lon if self.location else None,
        )


class RuleVerdictView(BaseModel):
    rule_id: str
    organization: str
    matched: bool
    won: bool = Field(description="this rule decided: the first match whose office can take it")
    reasons: list[str]


class ExplanationView(BaseModel):
    outcome: str
    organization: str
    organization_name: str
    rule_id: str
    rule_version: int
    reasons: list[str]
    rules: list[RuleVerdictView]

    @classmethod
    def of(cls, explanation: Explanation) -> ExplanationView:
        decision = explanation.decision
        return cls(
            outcome="routing_failed" if decision.failed else "assigned",
            organization=decision.organization,
            organization_name=decision.organization_name,
            rule_id=decision.rule_id,
            rule_version=decision.rule_version,
            reasons=list(decision.reasons),
            rules=[
                RuleVerdictView(
                    rule_id=v.rule_id,
                    organization=v.organization,
                    matched=v.matched,
                    won=v.won,
                    reasons=list(v.reasons),
                )
                for v in explanation.verdicts
            ],
        )


@router.post("/routing/explain")
async def explain(body: ExplainRequest, routing: RoutingDep) -> ExplanationView:
    explanation = await routing.call(routing.app.explain, body.facts(), body.exclude, body.version)
    return ExplanationView.of(explanation)
