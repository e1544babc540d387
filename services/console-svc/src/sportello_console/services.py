"""The four services' APIs, called with the signed-in user's own access token.

A refused command comes back as `Refused` with the service's problem detail (shown beside the
form); a service that cannot be reached as `Unavailable` (the console answers 503).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .settings import ConsoleSettings


class Unavailable(Exception):
    """A service did not answer: the page says so (503); nothing the user typed is lost."""


class SignInExpired(Exception):
    """The access token was refused (401): sign in again."""


@dataclass
class Refused(Exception):
    status: int
    detail: str
    errors: list[dict[str, Any]]

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


class Services:
    def __init__(self, settings: ConsoleSettings, client: httpx.AsyncClient | None = None) -> None:
        self.urls = {
            "intake": settings.intake_url,
            "routing": settings.routing_url,
            "sla": settings.sla_url,
            "notify": settings.notify_url,
        }
        self.client = client or httpx.AsyncClient(timeout=settings.service_timeout)
        self.document_timeout = settings.document_timeout

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        token: str,
        service: str,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        try:
            response = await self.client.request(
                method,
                f"{self.urls[service]}{path}",
                json=json,
                params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                headers={"authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        _check(service, response)
        return response.json() if response.content else None

    async def get(self, token: str, service: str, path: str, **params: Any) -> Any:
        return await self.call(token, service, "GET", path, params=params)

    async def post(self, token: str, service: str, path: str, body: dict[str, Any]) -> Any:
        return await self.call(token, service, "POST", path, json=body)

    async def fetch(
        self, token: str | None, service: str, path: str, **params: Any
    ) -> httpx.Response:
        """A GET whose answer is a document (PDF, CSV, HTML: body and headers as they came);
        without a token for a service's public address."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.client.get(
                f"{self.urls[service]}{path}",
                params={k: v for k, v in params.items() if v not in (None, "")},
                headers=headers,
                timeout=self.document_timeout,
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        _check(service, response)
        return response


def _check(service: str, response: httpx.Response) -> None:
    if response.status_code == 401:
        raise SignInExpired()
    if response.status_code >= 500:
        raise Unavailable(f"{service}: {response.status_code}")
    if response.status_code >= 400:
        raise _refusal(response)


def _refusal(response: httpx.Response) -> Refused:
    """problem+json → Refused: `errors` are [{field, message}] (field like `citizen.email`)."""
    try:
        problem = response.json()
    except ValueError:
        return Refused(response.status_code, response.text[:500], [])
    detail = problem.get("detail") or problem.get("title") or ""
    errors = [e for e in problem.get("errors") or [] if isinstance(e, dict)]
    return Refused(response.status_code, str(detail), errors)
