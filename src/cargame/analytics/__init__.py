"""Analytics for the internal team: SQL aggregates over every recorded game and round.

`filters` turns the page's filters (or an export's query string) into WHERE clauses; `queries`
computes each view's figures with GROUP BY in the database, never by loading rows; `stats` has
the plain maths (Wilson intervals, calibration); `pseudonyms` hides who played; `export` streams
the filtered rounds as CSV or Parquet. Nothing here imports Flask or Dash.
"""
