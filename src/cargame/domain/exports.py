"""The TF Serving export layout shared by the model service, the runner and the web tier.

`<models>/<name>/<version>/`: a version folder counts once it has its number (exports are written
under a temporary name and renamed), so half-written exports are never seen. Each opponent level
is its own `<name>` (see `domain.levels`); a version may hold the evaluation report beside the
SavedModel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVALUATION_FILE = "evaluation.json"  # the evaluation report, for programs (and the start page)


def model_versions(models_dir: Path, name: str) -> list[int]:
    """The complete versions of a model, ascending."""
    folder = Path(models_dir) / name
    if not folder.is_dir():
        return []
    return sorted(
        int(entry.name) for entry in folder.iterdir() if entry.name.isdigit() and entry.is_dir()
    )


def latest_report(models_dir: Path, name: str) -> dict[str, Any] | None:
    """The evaluation report of a model's newest version; None when there is none to read."""
    versions = model_versions(models_dir, name)
    if not versions:
        return None
    path = Path(models_dir) / name / str(versions[-1]) / EVALUATION_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None
