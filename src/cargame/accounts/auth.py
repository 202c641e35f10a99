"""Sign-in, registration and sign-out: server-rendered forms with Flask-WTF CSRF tokens."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from cargame.accounts import admin, booth_claims, claim_pages, passwords, throttle
from cargame.accounts.db import db_session, init_database
from cargame.accounts.game_records import abandon_current_game, keep_game, session_key
from cargame.accounts.guard import register_callback_guard
from cargame.accounts.models import User
from cargame.accounts.sessions import revoke_current_session
from cargame.booth.settings import BoothSettings
from cargame.config import Config

logger = logging.getLogger(__name__)
blueprint = Blueprint("accounts", __name__, template_folder="templates")

NEXT_KEY = "next"  # the session key flask-login uses with USE_SESSION_FOR_NEXT
DEFAULT_NEXT = "/"
CSRF_MESSAGE = "This form expired or did not come from this site. Please try again."
KEEP_TOKEN_CHARS = 512  # a keep token is ~150 characters; nothing longer is echoed into a form


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired()])
    keep = HiddenField()  # a guest's "Keep this game" token, from the final score page


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    keep = HiddenField()
    password = PasswordField("Password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )

    def validate_username(self, field: StringField) -> None:
        problem = passwords.username_problem(passwords.normalise_username(field.data or ""))
        if problem:
            raise ValidationError(problem)

    def validate_password(self, field: PasswordField) -> None:
        username = passwords.normalise_username(self.username.data or "")
        problems = passwords.password_problems(field.data or "", username)
        if problems:
            raise ValidationError(" ".join(problems))


class LogoutForm(FlaskForm):
    """No fields: only the CSRF token, so another site cannot sign a player out."""


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (`/profile?x=1`), else None: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(character) < 32 for character in target):
        return None  # browsers read "/\evil.example" and "/\t/evil.example" as other hosts
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if parts.path in (
        url_for("accounts.login"),
        url_for("accounts.logout"),
        url_for("accounts.next_player"),
    ):
        return None
    return target


def _remember_next() -> None:
    if NEXT_KEY in request.args:
        target = safe_next(request.args[NEXT_KEY])
        if target:
            session[NEXT_KEY] = target
        else:
            session.pop(NEXT_KEY, None)


def _next_page() -> str:
    return safe_next(session.pop(NEXT_KEY, None)) or DEFAULT_NEXT


def _form_page(template: str, form: FlaskForm, error: str | None = None) -> ResponseReturnValue:
    if form.is_submitted() and "csrf_token" in form.errors:
        return render_template(template, form=form, error=CSRF_MESSAGE), 400
    if not form.is_submitted() and "keep" in request.args:
        form.keep.data = request.args["keep"][:KEEP_TOKEN_CHARS]
    return render_template(template, form=form, error=error)


def fresh_session() -> None:
    """Forget everything of this browser's session and give it a new id.

    The old id is deleted on the server, so a copy of the old cookie opens an empty session, and
    the new visitor gets a new game binding: no game, guest game or form of the previous one.
    """
    session.clear()
    session["fresh"] = True  # a non-empty session, so that Flask-Session issues a new id now
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    session.pop("fresh")


def _sign_in(user: User, keep: str | None) -> ResponseReturnValue:
    previous = session_key()
    next_page = _next_page()
    _leave_open_game()  # the new session cannot reach it any more
    fresh_session()
    login_user(user, remember=False)  # never a remember-me cookie: the booth screen is shared
    if booth_claims.is_claim_token(keep):
        # From a booth QR link on the player's own phone: the link is the proof, not the session.
        if not booth_claims.claim(keep, user.id):
            return redirect(url_for("claims.claim_page", token=keep))  # says why it refused
        return redirect(next_page)
    keep_game(keep, previous, user.id)  # only the game the guest asked to keep, if any
    return redirect(next_page)


def _leave_open_game() -> None:
    try:
        abandon_current_game()
    except SQLAlchemyError:  # the record suffers, never the sign-in or sign-out itself
        logger.exception("could not mark the open game abandoned")


def _sign_out() -> ResponseReturnValue:
    _leave_open_game()
    revoke_current_session()  # no request still in flight can write this session back
    logout_user()
    session.clear()  # an emptied session is deleted on the server, and its cookie in the browser
    return redirect(DEFAULT_NEXT)


@blueprint.errorhandler(SQLAlchemyError)
def _records_down(error: SQLAlchemyError) -> ResponseReturnValue:
    """Sign-in and registration while the database is down: say so (503), never a 500."""
    logger.exception("accounts database unavailable", exc_info=error)
    form = LoginForm(formdata=None)
    message = "Accounts are unavailable right now. Please try again in a minute."
    return render_template("accounts/login.html", form=form, error=message), 503


def _paused(error: RateLimitExceeded) -> ResponseReturnValue:
    form = LoginForm(formdata=None)
    message = throttle.paused_message(error)
    return render_template("accounts/login.html", form=form, error=message), 429


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in. Failed attempts are throttled per address (see `throttle`)."""
    _remember_next()
    if current_user.is_authenticated:
        return redirect(_next_page())
    form = LoginForm()
    if not form.validate_on_submit():
        return _form_page("accounts/login.html", form)
    username = passwords.normalise_username(form.username.data)
    with db_session() as database:
        user = database.scalar(select(User).where(User.username == username))
    # The hash is checked for unknown usernames too, so timing does not tell who is registered.
    matches = passwords.verify_password(user.password_hash if user else None, form.password.data)
    if user is None or not matches:
        error = "Wrong username or password."
        return render_template("accounts/login.html", form=form, error=error), 401
    return _sign_in(user, form.keep.data)


@blueprint.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Create a player account and sign in to it."""
    _remember_next()
    if current_user.is_authenticated:
        return redirect(_next_page())
    form = RegisterForm()
    if not form.validate_on_submit():
        return _form_page("accounts/register.html", form)
    username = passwords.normalise_username(form.username.data)
    user = User(username=username, password_hash=passwords.hash_password(form.password.data))
    with db_session() as database:
        database.add(user)
        try:
            database.commit()
        except IntegrityError:
            # The username was already taken (perhaps a moment ago), which made the insert fail.
            database.rollback()
            form.username.errors = [*form.username.errors, "That username is taken."]
            return render_template("accounts/register.html", form=form), 409
    return _sign_in(user, form.keep.data)


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """Ask, then sign out and forget the whole session (the next player starts fresh)."""
    if not current_user.is_authenticated:
        return redirect(DEFAULT_NEXT)
    form = LogoutForm()
    if not form.validate_on_submit():
        return _form_page("accounts/logout.html", form)
    return _sign_out()


@blueprint.route("/next-player", methods=["GET", "POST"])
def next_player() -> ResponseReturnValue:
    """Booth screens: sign out if signed in and forget the whole session, game included.

    The final score page posts here directly; GET (or an expired form) asks first.
    """
    form = LogoutForm()
    if not form.validate_on_submit():
        return _form_page("accounts/next_player.html", form)
    return _sign_out()  # the game pointer is bound to the session, so the game is gone too


def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    try:
        with db_session() as database:
            return database.get(User, int(user_id))
    except SQLAlchemyError:
        # The database is down: this request is served as a visitor's rather than failing.
        logger.exception("could not load the signed-in user")
        return None


def register_accounts(
    server: Flask, config: Config, login_manager: LoginManager | None = None
) -> None:
    """Sessions, database (migrated), flask-login, the auth pages and the Dash callback guard."""
    # After signing in, return to the page that asked for it (kept in the session, not the URL).
    server.config["USE_SESSION_FOR_NEXT"] = True
    init_database(server, config)
    manager = login_manager or getattr(server, "login_manager", None) or LoginManager()
    if getattr(server, "login_manager", None) is not manager:
        manager.init_app(server)
    manager.login_view = "accounts.login"
    manager.login_message = "Please sign in to see this page."
    manager.user_loader(_load_user)
    server.register_blueprint(blueprint)
    server.config[booth_claims.MAX_AGE_KEY] = BoothSettings.from_config(config).claim_link_seconds
    server.register_blueprint(claim_pages.blueprint)
    admin.register(server)
    throttle.init_app(server, config, blueprint, "accounts.login")
    server.register_error_handler(RateLimitExceeded, _paused)
    register_callback_guard(server)
