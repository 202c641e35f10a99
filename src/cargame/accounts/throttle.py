"""Slow down password guessing: too many recent failures lock a username or an address for a while.

Failures are rows in the accounts database, so every worker process and container sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cargame.accounts.models import LoginFailure, utc_now

WINDOW = timedelta(minutes=15)  # failures older than this no longer count
MAX_FAILURES_PER_USERNAME = 5  # a person mistyping does not need more; a guesser gets 20 an hour
MAX_FAILURES_PER_ADDRESS = 20  # several players may share one booth or one NAT address
KEEP_FAILURES = timedelta(days=1)  # rows older than this are deleted as new failures arrive
KEY_LENGTH = 64  # the column width; typed usernames may be longer than any registered one


@dataclass(frozen=True)
class Lockout:
    """Sign-in is refused for `scope` ("account" or "address") for `remaining` more time."""

    scope: str
    remaining: timedelta

    @property
    def message(self) -> str:
        minutes = max(1, -(-int(self.remaining.total_seconds()) // 60))
        subject = "this account" if self.scope == "account" else "this network address"
        unit = "minute" if minutes == 1 else "minutes"
        return (
            f"Too many failed sign-in attempts for {subject}. "
            f"Sign-in is paused: try again in {minutes} {unit}."
        )


def _unlocks_at(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: datetime
) -> datetime | None:
    # Locked while `limit` failures lie inside the window; it lifts when the limit-th most recent
    # one leaves the window.
    limit_th = session.scalar(
        select(LoginFailure.failed_at)
        .where(column == value, LoginFailure.failed_at > now - WINDOW)
        .order_by(LoginFailure.failed_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return None if limit_th is None else limit_th + WINDOW


def lockout(
    session: Session, username: str, address: str, now: datetime | None = None
) -> Lockout | None:
    """The lockout in force for this username or address, or None when sign-in may proceed."""
    now = now or utc_now()
    checks = (
        ("account", LoginFailure.username, username[:KEY_LENGTH], MAX_FAILURES_PER_USERNAME),
        ("address", LoginFailure.address, address[:KEY_LENGTH], MAX_FAILURES_PER_ADDRESS),
    )
    for scope, column, value, limit in checks:
        unlocks_at = _unlocks_at(session, column, value, limit, now)
        if unlocks_at is not None and unlocks_at > now:
            return Lockout(scope, unlocks_at - now)
    return None


def record_failure(
    session: Session, username: str, address: str, now: datetime | None = None
) -> None:
    """Count one failed sign-in (also for usernames that do not exist) and commit."""
    now = now or utc_now()
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - KEEP_FAILURES))
    session.add(
        LoginFailure(username=username[:KEY_LENGTH], address=address[:KEY_LENGTH], failed_at=now)
    )
    session.commit()


def clear_failures(session: Session, username: str) -> None:
    """Forget a username's failures after a successful sign-in, and commit."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:KEY_LENGTH]))
    session.commit()
