"""Opponent levels: which AI the player plays against, from `[levels]` in the config.

Each level is a real model served under its own name. The strongest level (the one without a
`target_top1`) is the trained model itself, served as `[model] name`; every weaker level is that
model looking at smaller photos, exported by `cargame train` (or `cargame levels`) as
`<[model] name>-<level>` with the photo size chosen so that its validation top-1 lands near its
target. Plain Python: the web tier, the runner and the model service all read levels here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cargame.config import Config, ConfigError
from cargame.domain.exports import latest_report

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,15}$")  # fits games.level (16 characters) and URLs


@dataclass(frozen=True)
class Level:
    """One opponent: its name (recorded with games), title, servable and calibration target."""

    name: str
    title: str
    servable: str
    target_top1: float | None = None  # None: the trained model itself, at full strength

    @property
    def full_strength(self) -> bool:
        return self.target_top1 is None


@dataclass(frozen=True)
class Levels:
    """The levels on offer, weakest first, and the one preselected on the start page."""

    levels: tuple[Level, ...]
    default: str

    @classmethod
    def from_config(cls, config: Config) -> Levels:
        """`[levels] list` and `default`; servable names follow `[model] name`."""
        section = config.section("levels")
        return cls.parse(section.get("list", []), section.get("default", ""), config)

    @classmethod
    def parse(cls, entries: object, default: object, config: Config) -> Levels:
        """Checked levels from raw config values (a ConfigError says what is wrong)."""
        model_name = str(config.get("model", "name"))
        if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
            raise ConfigError("[levels] list must be a non-empty list of {name, title, ...}")
        levels = tuple(_level(entry, model_name) for entry in entries)
        _check(levels, default)
        return cls(levels, str(default))

    @classmethod
    def single(cls, servable: str) -> Levels:
        """One level, the model itself (settings built without a config, e.g. in tests)."""
        return cls((Level("expert", "Expert", servable),), "expert")

    @property
    def names(self) -> list[str]:
        return [level.name for level in self.levels]

    @property
    def strongest(self) -> Level:
        return next(level for level in self.levels if level.full_strength)

    @property
    def weaker(self) -> list[Level]:
        """The levels derived from the trained model, weakest first."""
        return [level for level in self.levels if not level.full_strength]

    def get(self, name: object) -> Level | None:
        return next((level for level in self.levels if level.name == name), None)

    def resolve(self, name: object) -> Level:
        """The named level, or the default one for None or a name not on offer."""
        return self.get(name) or self.get(self.default) or self.strongest


def _level(entry: object, model_name: str) -> Level:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"[levels] list: {entry!r} is not a table {{name = ..., title = ...}}")
    unknown = sorted(set(entry) - {"name", "title", "target_top1"})
    if unknown:
        raise ConfigError(f"[levels] list: unknown keys {unknown} in {dict(entry)!r}")
    name = str(entry.get("name", ""))
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"[levels] list: level name {name!r} must be 1-16 lower-case letters, digits or '-'"
        )
    target = entry.get("target_top1")
    if target is not None and not (isinstance(target, int | float) and 0 < target < 1):
        raise ConfigError(f"[levels] list: {name} target_top1 must be between 0 and 1")
    servable = model_name if target is None else f"{model_name}-{name}"
    title = str(entry.get("title") or name.capitalize())
    return Level(name, title, servable, None if target is None else float(target))


def _check(levels: tuple[Level, ...], default: object) -> None:
    names = [level.name for level in levels]
    if len(set(names)) != len(names):
        raise ConfigError(f"[levels] list: level names must differ, got {names}")
    if sum(level.full_strength for level in levels) != 1:
        raise ConfigError(
            "[levels] list: exactly one level has no target_top1 (the trained model itself)"
        )
    if not levels[-1].full_strength:
        raise ConfigError("[levels] list: weakest first, the level without target_top1 last")
    targets = [level.target_top1 for level in levels[:-1]]
    if targets != sorted(targets):
        raise ConfigError("[levels] list: weakest first, so target_top1 must grow")
    if default not in names:
        raise ConfigError(f"[levels] default {default!r} is not one of {names}")


def measured_top1(models_dir: Path, servable: str) -> float | None:
    """A servable's top-1 on the game split, from its newest export's evaluation report."""
    report = latest_report(models_dir, servable) or {}
    value = report.get("splits", {}).get("game", {}).get("top1")
    return float(value) if isinstance(value, int | float) else None
