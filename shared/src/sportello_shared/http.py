"""The FastAPI side every service shares: lifespan, ops endpoints, problem+json errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from .auth import AuthSettings, TokenVerifier, authenticate
from .bus.dlq import DeadLetterNotFound, list_dead_letters, redrive
from .limits import EdgeLimits, RateLimits
from .logging import configure_logging
from .runtime import Runtime, ServiceParts
from .settings import ServiceSettings

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
    checks = await request.app.state.runtime.readiness()
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


admin = APIRouter(tags=["admin"])


@admin.get("/admin/dlq")
async def dead_letters(
    request: Request, limit: int = Query(default=100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """What this service dead-lettered, oldest first, with the reason."""
    runtime = request.app.state.runtime
    letters = await list_dead_letters(runtime.js, runtime.settings.service_name, limit)
    return [letter.view() for letter in letters]


@admin.post("/admin/dlq/{sequence}/redrive")
async def redrive_dead_letter(
    request: Request, sequence: Annotated[int, PathParam(ge=1, le=2**63 - 1)]
) -> dict[str, int]:
    """Republish a dead letter on its subject; a non-empty body replaces the message (a fix)."""
    runtime = request.app.state.runtime
    corrected = await request.body()
    published = await redrive(
        runtime.js, runtime.settings.service_name, sequence, corrected or None
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
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.token_verifier = TokenVerifier(auth) if auth.enabled else None
    app.add_middleware(EdgeLimits, max_body_bytes=max_body_bytes, form_prefixes=form_prefixes)
    if rate_limits:
        app.add_middleware(RateLimits, per_minute=dict(rate_limits))
    app.include_router(ops)
    for router in (admin, *routers):
        app.include_router(router, dependencies=[Depends(authenticate)])
    for router in public_routers:
        app.include_router(router)
    _register_problem_handlers(app, {DeadLetterNotFound: 404, **(error_statuses or {})})
    return app


def _register_problem_handlers(app: FastAPI, statuses: Mapping[type[Exception], int]) -> None:
    async def validation_failed(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
            for e in exc.errors()
        ]
        return problem(
            422,
            "Invalid request",
            "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        )

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        response = problem(exc.status_code, str(exc.detail), str(exc.detail))
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="sportello"'
        return response

    def domain_error(status: int) -> Callable[[Request, Exception], Any]:
        async def handler(_: Request, exc: Exception) -> JSONResponse:
            return problem(status, type(exc).__name__, str(exc))

        return handler

    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for error_type, status in statuses.items():
        app.add_exception_handler(error_type, domain_error(status))


def serve(settings: ServiceSettings, build: Callable[[], FastAPI]) -> None:
    """A service's console entry point: JSON logs, then uvicorn until SIGTERM (graceful)."""
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(build(), host=settings.http_host, port=settings.http_port, log_config=None)
