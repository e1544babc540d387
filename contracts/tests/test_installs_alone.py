"""sportello-contracts installs alone: a fresh virtual environment with nothing but this package
and what it declares (pydantic) reads and writes every event, without the platform's FastAPI,
psycopg, eventsourcing or nats-py.

The environment is built offline with the repository's own uv (`make install` puts it in
`.tools/`): first pydantic[email] and what it needs, pinned and hashed as in requirements.lock,
from uv's cache; then the package itself, resolved against that environment and built as a real
wheel (not an editable link), so the published schemas must be shipped inside it to be found.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
UV = REPO / ".tools" / "bin" / "uv"
# pydantic[email] and its own dependencies: all the contracts may need.
PYDANTIC = {
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "email-validator",
    "dnspython",
    "idna",
}
PLATFORM = ("fastapi", "psycopg", "eventsourcing", "nats", "sportello_shared", "starlette")

PROBE = """
import importlib, importlib.util, json, pkgutil, sys
import sportello_contracts
from sportello_contracts import published
found = pkgutil.walk_packages(sportello_contracts.__path__, "sportello_contracts.")
modules = [m.name for m in found]
for name in modules:
    importlib.import_module(name)
platform = %r
schema = published.json_schema("it.sportello.case.assigned.v1")
print(json.dumps({
    "file": sportello_contracts.__file__,
    "modules": modules,
    "importable": [p for p in platform if importlib.util.find_spec(p) is not None],
    "imported": [p for p in platform if p in sys.modules],
    "schema_id": schema["$id"],
    "types": len(published.event_types()),
    "asyncapi": published.asyncapi().startswith("asyncapi: 3.0.0"),
}))
"""


def test_the_contracts_install_and_import_without_the_platform(tmp_path: Path) -> None:
    if not UV.exists():
        pytest.fail(f"{UV} is made by `make install`; the test builds the venv with it")
    venv = tmp_path / "partner"
    env = {**os.environ, "UV_OFFLINE": "1", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    run = [str(UV), "--quiet"]
    subprocess.run([*run, "venv", "--python", sys.executable, str(venv)], env=env, check=True)
    python = venv / "bin" / "python"
    pinned = tmp_path / "pydantic.txt"
    pinned.write_text(_locked(PYDANTIC), encoding="utf-8")
    synced = subprocess.run(
        [*run, "pip", "sync", "--python", str(python), str(pinned)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert synced.returncode == 0, synced.stderr
    installed = subprocess.run(
        [*run, "pip", "install", "--python", str(python), str(REPO / "contracts")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    frozen = subprocess.run(
        [*run, "pip", "freeze", "--python", str(python)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split("==")[0].split(" @ ")[0].lower() for line in frozen.splitlines()}
    assert "sportello-contracts" in names
    assert not names & {"fastapi", "psycopg", "eventsourcing", "nats-py", "sportello-shared"}

    probe = subprocess.run(
        [str(python), "-I", "-c", PROBE % (PLATFORM,)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)
    assert report["file"].startswith(str(venv)), report[
        "file"
    ]  # the installed copy, not the repo's
    assert {"sportello_contracts.cases", "sportello_contracts.subjects"} <= set(report["modules"])
    assert report["importable"] == [] and report["imported"] == []
    assert report["schema_id"] == "urn:sportello:schema:it.sportello.case.assigned.v1"
    assert report["types"] >= 20 and report["asyncapi"]


def _locked(names: set[str]) -> str:
    """The requirements.lock entries (pin and hashes) of these packages."""
    kept: list[str] = []
    keep = False
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = re.split(r"[=; ]", line, maxsplit=1)[0] in names
        if keep and not line.lstrip().startswith("#"):
            kept.append(line)
    return "\n".join(kept) + "\n"
