"""The filtered rounds as CSV or Parquet, pseudonymous, streamed in batches.

Rows come from the database in batches (`yield_per`), so a million rounds never sit in memory:
CSV is written batch by batch straight to the response; Parquet, whose footer comes last, is
written one row group per batch to a temporary file that is then streamed and deleted.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound
from cargame.analytics.filters import Filters
from cargame.analytics.pseudonyms import pseudonym

BATCH_ROWS = 10_000  # rows per database fetch, CSV chunk and Parquet row group
FILE_CHUNK_BYTES = 1 << 20
COLUMNS: list[tuple[str, pa.DataType]] = [
    ("game_id", pa.string()),
    ("player", pa.string()),
    ("mode", pa.string()),
    ("model_name", pa.string()),
    ("model_version", pa.int64()),
    ("level", pa.string()),  # the opponent level the player chose
    ("game_status", pa.string()),
    ("started_at", pa.timestamp("s", tz="UTC")),
    ("round_number", pa.int64()),
    ("truth", pa.string()),
    ("truth_make", pa.string()),
    ("guess", pa.string()),
    ("guess_make", pa.string()),
    ("ai_guess", pa.string()),
    ("ai_make", pa.string()),
    ("ai_confidence", pa.float64()),
    ("ai_top5_hit", pa.bool_()),
    ("player_points", pa.int64()),
    ("ai_points", pa.int64()),
    ("seconds", pa.float64()),
    ("heatmap_shown", pa.bool_()),
    ("truth_heatmap_shown", pa.bool_()),
]
SCHEMA = pa.schema(COLUMNS)
NAMES = [name for name, _ in COLUMNS]


def _query(filters: Filters) -> Any:
    query = (
        select(
            Game.id,
            Game.user_id,
            Game.mode,
            Game.model_name,
            Game.model_version,
            Game.level,
            Game.status,
            Game.started_at,
            GameRound.round_number,
            GameRound.truth,
            GameRound.truth_make,
            GameRound.guess,
            GameRound.guess_make,
            GameRound.ai_guess,
            GameRound.ai_make,
            GameRound.ai_confidence,
            GameRound.ai_top5_hit,
            GameRound.player_points,
            GameRound.ai_points,
            GameRound.seconds,
            GameRound.heatmap_shown,
            GameRound.truth_heatmap_shown,
        )
        .select_from(GameRound)
        .join(Game, Game.id == GameRound.game_id)
        .order_by(Game.started_at, Game.id, GameRound.round_number)
    )
    return filters.on_rounds(query)


def batches(session: Session, filters: Filters, key: bytes) -> Iterator[list[tuple[Any, ...]]]:
    """The export's rows, `BATCH_ROWS` at a time, with the user id replaced by a pseudonym."""
    result = session.execute(_query(filters).execution_options(yield_per=BATCH_ROWS))
    for partition in result.partitions():
        # One HMAC per player in the batch, not one per round.
        names = {user_id: pseudonym(user_id, key) for user_id in {row[1] for row in partition}}
        yield [(row[0], names[row[1]], *row[2:]) for row in partition]


def csv_chunks(rows: Iterator[list[tuple[Any, ...]]]) -> Iterator[str]:
    """CSV text: the header, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(NAMES)
    yield _drain(buffer)
    for batch in rows:
        writer.writerows(_csv_value(row) for row in batch)
        yield _drain(buffer)


def _csv_value(row: tuple[Any, ...]) -> list[Any]:
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def parquet_chunks(rows: Iterator[list[tuple[Any, ...]]]) -> Iterator[bytes]:
    """A Parquet file (one row group per batch) written to disk, then read out in chunks."""
    handle, path = tempfile.mkstemp(prefix="cargame-export-", suffix=".parquet")
    os.close(handle)
    try:
        with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
            for batch in rows:
                columns = list(zip(*batch, strict=True)) if batch else [[] for _ in NAMES]
                writer.write_table(
                    pa.Table.from_arrays(
                        [
                            pa.array(column, type=kind)
                            for column, (_, kind) in zip(columns, COLUMNS, strict=True)
                        ],
                        schema=SCHEMA,
                    )
                )
        yield from _file_chunks(path)
    finally:
        os.unlink(path)


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(FILE_CHUNK_BYTES):
            yield chunk


Writer = Callable[[Iterator[list[tuple[Any, ...]]]], Iterator[Any]]
FORMATS: dict[str, tuple[Writer, str]] = {
    "csv": (csv_chunks, "text/csv"),
    "parquet": (parquet_chunks, "application/vnd.apache.parquet"),
}
