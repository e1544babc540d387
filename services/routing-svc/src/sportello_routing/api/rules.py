"""Rules per tenant: read any version, check, publish a whole new version; YAML in and out."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sportello_shared.auth import ACTOR_NOTE, Actor, claimed_actor
from starlette.datastructures import UploadFile as StarletteUpload

from ..adapters import routing_yaml
from ..application import Publication
from ..domain import Problem, Report, RulesDocument, RuleSet
from .deps import RoutingDep

router = APIRouter(tags=["rules"])
YAML = "application/yaml"


class PublishRulesRequest(RulesDocument):
    actor: str = Field(default="ops", min_length=1, max_length=200, description=ACTOR_NOTE)
    based_on: int | None = Field(
        default=None, ge=1, description="the version edited: refused if rules changed since"
    )

    def document(self) -> RulesDocument:
        return RulesDocument.model_validate(self.model_dump(exclude={"actor", "based_on"}))


class RuleSetView(RulesDocument):
    tenant: str
    version: int
    published_at: datetime

    @classmethod
    def of(cls, ruleset: RuleSet) -> RuleSetView:
        about = {
            "tenant": ruleset.tenant,
            "version": ruleset.version,
            "published_at": ruleset.modified_on,
        }
        return cls.model_validate(ruleset.document | about)


class ProblemView(BaseModel):
    field: str
    message: str


class ReportView(BaseModel):
    ok: bool
    errors: list[ProblemView]
    warnings: list[ProblemView]

    @classmethod
    def of(cls, report: Report) -> ReportView:
        return cls(ok=report.ok, errors=_views(report.errors), warnings=_views(report.warnings))


class PublicationView(BaseModel):
    version: int
    published: bool
    warnings: list[ProblemView]

    @classmethod
    def of(cls, publication: Publication) -> PublicationView:
        return cls(
            version=publication.version,
            published=publication.published,
            warnings=_views(publication.report.warnings),
        )


async def _uploaded(request: Request) -> str:
    """The YAML file of a multipart upload (`curl -F file=@routing.yaml`), or a JSON body.

    The shared edge refuses other media types, so YAML travels as a file; JSON is YAML too.
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        upload = (await request.form()).get("file")
        if not isinstance(upload, StarletteUpload):
            missing = Problem("file", "upload the YAML as 'file'", "carichi il YAML come 'file'")
            raise routing_yaml.InvalidDocument([missing])
        data = await upload.read()
    else:
        data = await request.body()
    return data.decode("utf-8", errors="replace")


def _views(problems: tuple[Problem, ...]) -> list[ProblemView]:
    return [ProblemView(field=p.field, message=p.message) for p in problems]


@router.get("/rules/{tenant}")
async def current_rules(tenant: str, routing: RoutingDep) -> RuleSetView:
    return RuleSetView.of(await routing.call(routing.app.ruleset, tenant))


@router.get("/rules/{tenant}/versions/{version}")
async def rules_version(tenant: str, version: int, routing: RoutingDep) -> RuleSetView:
    return RuleSetView.of(await routing.call(routing.app.ruleset, tenant, version))


@router.post("/rules/{tenant}/check")
async def check_rules(tenant: str, body: RulesDocument, routing: RoutingDep) -> ReportView:
    return ReportView.of(await routing.call(routing.app.check_rules, tenant, body))


@router.put("/rules/{tenant}")
async def publish_rules(
    tenant: str, body: PublishRulesRequest, routing: RoutingDep, actor: Actor
) -> PublicationView:
    publication = await routing.call(
        routing.app.publish_rules, tenant, body.document(), actor, body.based_on
    )
    return PublicationView.of(publication)


@router.get("/routing/{tenant}/export", response_class=Response)
async def export(tenant: str, routing: RoutingDep) -> Response:
    document = await routing.call(routing.app.export, tenant)
    return Response(routing_yaml.dump(document), media_type=YAML)


@router.post("/routing/{tenant}/import", dependencies=[Depends(claimed_actor)])
async def import_document(
    tenant: str,
    request: Request,
    routing: RoutingDep,
    actor: Actor,
) -> PublicationView:
    document = routing_yaml.load(await _uploaded(request))
    if document.tenant != tenant:
        problem = Problem(
            "tenant",
            f"the document is for {document.tenant!r}, not {tenant!r}",
            f"il documento è per {document.tenant!r}, non per {tenant!r}",
        )
        raise routing_yaml.InvalidDocument([problem])
    publication = await routing.call(routing.app.import_document, document, actor)
    return PublicationView.of(publication)
