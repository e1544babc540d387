"""An independent Open311 client (the npm `open311` package) against the real intake over HTTP.

The client posts and at once reads back by id, by a list of ids and by token, as third-party
apps do (issue 27), with the case index slowed so that the reads cannot count on it. The client
sends its key only when it posts, so it reads as the public does: it reports street lighting in
Rescaldina, a category the Comune publishes (deploy/tenants/rescaldina/privacy.yaml).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from sportello_devstack.natsserver import free_port, wait_for_port
from sportello_intake.main import build

from .conftest import ROOT, settings_for
from .test_open311_requests import PUBLIC_APP_KEY, api_keys

CLIENT = Path(__file__).with_name("open311_client.cjs")
ROUNDS = 25
pytestmark = pytest.mark.usefixtures(api_keys.__name__)  # the Open311 keys, as there


@pytest.fixture
async def intake_url(store: dict[str, str], nats_url: str) -> AsyncIterator[str]:
    """intake-svc served by uvicorn on a free port, its index 0.3 s behind on purpose."""
    settings = settings_for(store, nats_url, INDEX_DELAY_S=0.3, OPEN311_RATE_PER_MINUTE=10_000)
    port = free_port()
    config = uvicorn.Config(build(settings), host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.to_thread(wait_for_port, port)
        yield f"http://127.0.0.1:{port}/open311/v2/"
    finally:
        server.should_exit = True
        await serving


async def test_the_npm_open311_client_reads_back_each_request_it_posts(intake_url: str) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "open311").exists():
        pytest.fail("node and `npm ci` are part of `make install`; the client must run here")
    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT),
        intake_url,
        PUBLIC_APP_KEY,
        "rescaldina",
        "illuminazione_pubblica",
        str(ROUNDS),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["rounds"] == ROUNDS
    assert len(set(result["references"])) == ROUNDS
    assert all(re.fullmatch(r"RE-\d{4}-\d{6}", ref) for ref in result["references"])
