"""Who is asking, and the service edge, resolved on the event loop: no thread hop per request.

A token is verified with the issuer's keys from a file (nothing blocks: on the loop) or from its
JWKS address, fetched over HTTP by a real local server (in the thread pool)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from sportello_devstack.issuer import AUDIENCE, ISSUER, DevIssuer
from sportello_shared.auth import Actor, AuthSettings, CurrentPrincipal, TokenVerifier
from sportello_shared.edge import built_on_the_loop


class Edge:
    """Stands for a service's `ServiceEdge`: notes the thread it was made on."""

    def __init__(self, request: Request, principal: CurrentPrincipal, actor: Actor) -> None:
        self.thread = threading.current_thread().name
        self.path = request.url.path
        self.actor = actor
        self.tenant = principal.tenant


EdgeDep = Annotated[Edge, Depends(built_on_the_loop(Edge))]


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(tmp_path / "issuer")


@pytest.fixture
def jwks_url(issuer: DevIssuer) -> Iterator[str]:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(issuer.directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


def app_with(settings: AuthSettings) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(settings)

    @app.get("/who")
    async def who(edge: EdgeDep) -> dict[str, str | None]:
        loop_thread = threading.current_thread().name
        return {
            "made_on": edge.thread,
            "loop": loop_thread,
            "actor": edge.actor,
            "tenant": edge.tenant,
        }

    return app


async def ask(app: FastAPI, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        return await client.get("/who", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("keys", ["file", "url"])
async def test_the_edge_is_made_on_the_loop_with_the_verified_principal(
    issuer: DevIssuer, jwks_url: str, keys: str
) -> None:
    where = {"jwks_file": issuer.jwks_file} if keys == "file" else {"jwks_url": jwks_url}
    app = app_with(AuthSettings(issuer=ISSUER, audience=AUDIENCE, **where))  # type: ignore[arg-type]

    answer = await ask(app, issuer.token("operator", tenant="torino", subject="op-7"))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["made_on"] == body["loop"]  # FastAPI would make a class in its thread pool
    assert (body["actor"], body["tenant"]) == ("op-7", "torino")


@pytest.mark.parametrize("keys", ["file", "url"])
async def test_a_token_not_signed_by_the_issuer_is_refused_either_way(
    issuer: DevIssuer, jwks_url: str, tmp_path: Path, keys: str
) -> None:
    where = {"jwks_file": issuer.jwks_file} if keys == "file" else {"jwks_url": jwks_url}
    app = app_with(AuthSettings(issuer=ISSUER, audience=AUDIENCE, **where))  # type: ignore[arg-type]
    stranger = DevIssuer(tmp_path / "stranger")

    answer = await ask(app, stranger.token("operator", tenant="torino"))

    assert answer.status_code == 401
