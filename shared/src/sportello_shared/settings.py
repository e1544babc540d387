"""Settings shared by every service, read from environment variables only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote, urlparse

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class ServiceSettings(BaseSettings):
    """One service process. Each service subclasses it with its `service_name` and port."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    service_name: str = "sportello"
    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=_env("SPORTELLO_ENV")
    )
    http_host: str = Field(default="127.0.0.1", validation_alias=_env("HTTP_HOST"))
    http_port: int = Field(default=8000, validation_alias=_env("HTTP_PORT"))
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias=_env("NATS_URL"))
    # The service's own NATS user (deploy/nats/accounts.conf): its password from the environment
    # or a file; without NATS_USER, the credentials (if any) are those in NATS_URL.
    nats_user: str | None = Field(default=None, validation_alias=_env("NATS_USER"))
    nats_password: SecretStr | None = Field(default=None, validation_alias=_env("NATS_PASSWORD"))
    nats_password_file: Path | None = Field(
        default=None, validation_alias=_env("NATS_PASSWORD_FILE")
    )
    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    database_schema: str | None = Field(default=None, validation_alias=_env("DATABASE_SCHEMA"))
    data_dir: Path = Field(default=Path(".data"), validation_alias=_env("SPORTELLO_DATA_DIR"))
    tenants_dir: Path = Field(
        default=Path("deploy/tenants"), validation_alias=_env("SPORTELLO_TENANTS_DIR")
    )
    stream_replicas: int = Field(default=1, validation_alias=_env("STREAM_REPLICAS"))
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL"))
    relay_poll_interval: float = Field(default=0.2, validation_alias=_env("RELAY_POLL_INTERVAL"))
    # A log follower (relay, index, dispatcher) is woken by commits, its own process's and, through
    # the store (store_changes.py), other processes'; it reads the log at least this often anyway.
    follower_safety_poll: float = Field(
        default=5.0, gt=0, validation_alias=_env("FOLLOWER_SAFETY_POLL")
    )
    # A consumer's long poll: how long one fetch waits for messages, and so at most how long a
    # stopping service waits for its consumers to finish their batch and leave.
    consumer_long_poll: float = Field(
        default=1.0, gt=0, le=30, validation_alias=_env("CONSUMER_LONG_POLL")
    )
    # How long a consumer waits to top up a fetch that came back short while messages keep coming
    # (bus/fetching.py): bigger batches, so fewer transactions per message; each hop that much
    # later. 0.1 s took a third off the CPU per case at 30 cases/s (docs/benchmarks.md); 0: off.
    consumer_linger: float = Field(
        default=0.1, ge=0, le=1, validation_alias=_env("CONSUMER_LINGER")
    )
    # The same for a consumer nobody waits on within the second (`ConsumerSpec.background`: sla's
    # clocks, the case file's copy of routing's decision, the office's SLA warnings): batches of
    # a second's messages. With the relays' lingers: 11 % less CPU per case at 30 cases/s, the
    # acknowledgment mail and routing's decision as prompt as before (docs/benchmarks.md).
    consumer_background_linger: float = Field(
        default=1.0, ge=0, le=1, validation_alias=_env("CONSUMER_BACKGROUND_LINGER")
    )
    # How long the relay waits after a commit, while commits keep coming, before it reads and
    # publishes what they recorded (follower.py): one round of publishes for the commits of that
    # time, and bigger batches at every hop after it; each event that much later. Unset: the
    # service's own choice (`ServiceParts.relay_linger`: notify-svc 0.2 s, whose `sent` only
    # sla-svc's background consumer takes; the others 0: somebody waits on their events); 0: off.
    relay_linger: float | None = Field(
        default=None, ge=0, le=1, validation_alias=_env("RELAY_LINGER")
    )
    # the longest a request waits for the store before answering 503 (outages.py)
    store_wait_s: float = Field(default=5.0, gt=0, le=60, validation_alias=_env("STORE_WAIT_S"))
    cipher_key: SecretStr | None = Field(default=None, validation_alias=_env("CIPHER_KEY"))
    cipher_key_file: Path | None = Field(default=None, validation_alias=_env("CIPHER_KEY_FILE"))

    @model_validator(mode="after")
    def _production_encrypts(self) -> ServiceSettings:
        if self.environment == "production" and self.store_cipher_key() is None:
            raise ValueError(
                "CIPHER_KEY or CIPHER_KEY_FILE is required in production: "
                "citizens' personal data is never stored in clear"
            )
        return self

    def store_cipher_key(self) -> str | None:
        """The AES key (base64) for the event store, from the environment or a file."""
        if self.cipher_key is not None:
            return self.cipher_key.get_secret_value()
        if self.cipher_key_file is not None:
            return self.cipher_key_file.read_text(encoding="utf-8").strip()
        return None

    @property
    def nats_servers(self) -> list[str]:
        """NATS_URL's servers, with the service's own user and password when NATS_USER is set."""
        urls = [url.strip() for url in self.nats_url.split(",") if url.strip()]
        if not self.nats_user:
            return urls
        password = self._nats_password()
        userinfo = self.nats_user + (f":{password}" if password else "")
        if quote(userinfo, safe=":") != userinfo:
            # nats-py reads the URL's userinfo as is, without percent-decoding it
            raise ValueError("NATS_USER and NATS_PASSWORD: letters, digits, '-', '_' and '.' only")
        return [_with_userinfo(url, userinfo) for url in urls]

    @property
    def nats_inbox_prefix(self) -> str:
        """Where replies to this service arrive: its user may subscribe to its own inbox only."""
        return f"_INBOX.{self.nats_user}" if self.nats_user else "_INBOX"

    def _nats_password(self) -> str | None:
        if self.nats_password is not None:
            return self.nats_password.get_secret_value()
        if self.nats_password_file is not None:
            return self.nats_password_file.read_text(encoding="utf-8").strip()
        return None

    @property
    def store_schema(self) -> str:
        return self.database_schema or self.service_name.replace("-", "_")

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing persistence environment: PostgreSQL if configured, else SQLite."""
        common = {"SINGLE_ROW_TRACKING": "n"}
        key = self.store_cipher_key()
        if key is not None:
            # AES-GCM on every stored event's state (ids, versions and topics stay readable), in
            # eventsourcing's layout on OpenSSL (cipher.py).
            common |= {"CIPHER_TOPIC": "sportello_shared.cipher:GcmCipher", "CIPHER_KEY": key}
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path = self.data_dir / f"{self.service_name}.sqlite"
            return common | {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
            }
        url = urlparse(self.database_url)
        return common | {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_SCHEMA": self.store_schema,
            # A SELECT 1 before each use cost 15 % of intake; eventsourcing retries broken ones.
            "POSTGRES_PRE_PING": "n",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_CONNECT_TIMEOUT": "5",
        }


def _with_userinfo(url: str, userinfo: str) -> str:
    """`nats://host:port` → `nats://user:password@host:port` (any userinfo there replaced)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "nats", url
    return f"{scheme}://{userinfo}@{rest.rpartition('@')[2]}"
