"""GET /reports/compliance: the yearly report on the standards, as JSON, CSV or HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sportello_shared.edge import invalid

from ..adapters.report_rendering import as_csv, as_html, as_json
from ..reports import compliance_report, this_year_so_far
from .deps import SlaDep

router = APIRouter(tags=["reports"])


@router.get("/reports/compliance", response_model=None)
async def compliance(
    sla: SlaDep,
    tenant: str,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    format: Literal["json", "csv", "html"] = "json",
) -> Response:
    """Clocks started in [from, to] (default: this year so far), per standard and organization."""
    config = sla.tenant(tenant)
    now = datetime.now(UTC)
    default_first, default_last = this_year_so_far(now)
    first, last = from_ or default_first, to or default_last
    if last < first:
        invalid("to", it="non può essere prima di from", en="must not be before from")
    board = await sla.board()
    report = compliance_report(tenant, board.rows(), board.ratings(), (first, last), now)
    if format == "csv":
        filename = f"compliance-{tenant}-{first}-{last}.csv"
        return Response(
            as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    names = {s.id: s.name for v in config.policy.versions for s in v.standards}
    if format == "html":
        return HTMLResponse(as_html(report, names))
    body: dict[str, Any] = as_json(report, names)
    return JSONResponse(body)
