"""/claim/<token>: where the booth's QR code leads, on the player's own phone."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import booth_claims

logger = logging.getLogger(__name__)
blueprint = Blueprint("claims", __name__, template_folder="templates")

STATUS = {"invalid": 404, "expired": 410, "used": 410}
HEADLINES = {"player": "You beat the AI!", "ai": "The AI won this one", "draw": "A draw"}


@blueprint.errorhandler(SQLAlchemyError)
def _records_down(error: SQLAlchemyError) -> ResponseReturnValue:
    """The database is down: say so (503); the link still works once it is back."""
    logger.exception("accounts database unavailable for a claim link", exc_info=error)
    message = "Keeping games is unavailable right now. Please try the link again in a minute."
    return render_template("accounts/claim.html", refused=message, game=None), 503


class ClaimForm(FlaskForm):
    """No fields: only the CSRF token, so another site cannot file games into an account."""


@blueprint.route("/claim/<token>", methods=["GET", "POST"])
def claim_page(token: str) -> ResponseReturnValue:
    """Show the game behind a claim link and how to keep it; a signed-in player keeps it here."""
    try:
        game = booth_claims.claimable_game(token)
    except booth_claims.ClaimRefused as refused:
        page = render_template("accounts/claim.html", refused=str(refused), game=None)
        return page, STATUS[refused.problem]
    form = ClaimForm()
    if current_user.is_authenticated and form.validate_on_submit():
        if booth_claims.claim(token, current_user.id):
            return redirect("/profile")
        refused = booth_claims.ClaimRefused("used")
        return render_template("accounts/claim.html", refused=str(refused), game=None), 410
    keep = urlencode({"keep": token, "next": "/profile"})
    return render_template(
        "accounts/claim.html",
        refused=None,
        game=game,
        headline=HEADLINES.get(game.winner or "", "Your game at the booth"),
        form=form,
        register_url=f"{url_for('accounts.register')}?{keep}",
        login_url=f"{url_for('accounts.login')}?{keep}",
        lifetime=booth_claims.link_lifetime(),
    )
