"""The FastAPI side every service shares: lifespan, ops endpoints, problem+json errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import heap
from .auth import AuthSettings, TokenVerifier, authenticate
from .bus.dlq import DeadLetterErased, DeadLetterNotFound, list_dead_letters, redrive
from .edge import runtime_of
from .limits import EdgeLimits, RateLimits
from .logging import configure_logging
from .openapi import document_problems
from .outages import Outages
from .problems import detail_of, language_of, problem_body, validation_errors
from .queries import refuse_unknown_query
from .runtime import Runtime, ServiceParts
from .settings import ServiceSettings
from .tenants import UnknownTenant

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


ops = APIRouter(tags=["ops"])


@ops.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@ops.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the store takes writes and NATS is connected; else 503 naming what fails."""
    checks, failing = await runtime_of(request).readiness()
    ready = all(checks.values())
    body: dict[str, Any] = {"ready": ready, "checks": checks}
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=200 if ready else 503)


admin = APIRouter(tags=["admin"])


@admin.get("/admin/dlq")
async def dead_letters(
    request: Request, limit: int = Query(default=100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """What this service dead-lettered, oldest first, with the reason."""
    runtime = runtime_of(request)
    letters = await list_dead_letters(
        runtime.js, runtime.settings.service_name, limit, _letter_keys(runtime)
    )
    return [letter.view() for letter in letters]


def _letter_keys(runtime: Any) -> Callable[[str], Awaitable[bytes | None]]:
    """Reads a dead letter's key in the service's vault (bus/sealing.py), never making one."""

    async def key_of(subject: str) -> bytes | None:
        key: bytes | None = await runtime.writer.call(runtime.app.letter_key, subject, None)
        return key

    return key_of


@admin.post("/admin/dlq/{sequence}/redrive")
async def redrive_dead_letter(
    request: Request, sequence: Annotated[int, PathParam(ge=1, le=2**63 - 1)]
) -> dict[str, int]:
    """Republish a dead letter on its subject; a non-empty body replaces the message (a fix)."""
    runtime = runtime_of(request)
    corrected = await request.body()
    published = await redrive(
        runtime.js,
        runtime.settings.service_name,
        sequence,
        corrected or None,
        _letter_keys(runtime),
    )
    return {"redriven": sequence, "published_as": published}


@ops.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_service_app(
    parts: ServiceParts[Any],
    routers: Sequence[APIRouter],
    *,
    title: str,
    error_statuses: Mapping[type[Exception], int] | None = None,
    form_prefixes: Sequence[str] = (),
    max_body_bytes: int = 64 * 1024,
    larger_bodies: Mapping[str, int] | None = None,
    public_routers: Sequence[APIRouter] = (),
    rate_limits: Mapping[str, float] | None = None,
) -> FastAPI:
    """`routers` need a bearer token (see auth.py); `public_routers` have their own rules."""
    auth = AuthSettings()
    if parts.settings.environment == "production" and not auth.enabled:
        raise RuntimeError("AUTH_JWKS_URL or AUTH_JWKS_FILE is required in production")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime: Runtime[Any] = Runtime(parts)
        app.state.runtime = runtime
        await runtime.start()
        heap.settle()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.token_verifier = TokenVerifier(auth) if auth.enabled else None
    app.add_middleware(
        EdgeLimits,
        max_body_bytes=max_body_bytes,
        form_prefixes=form_prefixes,
        larger_bodies=larger_bodies,
    )
    if rate_limits:
        app.add_middleware(RateLimits, per_minute=dict(rate_limits))
    app.add_middleware(Outages, store_wait_s=parts.settings.store_wait_s)  # outermost: 503s
    app.include_router(ops)
    for router in (admin, *routers):
        app.include_router(
            router, dependencies=[Depends(authenticate), Depends(refuse_unknown_query)]
        )
    for router in public_routers:
        app.include_router(router)
    statuses: dict[type[Exception], int] = {
        DeadLetterNotFound: 404,
        DeadLetterErased: 409,
        **(error_statuses or {}),
    }
    _register_problem_handlers(app, statuses)
    document_problems(app)
    return app


def _register_problem_handlers(app: FastAPI, statuses: Mapping[type[Exception], int]) -> None:
    """Every 4xx as problem+json in the caller's language (see problems.py)."""

    async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        language = language_of(request.headers.get("accept-language"))
        errors = validation_errors(exc.errors(), exc.body, language)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _localized(422, language, detail, errors=errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        language = language_of(request.headers.get("accept-language"))
        detail, extra = detail_of(exc, language)
        response = _localized(exc.status_code, language, detail, **extra)
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="sportello"'
        return response

    def domain_error(status: int) -> Callable[[Request, Exception], Any]:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            language = language_of(request.headers.get("accept-language"))
            detail, extra = detail_of(exc, language)
            return _localized(status, language, detail, **extra)

        return handler

    async def unknown_tenant(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, UnknownTenant)
        language = language_of(request.headers.get("accept-language"))
        if exc.field is None:  # the address named it: nothing there
            return _localized(404, language, str(exc))
        errors = [{"field": exc.field, "message": str(exc)}]  # a field named it: as invalid
        return _localized(422, language, f"{exc.field}: {exc}", errors=errors)

    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(UnknownTenant, unknown_tenant)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for error_type, status in statuses.items():
        app.add_exception_handler(error_type, domain_error(status))


def _localized(status: int, language: str, detail: str, /, **extra: Any) -> JSONResponse:
    body = problem_body(status, language, detail, **extra)
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = language
    return response


def serve(settings: ServiceSettings, build: Callable[[], FastAPI]) -> None:
    """A service's console entry point: JSON logs, then uvicorn until SIGTERM (graceful)."""
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(build(), host=settings.http_host, port=settings.http_port, log_config=None)
