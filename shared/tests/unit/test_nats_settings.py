"""A service's own NATS user: NATS_USER and its password join every server of NATS_URL, and its
replies arrive under its own inbox prefix (the only one its user may subscribe to)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sportello_shared.settings import ServiceSettings


def test_without_a_user_the_url_is_used_as_given() -> None:
    settings = ServiceSettings(NATS_URL="nats://u1:test@127.0.0.1:4222, nats://b:4222")
    assert settings.nats_servers == ["nats://u1:test@127.0.0.1:4222", "nats://b:4222"]
    assert settings.nats_inbox_prefix == "_INBOX"


def test_the_service_user_and_password_join_every_server(tmp_path: Path) -> None:
    settings = ServiceSettings(
        NATS_URL="nats://a:4222,nats://old:secret@b:4222,c:4222",
        NATS_USER="routing",
        NATS_PASSWORD="s0a1b2-c_3.d",
    )
    assert settings.nats_servers == [
        "nats://routing:s0a1b2-c_3.d@a:4222",
        "nats://routing:s0a1b2-c_3.d@b:4222",
        "nats://routing:s0a1b2-c_3.d@c:4222",
    ]
    assert settings.nats_inbox_prefix == "_INBOX.routing"
    secret = tmp_path / "nats-password"
    secret.write_text("from-a-file\n", encoding="utf-8")
    from_file = ServiceSettings(
        NATS_URL="nats://a:4222", NATS_USER="notify", NATS_PASSWORD_FILE=secret
    )
    assert from_file.nats_servers == ["nats://notify:from-a-file@a:4222"]


def test_a_password_the_url_cannot_carry_is_refused_clearly() -> None:
    settings = ServiceSettings(NATS_URL="nats://a:4222", NATS_USER="sla", NATS_PASSWORD="p@ss:w/1")
    with pytest.raises(ValueError, match="NATS_PASSWORD"):
        _ = settings.nats_servers
