"""intake-svc and notify-svc as the site sees them: HTTP with the site's platform key.

An outage answers ServiceUnavailable (the page says "try again shortly", nothing typed is lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class ServiceUnavailable(Exception):
    pass


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Refused(Exception):
    status: int
    detail: str


class Services:
    def __init__(self, intake_url: str, notify_url: str, keys: dict[str, str]) -> None:
        self.keys = keys  # tenant -> the site's platform key
        self.intake = httpx.AsyncClient(base_url=intake_url, timeout=10)
        self.notify = httpx.AsyncClient(base_url=notify_url, timeout=10)

    async def close(self) -> None:
        await self.intake.aclose()
        await self.notify.aclose()

    def _key(self, tenant: str) -> dict[str, str]:
        return {"X-Api-Key": self.keys.get(tenant, "")}

    async def report(self, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(
            self.intake, "POST", f"/citizen/v1/{tenant}/reports", body, self._key(tenant)
        )

    async def follow(self, tenant: str, token: str) -> dict[str, Any]:
        return await self._call(
            self.intake, "GET", f"/citizen/v1/{tenant}/cases/{token}", None, self._key(tenant)
        )

    async def lookup(self, tenant: str, reference: str, email: str) -> dict[str, Any]:
        body = {"reference": reference, "email": email}
        return await self._call(
            self.intake, "POST", f"/citizen/v1/{tenant}/lookup", body, self._key(tenant)
        )

    async def ask_to_reopen(self, tenant: str, token: str, reason: str) -> dict[str, Any]:
        path = f"/citizen/v1/{tenant}/cases/{token}/reopen-request"
        return await self._call(self.intake, "POST", path, {"reason": reason}, self._key(tenant))

    async def survey(self, token: str) -> dict[str, Any]:
        return await self._call(self.notify, "GET", f"/surveys/{token}", None, {})

    async def answer(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(self.notify, "POST", f"/surveys/{token}", body, {})

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> dict[str, Any]:
        try:
            response = await client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(str(exc)) from exc
        if response.status_code in (404, 422) and method == "GET":
            raise NotFound(path)
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code >= 500:
            raise ServiceUnavailable(f"{response.status_code} from {path}")
        if response.status_code >= 400:
            detail = response.json().get("detail", "") if _is_json(response) else response.text
            raise Refused(response.status_code, str(detail))
        result: dict[str, Any] = response.json()
        return result


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")
