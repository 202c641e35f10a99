"""Test helpers importable from any test module: `from support import shared_path`."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
REQUIRE_SERVICES = os.environ.get("CARGAME_REQUIRE_SERVICES") == "1"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"internal test data not available: {path}")
    return path


def require_service(host: str, port: int, name: str) -> None:
    """Skip (or fail, with CARGAME_REQUIRE_SERVICES=1) when a service is not listening."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return
    except OSError as error:
        message = f"{name} not reachable at {host}:{port}: {error}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (CARGAME_REQUIRE_SERVICES=1)")
        pytest.skip(message)


def free_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def b64(data: bytes) -> dict[str, str]:
    """Binary data as TF Serving's REST API carries it: `{"b64": ...}`."""
    return {"b64": base64.b64encode(data).decode("ascii")}
