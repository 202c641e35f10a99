"""`[levels]`: the opponent levels read once into typed settings, checked at start-up."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cargame.config import PROJECT_ROOT, ConfigError, load_config
from cargame.domain.levels import Level, Levels, measured_top1
from cargame.domain.rounds import GameSettings

ROOKIE = {"name": "rookie", "title": "Rookie", "target_top1": 0.6}
PRO = {"name": "pro", "title": "Pro", "target_top1": 0.8}
EXPERT = {"name": "expert", "title": "Expert"}


def parse(entries: Any, default: Any = "pro", model_name: str = "cars") -> Levels:
    config = load_config("test", environ={}).with_overrides({"model": {"name": model_name}})
    return Levels.parse(entries, default, config)


def test_the_default_config_offers_rookie_pro_and_expert() -> None:
    levels = Levels.from_config(load_config("default", environ={}))
    assert levels.names == ["rookie", "pro", "expert"]
    assert levels.default == "pro"
    assert [level.servable for level in levels.levels] == ["cars-rookie", "cars-pro", "cars"]
    assert levels.strongest == Level("expert", "Expert", "cars")
    assert [level.name for level in levels.weaker] == ["rookie", "pro"]
    targets = [level.target_top1 for level in levels.weaker]
    assert targets == sorted(targets) and all(0.5 <= target < 0.9 for target in targets)


def test_servables_follow_the_model_name() -> None:
    levels = parse([ROOKIE, EXPERT], "rookie", model_name="stanford")
    assert [level.servable for level in levels.levels] == ["stanford-rookie", "stanford"]


def test_resolve_falls_back_to_the_default_level() -> None:
    levels = parse([ROOKIE, PRO, EXPERT])
    assert levels.resolve("rookie").name == "rookie"
    assert levels.resolve(None).name == "pro"
    assert levels.resolve("godlike").name == "pro"
    assert levels.resolve(["rookie"]).name == "pro"


@pytest.mark.parametrize(
    ("entries", "default", "complaint"),
    [
        ([], "pro", "non-empty list"),
        ("rookie,pro", "pro", "non-empty list"),  # e.g. an environment variable
        ([ROOKIE, PRO], "pro", "exactly one level has no target_top1"),
        ([EXPERT, ROOKIE], "rookie", "the level without target_top1 last"),
        ([PRO, ROOKIE, EXPERT], "pro", "target_top1 must grow"),
        ([ROOKIE, {**ROOKIE, "target_top1": 0.7}, EXPERT], "rookie", "must differ"),
        ([{**ROOKIE, "name": "Rookie Level"}, EXPERT], "expert", "lower-case"),
        ([{**ROOKIE, "target_top1": 1.5}, EXPERT], "expert", "between 0 and 1"),
        ([{**ROOKIE, "colour": "red"}, EXPERT], "expert", "unknown keys"),
        ([ROOKIE, EXPERT], "pro", "default 'pro' is not one of"),
    ],
)
def test_a_broken_levels_section_is_a_clear_config_error(
    entries: Any, default: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        parse(entries, default)


def test_game_settings_read_the_levels_once_and_switch_servable_by_level() -> None:
    settings = GameSettings.from_config(load_config("default", environ={}))
    assert (settings.model_name, settings.level) == ("cars", "expert")
    rookie = settings.at_level("rookie")
    assert (rookie.model_name, rookie.level) == ("cars-rookie", "rookie")
    assert rookie.serving_url == settings.serving_url and rookie.levels is settings.levels
    assert settings.at_level(None).model_name == "cars-pro"
    bare = GameSettings("http://a:1", "http://b:2", "cars")
    assert bare.at_level("rookie") is bare  # no levels configured: the one model


def test_measured_top1_reads_the_newest_report(tmp_path: Path) -> None:
    assert measured_top1(tmp_path, "cars-rookie") is None
    for version, top1 in ((1, 0.4), (2, 0.55)):
        folder = tmp_path / "cars-rookie" / str(version)
        folder.mkdir(parents=True)
        report = {"splits": {"game": {"top1": top1}}}
        (folder / "evaluation.json").write_text(json.dumps(report))
    assert measured_top1(tmp_path, "cars-rookie") == 0.55
    (tmp_path / "cars-rookie" / "3").mkdir()  # a version without a report
    assert measured_top1(tmp_path, "cars-rookie") is None


def test_the_tf_serving_model_config_serves_every_default_level() -> None:
    """docker-compose's TF Serving loads exactly the servables of the default [levels]."""
    text = (PROJECT_ROOT / "deploy" / "tf-serving" / "models.config").read_text()
    names = re.findall(r'name: "([^"]+)"\s+base_path: "/models/([^"]+)"', text)
    levels = Levels.from_config(load_config("default", environ={}))
    assert sorted(names) == sorted((level.servable, level.servable) for level in levels.levels)
