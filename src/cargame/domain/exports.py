"""The TF Serving export layout shared by the model service and the runner.

`<models>/<name>/<version>/`: a version folder counts once it has its number (exports are written
under a temporary name and renamed), so half-written exports are never seen.
"""

from __future__ import annotations

from pathlib import Path


def model_versions(models_dir: Path, name: str) -> list[int]:
    """The complete versions of a model, ascending."""
    folder = Path(models_dir) / name
    if not folder.is_dir():
        return []
    return sorted(
        int(entry.name) for entry in folder.iterdir() if entry.name.isdigit() and entry.is_dir()
    )
