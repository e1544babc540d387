"""Edge limits on a bare ASGI app: size, media type, rate."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sportello_shared.limits import EdgeLimits, RateLimits


def app_with_limits() -> FastAPI:
    app = FastAPI()

    @app.post("/open311/v2/requests.json")
    async def post_request() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/cases")
    async def post_case() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(EdgeLimits, max_body_bytes=100, form_prefixes=("/open311/",))
    app.add_middleware(RateLimits, per_minute={"/open311/": 60.0}, burst=3)
    return app


async def call(path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_with_limits())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, **kwargs)  # type: ignore[arg-type]


async def test_size_and_media_type() -> None:
    assert (await call("/cases", json={"x": "y" * 200})).status_code == 413
    assert (
        await call("/cases", content=b"a=b", headers={"content-type": "text/plain"})
    ).status_code == 415
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert (await call("/cases", content=b"a=b", headers=form)).status_code == 415
    assert (
        await call("/open311/v2/requests.json", content=b"a=b", headers=form)
    ).status_code == 200
    assert (await call("/cases", json={"x": "y"})).status_code == 200


async def test_a_flood_on_a_public_endpoint_gets_429_with_retry_after() -> None:
    app = app_with_limits()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        statuses = [
            (await client.post("/open311/v2/requests.json", json={})).status_code for _ in range(6)
        ]
        assert statuses[:3] == [200, 200, 200]
        assert 429 in statuses[3:]
        limited = await client.post("/open311/v2/requests.json", json={})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert (await client.post("/cases", json={})).status_code == 200  # not rate limited


async def test_an_upload_prefix_has_its_own_larger_limit() -> None:
    app = FastAPI()

    @app.post("/attachments/cases/1")
    async def upload() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/cases")
    async def post_case() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(
        EdgeLimits,
        max_body_bytes=100,
        form_prefixes=("/attachments/",),
        larger_bodies={"/attachments/": 1000},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        form = {"content-type": "application/x-www-form-urlencoded"}
        body = b"a=" + b"x" * 500
        assert (
            await client.post("/attachments/cases/1", content=body, headers=form)
        ).status_code == 200
        assert (await client.post("/cases", json={"x": "y" * 500})).status_code == 413
        too_large = await client.post(
            "/attachments/cases/1", content=b"a=" + b"x" * 1000, headers=form
        )
        assert too_large.status_code == 413
        assert "1000" in too_large.json()["detail"]
