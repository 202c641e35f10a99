"""The `[booth]` settings, checked once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cargame.config import Config, ConfigError


@dataclass(frozen=True)
class BoothSettings:
    """How the kiosk behaves; see configs/default.toml for each value's meaning."""

    enabled: bool
    idle_seconds: int
    countdown_seconds: int
    accounts: bool
    timezone: ZoneInfo
    attract_seconds: int
    wall_refresh_seconds: int
    claim_link_seconds: int
    public_url: str

    @classmethod
    def from_config(cls, config: Config) -> BoothSettings:
        """Read `[web] booth` and `[booth]`; raises ConfigError for unusable values."""
        values = config.section("booth")
        numbers = {}
        for key in (
            "idle_seconds",
            "countdown_seconds",
            "attract_seconds",
            "wall_refresh_seconds",
            "claim_link_seconds",
        ):
            value = values.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"[booth] {key} must be a whole number of seconds, at least 1")
            numbers[key] = value
        try:
            zone = ZoneInfo(str(values.get("timezone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(f"[booth] timezone {values.get('timezone')!r} is unknown") from error
        public_url = str(values.get("public_url") or "").rstrip("/")
        if public_url and not public_url.startswith(("http://", "https://")):
            raise ConfigError("[booth] public_url must start with http:// or https://")
        return cls(
            enabled=bool(config.get("web", "booth")),
            accounts=bool(values.get("accounts", False)),
            timezone=zone,
            public_url=public_url,
            **numbers,
        )

    def today(self, now: datetime | None = None) -> date:
        """Today at the fair, in `[booth] timezone`."""
        return (now or datetime.now(self.timezone)).astimezone(self.timezone).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The fair's `day` as an aware [start, end) interval, for comparing stored UTC times."""
        start = datetime.combine(day, time(), tzinfo=self.timezone)
        return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=self.timezone)
