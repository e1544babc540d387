"""Find: by reference, status, category, organization, channel and dates, paginated, from the
read model (no personal data); by the citizen's phone or e-mail through intake-svc, which
matches the contact's pseudonym exactly (a POST: the contact stays out of URLs and logs).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sportello_web import require_csrf
from sportello_web.dates import ROME

from ..queues import ROWS, scope
from ..readmodel import utcnow_iso
from .common import Console, ConsoleDep
from .queues import with_time_left

router = APIRouter()
PAGE = 25
FILTERS = {"status": "c.status", "category": "c.category",
           "organization": "c.organization", "channel": "c.channel"}  # fmt: skip


@router.get("/cerca", name="find", response_class=HTMLResponse)
def find(console: ConsoleDep, request: Request) -> HTMLResponse:
    asked = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    where, params = scope(console.user)
    clauses = [where]
    if "reference" in asked:
        clauses.append("c.reference = :reference")
        params["reference"] = asked["reference"].upper()
    for name, column in FILTERS.items():
        if name in asked:
            clauses.append(f"{column} = :{name}")
            params[name] = asked[name]
    errors: dict[str, str] = {}
    for name, op, shift in (("from", ">=", 0), ("to", "<", 1)):
        if name in asked:
            try:
                day = date.fromisoformat(asked[name]) + timedelta(days=shift)
            except ValueError:
                errors[name] = "date"
                continue
            clauses.append(f"c.received_at {op} :{name}")
            params[name] = datetime.combine(day, time(), ROME).isoformat()
    page = max(int(asked["page"]) if asked.get("page", "").isdigit() else 1, 1)
    sql = f"{ROWS} WHERE {' AND '.join(clauses)}"
    params["now"] = utcnow_iso()
    total = console.model.query(f"SELECT COUNT(*) AS n FROM ({sql})", params)[0]["n"]
    found: list[dict[str, Any]] = [
        with_time_left(dict(r))
        for r in console.model.query(
            f"{sql} ORDER BY c.received_at DESC LIMIT {PAGE} OFFSET {(page - 1) * PAGE}", params
        )
    ]
    return render(
        console,
        asked=asked,
        errors=errors,
        rows=found,
        total=total,
        page=page,
        pages=max((total + PAGE - 1) // PAGE, 1),
        searched=bool(asked),
    )


@router.post("/cerca", dependencies=[Depends(require_csrf)], response_class=HTMLResponse)
async def find_by_contact(console: ConsoleDep, request: Request) -> HTMLResponse:
    form = await request.form()
    sizes = {"email": 320, "phone": 40}
    contact = {k: str(form.get(k, "")).strip()[:size] for k, size in sizes.items()}
    if not any(contact.values()):
        return render(console, contact=contact, contact_error=True, status=422)
    asked = {k: v for k, v in contact.items() if v}
    found = await console.post("intake", "/cases/queries/by-contact", asked)
    return render(console, contact=contact, contact_rows=rows_of(console, found["items"]))


def rows_of(console: Console, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """intake's cases as the read model's rows (with their deadlines), in intake's order."""
    ids = [item["case_id"] for item in items]
    where, params = scope(console.user)
    marks = ", ".join(f":id{i}" for i in range(len(ids)))
    known = {}
    if ids:
        params |= {f"id{i}": case_id for i, case_id in enumerate(ids)} | {"now": utcnow_iso()}
        sql = f"{ROWS} WHERE {where} AND c.case_id IN ({marks})"
        known = {r["case_id"]: dict(r) for r in console.model.query(sql, params)}
    return [with_time_left(known.get(i["case_id"]) or {**i, "next_deadline": None}) for i in items]


def render(console: Console, status: int = 200, **context: Any) -> HTMLResponse:
    defaults: dict[str, Any] = {"asked": {}, "errors": {}, "rows": [], "total": 0, "page": 1,
                                "pages": 1, "searched": False, "contact": {},
                                "contact_rows": None, "contact_error": False}  # fmt: skip
    return console.render("find.html", status=status, **(defaults | context))
