"""`cargame precompute` warms the explainer's cache for every level on offer, each its own
servable: a game against Pro asks the explainer about `<model>-pro`, not the trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import diskcache
import pytest
from support_models import TinyExport, build_shapes_catalog

from cargame import cli

pytestmark = pytest.mark.slow


def test_precompute_warms_every_exported_level(
    tiny_export: TinyExport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models_dir = tmp_path / "models"
    # The default levels are rookie, pro and expert; only rookie is exported besides the model.
    for servable in ("tiny", "tiny-rookie"):
        shutil.copytree(tiny_export.version_dir, models_dir / servable / "1")
    catalog = build_shapes_catalog(tmp_path / "catalog", dict.fromkeys(tiny_export.labels, 10))
    monkeypatch.setenv("CARGAME_PATHS_CACHE", str(tmp_path / "cache"))
    argv = ["precompute", "--catalog", str(catalog.root), "--models", str(models_dir)]

    assert cli.main([*argv, "--name", "tiny"]) == 0

    out = capsys.readouterr().out
    games = len(catalog.split("game"))
    assert f"explanations of tiny-rookie cached for {games} game images" in out
    assert f"explanations of tiny cached for {games} game images" in out
    assert "tiny-pro is not exported" in out
    with diskcache.Cache(str(tmp_path / "cache" / "explainer")) as cache:
        # top-1 and true class per photo, per servable; the same class once
        assert games * 2 <= len(cache) <= games * 4


def test_precompute_without_any_export_says_so(tmp_path: Path) -> None:
    catalog = build_shapes_catalog(tmp_path / "catalog", {"Acme/Alpha": 6, "Acme/Beta": 6})
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["precompute", "--catalog", str(catalog.root), "--models", str(tmp_path / "none")])
    assert exit_info.value.code == 2
