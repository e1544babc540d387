"""GeoReport v2 ↔ intake: the tenant's categories as services, a case as a service request.

Pure translation, no I/O: what an Open311 client sends becomes intake's `RegisterCase`, and a
`Case` is shown the way the spec describes a service request.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, ValidationError
from sportello_contracts.cases import Channel, Kind
from sportello_shared.tenants import Category, Tenant

from ..application import RegisterCase
from ..domain import Case
from ..search import CaseQuery
from .formats import Open311Error

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed, for discovery's `changeset` (clients cache discovery by it).
CHANGESET = "2026-11-23T00:00:00Z"
WINDOW = timedelta(days=90)
MAX_ROWS = 1000

KINDS = {
    Kind.SEGNALAZIONE: "Segnalazione",
    Kind.RECLAMO: "Reclamo",
    Kind.SUGGERIMENTO: "Suggerimento",
    Kind.RICHIESTA_INFORMAZIONI: "Richiesta di informazioni",
    Kind.RICHIESTA_INTERVENTO: "Richiesta di intervento",
}
KIND_ATTRIBUTE = "kind"

# --- discovery and services -----------------------------------------------------------------


def discovery(url: str, production: bool) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "Per assistenza rivolgersi all'URP del proprio Comune.",
        "key_service": "Le chiavi API (una per piattaforma e per Comune) si chiedono al Comune.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": category.description,
        # every service has the `kind` attribute: a complaint starts other clocks than a report
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(category.keywords),
        "group": category.group,
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.service_code,
        "attributes": [
            {
                "variable": True,
                "code": KIND_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "Se non indicato: segnalazione.",
                "order": 1,
                "description": "Tipo di richiesta",
                "values": [{"key": k.value, "name": name} for k, name in KINDS.items()],
            }
        ],
    }


# --- POST requests ----------------------------------------------------------------------------


class Submission(BaseModel):
    """The form fields of GeoReport v2's POST Service Request (`api_key` is checked before)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    jurisdiction_id: str | None = Field(default=None, max_length=63)
    service_code: str = Field(max_length=63)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: str | None = Field(default=None, max_length=300)
    address_id: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = None
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()./-]{5,30}$")
    description: str | None = Field(default=None, max_length=4000)
    media_url: AnyHttpUrl | None = Field(default=None, max_length=1000)
    attribute: dict[str, str] = Field(default_factory=dict, max_length=20)


def parse_submission(fields: Mapping[str, str]) -> Submission:
    """Form fields (blank ones dropped, `attribute[code]` gathered) → a checked submission."""
    data: dict[str, Any] = {"attribute": {}}
    for name, value in fields.items():
        if not value.strip():
            continue
        if name.startswith("attribute[") and name.endswith("]"):
            data["attribute"][name[len("attribute[") : -1]] = value
        else:
            data[name] = value
    try:
        return Submission.model_validate(data)
    except ValidationError as exc:
        raise Open311Error(400, *(describe(e) for e in exc.errors())) from exc


def describe(error: Mapping[str, Any], skip: int = 0) -> str:
    """A validation error as the spec's description, naming the field as the client sent it."""
    loc = [str(p) for p in error["loc"]][skip:]
    field = f"attribute[{loc[1]}]" if loc[:1] == ["attribute"] and len(loc) > 1 else ".".join(loc)
    if error["type"] == "missing":
        return f"{field} was not provided"
    if error["type"] == "extra_forbidden":
        return f"{field} is not a GeoReport v2 field"
    return f"{field}: {error['msg']}"


def submitter(client: str) -> str:
    """The actor an Open311 platform registers as, and so reads back its own requests as."""
    return f"open311:{client}"


def registration(
    submission: Submission,
    tenant: Tenant,
    category: Category,
    client: str,
    idempotency_key: str | None,
    traceparent: str | None,
) -> RegisterCase:
    """The same case file as every other channel; refuses what the case file would refuse."""
    problems = [*_citizen_problems(submission), *_location_problems(submission)]
    problems += _attribute_problems(submission)
    if problems:
        raise Open311Error(400, *problems)
    name = " ".join(p for p in (submission.first_name, submission.last_name) if p)
    citizen = {"name": name, "email": submission.email, "phone": submission.phone}
    location = {
        "address": submission.address_string,
        "lat": submission.lat,
        "lon": submission.long,
    }
    return RegisterCase(
        tenant=tenant.id,
        kind=submission.attribute.get(KIND_ATTRIBUTE, Kind.SEGNALAZIONE.value),
        channel=Channel.OPEN311.value,
        category=category.service_code,
        # the spec makes the description optional; the case file always says what it is about
        description=submission.description or category.name,
        citizen={k: v for k, v in citizen.items() if v is not None},
        location={k: v for k, v in location.items() if v is not None},
        attachments=_attachments(submission),
        actor=submitter(client),
        # scoped to the client: two platforms may well pick the same key
        idempotency_key=f"open311/{client}/{idempotency_key}" if idempotency_key else None,
        traceparent=traceparent,
    )


def _citizen_problems(submission: Submission) -> list[str]:
    problems = []
    if not (submission.first_name or submission.last_name):
        problems.append(
            "first_name/last_name: indicare nome e cognome, le segnalazioni anonime non sono "
            "accettate (a name is required)"
        )
    if not (submission.email or submission.phone):
        problems.append(
            "email/phone: indicare almeno un recapito, e-mail o telefono, per essere "
            "ricontattati (an email or a phone number is required)"
        )
    return problems


def _location_problems(submission: Submission) -> list[str]:
    if (submission.lat is None) != (submission.long is None):
        return ["lat/long: latitude and longitude go together"]
    if submission.lat is None and not submission.address_string:
        if submission.address_id:
            return ["address_id is not supported here: send lat/long or address_string"]
        return ["lat/long, address_string or address_id was not provided"]
    return []


def _attribute_problems(submission: Submission) -> list[str]:
    problems = [
        f"attribute[{code}] is not an attribute of this service"
        for code in submission.attribute
        if code != KIND_ATTRIBUTE
    ]
    kind = submission.attribute.get(KIND_ATTRIBUTE)
    if kind is not None and kind not in set(Kind):
        problems.append(f"attribute[{KIND_ATTRIBUTE}] must be one of {', '.join(Kind)}")
    return problems


def _attachments(submission: Submission) -> list[dict[str, Any]]:
    if submission.media_url is None:
        return []
    uri = str(submission.media_url)
    media_type = mimetypes.guess_type(uri)[0] or "application/octet-stream"
    return [{"uri": uri, "name": "media_url", "media_type": media_type}]


def receipt(case: Case, account_id: str | None) -> dict[str, Any]:
    return {
        "service_request_id": case.reference,
        "token": str(case.id),
        "service_notice": (
            f"Richiesta registrata con il numero {case.reference}: "
            "conservi il numero per seguirne lo stato."
        ),
        "account_id": account_id,
    }


# --- GET requests -----------------------------------------------------------------------------


def window(
    start: datetime | None, end: datetime | None, now: datetime, tenant: Tenant
) -> tuple[datetime, datetime]:
    """`start_date`/`end_date` as the spec reads them: 90 days at most, the last 90 by default.

    A date without an offset is read in the city's time zone.
    """
    zone = ZoneInfo(tenant.timezone)
    start = start.replace(tzinfo=zone) if start and start.tzinfo is None else start
    end = end.replace(tzinfo=zone) if end and end.tzinfo is None else end
    if end is None:
        end = start + WINDOW if start else now
    if start is None:
        start = end - WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def requests_queries(
    tenant: Tenant, codes: list[str], statuses: set[str], start: datetime, end: datetime
) -> list[CaseQuery]:
    """GET requests as index queries: one per service code (the index filters on one)."""
    categories: list[str | None] = [*codes] or [None]
    return [
        CaseQuery(
            tenant=tenant.id,
            category=code,
            is_open=("open" in statuses) if len(statuses) == 1 else None,
            received_from=start,
            received_to=end + timedelta(microseconds=1),  # end_date is inclusive
            limit=MAX_ROWS,
        )
        for code in categories
    ]


def listed(values: str | None, name: str, allowed: set[str] | None = None) -> list[str]:
    """The spec's comma-delimited lists (`service_request_id`, `service_code`, `status`)."""
    items = [v.strip() for v in (values or "").split(",") if v.strip()]
    if len(items) > MAX_ROWS:
        raise Open311Error(400, f"{name}: at most {MAX_ROWS} values")
    wrong = [v for v in items if allowed is not None and v not in allowed]
    if wrong:
        choices = ", ".join(sorted(allowed or ()))
        raise Open311Error(400, f"{name}: {', '.join(wrong)} is not one of {choices}")
    return items
