"""Open311 API keys: one per client platform and tenant, kept as SHA-256 digests only.

The file (`OPEN311_KEYS_FILE`, else `<SPORTELLO_DATA_DIR>/open311/api-keys.json`) is a JSON list
of `{"client": "…", "tenant": "…", "sha256": "…"}`, each with an optional `sees` (a
`sportello_shared.privacy.Grant`: `categories` (a list or "*"), `description`, `location`): what
the client may read beyond the tenant's public listing. Keys are long random tokens, so a plain
digest is enough and intake never holds a key in clear. The file is re-read when it changes:
issuing or revoking a key needs no restart.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_settings import BaseSettings, SettingsConfigDict
from sportello_shared.privacy import Grant

KEYS_FILE_NAME = Path("open311") / "api-keys.json"


class Open311Settings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    keys_file: Path | None = Field(default=None, validation_alias="OPEN311_KEYS_FILE")
    data_dir: Path = Field(default=Path(".data"), validation_alias="SPORTELLO_DATA_DIR")

    @property
    def keys_path(self) -> Path:
        return self.keys_file or self.data_dir / KEYS_FILE_NAME


class ApiClient(BaseModel):
    """A client platform (an app, FixMyStreet, another city system) allowed into one tenant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client: str = Field(min_length=1, max_length=100)
    tenant: str = Field(min_length=1, max_length=63)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    sees: Grant | None = None


_CLIENTS = TypeAdapter(list[ApiClient])


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._by_digest: dict[str, ApiClient] = {}

    def client_for(self, key: str) -> ApiClient | None:
        return self._current().get(digest(key))

    def _current(self) -> dict[str, ApiClient]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                clients = _CLIENTS.validate_json(self.path.read_bytes())
                self._by_digest = {c.sha256: c for c in clients}
                self._stamp = stamp
            return self._by_digest


_registry: dict[Path, ApiKeys] = {}


def api_keys() -> ApiKeys:
    """The keys as configured now (the environment is read on every call, the file when changed)."""
    path = Open311Settings().keys_path.resolve()
    return _registry.setdefault(path, ApiKeys(path))
