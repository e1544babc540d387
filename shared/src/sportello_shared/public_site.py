"""Where the citizens' public site answers, and the shape of the links mailed to citizens.

One place for the URL layout that intake (acknowledgments), notify (mails) and the site itself
(its routes) must agree on.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PUBLIC_SITE_URL = "http://127.0.0.1:8005"
FOLLOW_PATH = "/{tenant}/segnalazioni/{token}"
RATING_PATH = "/{tenant}/valutazione/{token}"
CONFIRM_PATH = "/{tenant}/segnala/conferma/{token}"


class PublicSiteSettings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    url: str = Field(default=DEFAULT_PUBLIC_SITE_URL, validation_alias="PUBLIC_SITE_URL")

    @property
    def base(self) -> str:
        return self.url.rstrip("/")


@cache
def public_site_base() -> str:
    """The configured site's address, read once per process."""
    return PublicSiteSettings().base


def follow_url(base: str, tenant: str, token: str) -> str:
    """The case's status page; empty when the case has no token (registered before links)."""
    return base.rstrip("/") + FOLLOW_PATH.format(tenant=tenant, token=token) if token else ""


def rating_url(base: str, tenant: str, token: str) -> str:
    return base.rstrip("/") + RATING_PATH.format(tenant=tenant, token=token)
