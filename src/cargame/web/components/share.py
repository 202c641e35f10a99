"""The "Share your result" link: opens the game's public page, with the link to copy beside it.

`share_button(web.share.share_url(game_id))`; the copy button is Dash's own `dcc.Clipboard`,
so it needs no callback.
"""

from __future__ import annotations

from dash import dcc, html

from cargame.web.ids import component_id

SHARE_LINK = component_id("share", "link")
SHARE_URL = component_id("share", "url")
SHARE_COPY = component_id("share", "copy")


def share_button(url, id_prefix=""):
    """The share link and a read-only copy of the URL with a copy button; `id_prefix` keeps the
    ids unique when a page shows more than one."""
    field_id = f"{id_prefix}{SHARE_URL}"
    return html.Div(
        [
            html.A(
                [html.Span("↗", className="me-2", **{"aria-hidden": "true"}), "Share your result"],
                href=url,
                target="_blank",
                rel="noopener",
                id=f"{id_prefix}{SHARE_LINK}",
                className="btn btn-outline-primary",
            ),
            html.Div(
                [
                    html.Label(
                        "Link to your result card", htmlFor=field_id, className="visually-hidden"
                    ),
                    dcc.Input(
                        id=field_id,
                        value=url,
                        readOnly=True,
                        type="url",
                        className="form-control form-control-sm share-url",
                    ),
                    dcc.Clipboard(
                        id=f"{id_prefix}{SHARE_COPY}",
                        target_id=field_id,
                        title="Copy the link",
                        className="btn btn-outline-secondary btn-sm share-copy",
                    ),
                ],
                className="input-group input-group-sm share-url-group",
            ),
        ],
        className="share-result d-flex flex-wrap align-items-center gap-2",
    )
