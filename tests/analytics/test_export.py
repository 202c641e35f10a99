"""The export: every filtered round, pseudonymous, as CSV and Parquet; analysts only."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
from sqlalchemy import select

from cargame.accounts.db import db_session
from cargame.accounts.models import Game, GameRound, User
from cargame.analytics.export import NAMES
from cargame.analytics.pseudonyms import pseudonym, pseudonym_key
from cargame.web.components import analytics as filters_ui

from .conftest import Analytics


def _database_rounds(app) -> dict[tuple[str, int], tuple[str, str | None, int | None]]:
    with app.server.app_context(), db_session() as session:
        rows = session.execute(
            select(
                GameRound.game_id,
                GameRound.round_number,
                GameRound.truth,
                GameRound.guess,
                Game.user_id,
            ).join(Game)
        ).all()
    return {(row[0], row[1]): (row[2], row[3], row[4]) for row in rows}


def _csv(client, query: str = "") -> list[dict[str, str]]:
    response = client.http.get(f"/analytics/export.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0].split(",") == NAMES
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_matches_the_database_and_names_nobody(analytics_app: Analytics) -> None:
    app = analytics_app.app
    expected = _database_rounds(app)
    rows = _csv(analytics_app.analyst)
    assert len(rows) == len(expected) == 5 + 5 + 2 + 1
    with app.server.app_context():
        key = pseudonym_key("", app.server.secret_key)
        with db_session() as session:
            pete = session.scalars(select(User.id).where(User.username == "pete")).one()
    for row in rows:
        truth, guess, user_id = expected[(row["game_id"], int(row["round_number"]))]
        assert (row["truth"], row["guess"] or None) == (truth, guess)
        assert row["player"] == pseudonym(user_id, key)
    assert {row["player"] for row in rows} == {pseudonym(pete, key), "guest"}
    assert {row["level"] for row in rows} == {"pro"}  # every game here: the default level
    usernames = {"pete", "ana"}
    assert not any(set(row.values()) & usernames for row in rows)


def test_filters_apply_to_the_export(analytics_app: Analytics) -> None:
    assert _csv(analytics_app.analyst, "?mode=booth") == []
    audi = _csv(analytics_app.analyst, "?make=Audi")
    assert audi and all(row["truth_make"] == "Audi" for row in audi)
    assert _csv(analytics_app.analyst, "?level=rookie") == []  # every game here: Pro
    assert len(_csv(analytics_app.analyst, "?level=pro&level=rookie")) == len(
        _csv(analytics_app.analyst, "")
    )
    bad = analytics_app.analyst.http.get("/analytics/export.csv?start=soon")
    assert bad.status_code == 400 and "date" in bad.get_json()["error"]


def test_parquet_holds_the_same_rows(analytics_app: Analytics) -> None:
    response = analytics_app.analyst.http.get("/analytics/export.parquet")
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.data))
    assert table.column_names == NAMES
    assert table.num_rows == len(_database_rounds(analytics_app.app))


def test_only_analysts_may_export(analytics_app: Analytics) -> None:
    for kind in ("csv", "parquet"):
        assert analytics_app.guest.http.get(f"/analytics/export.{kind}").status_code == 401
        assert analytics_app.player.http.get(f"/analytics/export.{kind}").status_code == 403
    assert analytics_app.analyst.http.get("/analytics/export.xlsx").status_code == 404


def test_the_export_page_links_follow_the_filters(analytics_app: Analytics) -> None:
    assert "Download CSV" in json.dumps(analytics_app.analyst.page("/analytics/export"))
    links = analytics_app.analyst.callback(
        {
            f"{filters_ui.DATES}.start_date": "2026-12-01",
            f"{filters_ui.DATES}.end_date": None,
            f"{filters_ui.MODE}.value": ["booth"],
            f"{filters_ui.VERSION}.value": None,
            f"{filters_ui.MAKE}.value": ["Audi", "BMW"],
            f"{filters_ui.LEVEL}.value": ["pro"],
        },
        output="analytics-export-csv",
    )
    assert links["analytics-export-csv"]["href"] == (
        "/analytics/export.csv?start=2026-12-01&mode=booth&make=Audi&make=BMW&level=pro"
    )
    assert links["analytics-export-parquet"]["href"].startswith("/analytics/export.parquet?")
