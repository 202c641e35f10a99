"""The newest version of each model in `<models>/<name>/<version>/`, reloaded when one appears.

Mirrors TF Serving's default version policy ("latest 1"): a newer version is loaded in the
background while the current one keeps serving, then replaces it; the old one is reported as END.
Both the model server and the explainer use this, each with its own loader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from cargame.domain.exports import model_versions
from model_service.serving import webio

log = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")


@dataclass
class VersionState:
    """One version's ModelVersionStatus: state plus the status of its last transition."""

    state: str
    error_code: str = "OK"
    error_message: str = ""

    def as_json(self, version: int) -> dict[str, Any]:
        status = {"error_code": self.error_code, "error_message": self.error_message}
        return {"version": str(version), "state": self.state, "status": status}


def version_folders(models_dir: Path) -> dict[str, dict[int, Path]]:
    """Complete versions per model name (a version folder is complete once it has its number)."""
    found: dict[str, dict[int, Path]] = {}
    if not models_dir.is_dir():
        return found
    for model_dir in sorted(models_dir.iterdir()):
        if not model_dir.is_dir() or model_dir.name.startswith("."):
            continue
        versions = model_versions(models_dir, model_dir.name)
        numbered = {version: model_dir / str(version) for version in versions}
        if numbered:
            found[model_dir.name] = numbered
    return found


class ModelRepository(Generic[Loaded]):
    """Loaded models by name; `get` answers with the served version, `refresh` picks up new ones."""

    def __init__(self, models_dir: Path, loader: Callable[[str, int, Path], Loaded]) -> None:
        self.models_dir = models_dir
        self._loader = loader
        self._served: dict[str, tuple[int, Loaded]] = {}
        # The version served before the newest stays loaded for requests that name it: games
        # started just before a swap pin it, and their remaining calls must still find it.
        self._retiring: dict[str, tuple[int, Loaded]] = {}
        self._states: dict[str, dict[int, VersionState]] = {}
        self._lock = asyncio.Lock()

    def get(self, name: str, version: int | None = None) -> Loaded:
        """The served model, or TF Serving's NOT_FOUND message for the request."""
        served = self._served.get(name)
        if served is not None and version in (None, served[0]):
            return served[1]
        retiring = self._retiring.get(name)
        if retiring is not None and version == retiring[0]:
            return retiring[1]
        request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
        raise webio.NotFoundError(f"Servable not found for request: {request}")

    def served_version(self, name: str) -> int | None:
        served = self._served.get(name)
        return served[0] if served else None

    def status(self, name: str, version: int | None = None) -> dict[str, Any]:
        """GetModelStatusResponse as JSON (get_model_status_impl.cc), newest version first."""
        states = self._states.get(name, {})
        if version is not None:
            if version not in states:
                raise webio.NotFoundError(f"Could not find version {version} of model {name}")
            return {"model_version_status": [states[version].as_json(version)]}
        if not states:
            raise webio.NotFoundError(f"Could not find any versions of model {name}")
        ordered = sorted(states.items(), reverse=True)
        return {"model_version_status": [state.as_json(number) for number, state in ordered]}

    async def refresh(self) -> None:
        """Load the newest version of every model if it is newer than the one served."""
        async with self._lock:
            for name, versions in version_folders(self.models_dir).items():
                newest = max(versions)
                if newest not in self._states.get(name, {}) and newest > (
                    self.served_version(name) or 0
                ):
                    await self._load(name, newest, versions[newest])

    async def watch(self, poll_seconds: float) -> None:
        """Poll the models folder forever (cancel the task to stop)."""
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                await self.refresh()
            except OSError as error:
                log.warning("cannot scan %s: %s", self.models_dir, error)

    async def _load(self, name: str, version: int, path: Path) -> None:
        states = self._states.setdefault(name, {})
        states[version] = VersionState("LOADING")
        log.info("loading %s version %d from %s", name, version, path)
        try:
            loaded = await asyncio.to_thread(self._loader, name, version, path)
        except Exception as error:  # a broken export must not take the server down
            log.exception("failed to load %s version %d", name, version)
            states[version] = VersionState("END", "UNKNOWN", f"{type(error).__name__}: {error}")
            return
        previous = self._served.get(name)
        self._served[name] = (version, loaded)
        states[version] = VersionState("AVAILABLE")
        dropped = self._retiring.pop(name, None)
        if dropped is not None:
            states[dropped[0]] = VersionState("END")
        if previous is not None:
            self._retiring[name] = previous
            states[previous[0]] = VersionState("UNLOADING")
        log.info("serving %s version %d", name, version)
