"""The one callback shape most analytics views share: the filters (and a view's own inputs) in,
a summary and figures out, for analysts only; errors and empty ranges say so on the page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash import Input, Output
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import protect_output
from cargame.analytics.filters import Filters
from cargame.web import analytics_services as analytics
from cargame.web.components import analytics as ui

# (summary, figure, ...) for the filters, or None when the range holds no games.
Compute = Callable[..., tuple[Any, ...] | None]


def register_view(
    app: DashProxy,
    summary: str,
    figures: Sequence[str],
    compute: Compute,
    extra_input: Input | None = None,
) -> None:
    """Register the view's callback: `compute(filters[, extra value])` fills the outputs."""
    for output in (summary, *figures):
        protect_output(app.server, output, "analyst")
    outputs = [Output(summary, "children"), *(Output(figure, "figure") for figure in figures)]

    def answer(values: tuple[Any, ...], *extra: Any) -> tuple[Any, ...]:
        try:
            filters: Filters = analytics.filters_from(*values)
            result = compute(filters, *extra)
        except (analytics.FilterError, analytics.RecordsUnavailable) as error:
            return (ui.problem(str(error)), *[ui.blank_figure(str(error))] * len(figures))
        if result is None:
            return (ui.empty(), *[ui.blank_figure()] * len(figures))
        return result

    # dash-extensions reads each input's argument by name, so the signatures are spelled out.
    if extra_input is None:

        @app.callback(*outputs, *ui.FILTER_INPUTS)
        def show(start, end, modes, versions, makes, levels):
            return answer((start, end, modes, versions, makes, levels))

    else:

        @app.callback(*outputs, *ui.FILTER_INPUTS, extra_input)
        def show_with(start, end, modes, versions, makes, levels, extra):
            return answer((start, end, modes, versions, makes, levels), extra)
