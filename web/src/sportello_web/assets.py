"""Bootstrap Italia and htmx, served by the application itself from npm's node_modules: no CDN."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

# URL path under /static/vendor/ -> directory inside node_modules
VENDOR = {
    "bootstrap-italia": "bootstrap-italia/dist",
    "htmx": "htmx.org/dist",
    "htmx-ext-sse": "htmx-ext-sse",
}


class AssetsMissing(RuntimeError):
    """node_modules is not installed: run `npm ci` (make install does)."""


def find_node_modules(start: Path | None = None) -> Path:
    """`SPORTELLO_NODE_MODULES`, else the nearest node_modules above this package (the repo's)."""
    configured = os.environ.get("SPORTELLO_NODE_MODULES")
    if configured:
        return Path(configured)
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "node_modules"
        if (candidate / "bootstrap-italia").is_dir():
            return candidate
    raise AssetsMissing("node_modules/bootstrap-italia not found: run `npm ci` (make install)")


def mount_assets(app: FastAPI, node_modules: Path | None = None) -> None:
    """/static/web/* (this package's files) and /static/vendor/<name>/* (npm packages)."""
    modules = node_modules or find_node_modules()
    app.mount("/static/web", StaticFiles(directory=STATIC_DIR), name="web-static")
    for name, folder in VENDOR.items():
        directory = modules / folder
        if not directory.is_dir():
            raise AssetsMissing(f"{directory} is missing: run `npm ci` (make install)")
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=directory), name=f"vendor-{name}")
