"""`/analytics/export.csv` and `.parquet`: the filtered rounds, streamed, for analysts only.

A Flask route, not a callback: a million rows never travel as callback JSON. Anonymous visitors
get 401 and players 403, whatever they send.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request, stream_with_context
from flask_login import current_user

from cargame.accounts.db import db_session
from cargame.accounts.guard import user_has_role
from cargame.analytics import export
from cargame.analytics.filters import FilterError, Filters
from cargame.analytics.pseudonyms import pseudonym_key
from cargame.web.bad_requests import json_error
from cargame.web.runtime import runtime

blueprint = Blueprint("analytics_export", __name__)
ROLE = "analyst"


@blueprint.get("/analytics/export.<kind>")
def download(kind: str) -> Response:
    """Stream the rounds that match the query string's filters as CSV or Parquet."""
    if not current_user.is_authenticated:
        return json_error("sign in as an analyst to export", 401)
    if not user_has_role(ROLE):
        return json_error("exports are for analysts", 403)
    if kind not in export.FORMATS:
        return json_error("export as csv or parquet", 404)
    try:
        filters = Filters.from_args(request.args)
    except FilterError as error:
        return json_error(str(error))
    key = pseudonym_key(
        str(runtime().config.get("analytics", "pseudonym_key")), str(current_app.secret_key)
    )
    write, mimetype = export.FORMATS[kind]

    def generate() -> object:
        with db_session() as database:
            yield from write(export.batches(database, filters, key))

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response = Response(stream_with_context(generate()), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cargame-rounds-{stamp}.{kind}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
