"""Admin work on accounts: the users with their roles and games, and changing a role.

`POST /admin/users/<id>/role` is a plain form post from the /admin page, checked here on the
server: anonymous 401, non-admins 403, a missing or forged CSRF token 400. It answers with a
redirect to /admin carrying a fixed notice key, never anything the request sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import Blueprint, Flask, Response, redirect
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from wtforms import SelectField
from wtforms.validators import InputRequired

from cargame.accounts.db import db_session
from cargame.accounts.models import ROLES, Game, User

logger = logging.getLogger(__name__)
blueprint = Blueprint("admin", __name__)

ADMIN_PATH = "/admin"
NOTICE_KEY = "notice"  # the query parameter /admin reads its message from
CSRF_MESSAGE = "This form expired or did not come from this site. Reload /admin and try again."

RoleChange = Literal["changed", "last-admin", "no-user"]


@dataclass(frozen=True)
class UserRow:
    """One account as the admin page lists it."""

    user_id: int
    username: str
    role: str
    created_at: datetime
    games_played: int  # finished games


class RoleForm(FlaskForm):
    """The role picker of one user's row; the CSRF token comes with FlaskForm."""

    role = SelectField("Role", choices=list(ROLES), validators=[InputRequired()])


def user_rows(session: Session) -> list[UserRow]:
    """Every user with role, creation time and finished games, counted in SQL, by username."""
    games = (
        select(Game.user_id, func.count().label("games"))
        .where(Game.status == "finished", Game.user_id.is_not(None))
        .group_by(Game.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.id, User.username, User.role, User.created_at, games.c.games)
        .outerjoin(games, games.c.user_id == User.id)
        .order_by(User.username)
    ).all()
    return [UserRow(row[0], row[1], row[2], row[3], row[4] or 0) for row in rows]


def set_role(session: Session, user_id: int, role: str) -> RoleChange:
    """Give a user `role` in the session's transaction, unless that would leave no admin.

    Two admins demoting each other at once must not both succeed. On PostgreSQL the admin rows
    are locked first (FOR UPDATE), so a second demotion waits for the first to commit and then
    counts afresh; SQLite ignores FOR UPDATE but lets one writer at a time run the conditional
    UPDATE below, whose admin count is read inside the same statement.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    admin_rows = select(User.id).where(User.role == "admin").order_by(User.id)  # one lock order
    session.execute(admin_rows.with_for_update()).all()
    admins = select(func.count()).select_from(User).where(User.role == "admin").scalar_subquery()
    changed = session.execute(
        update(User)
        .where(User.id == user_id)
        .where(or_(User.role != "admin", literal(role) == "admin", admins > 1))
        .values(role=role)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 1:  # type: ignore[attr-defined]
        return "changed"
    exists = session.scalar(select(User.id).where(User.id == user_id))
    return "no-user" if exists is None else "last-admin"


def _back(notice: str) -> Response:
    """Back to /admin with a fixed message key; 303 so the browser follows with a GET."""
    return redirect(f"{ADMIN_PATH}?{NOTICE_KEY}={notice}", code=303)


@blueprint.post("/admin/users/<int:user_id>/role")
def change_role(user_id: int) -> ResponseReturnValue:
    """Change one user's role from the /admin page's form (admins only)."""
    if not current_user.is_authenticated:
        return Response("sign in as an admin first", status=401, mimetype="text/plain")
    if not current_user.has_role("admin"):
        return Response("changing roles needs the admin role", status=403, mimetype="text/plain")
    form = RoleForm()
    if not form.validate_on_submit():
        message = (
            CSRF_MESSAGE if "csrf_token" in form.errors else "Choose player, analyst or admin."
        )
        return Response(message, status=400, mimetype="text/plain")
    try:
        with db_session() as database, database.begin():
            outcome = set_role(database, user_id, form.role.data)
    except SQLAlchemyError:
        logger.exception("could not change the role of user %s", user_id)
        return _back("unavailable")
    if outcome == "changed":
        logger.info("%s set user %s to %s", current_user.username, user_id, form.role.data)
    return _back("role-changed" if outcome == "changed" else outcome)


def register(server: Flask) -> None:
    """Add the admin routes to `server`."""
    server.register_blueprint(blueprint)
