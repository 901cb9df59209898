"""The practice's own files for the page: its logo and fonts (what the fetcher would serve), and its colours."""

import io

from flask import Blueprint, Response, abort, send_file

from ..engine.fetcher import mime_type
from .security import ASSET_CSP
from .shared import load_catalog

bp = Blueprint("assets", __name__)


@bp.get("/assets/<path:name>")
def asset(name: str):
    """A handout's own asset (logo, fonts), for the preview and the page: only what the fetcher would serve."""
    search = load_catalog().search
    path = search.find("assets", name)
    if path is None:
        abort(404, "No such file.")
    mime = mime_type(path)
    response = send_file(io.BytesIO(search.read(path)), mimetype=mime, max_age=3600)  # as its snapshot took it
    response.headers["Content-Security-Policy"] = ASSET_CSP
    return response


@bp.get("/theme.css")
def theme():
    """The practice's colours for the page (validated hex values, so safe in CSS)."""
    colors = load_catalog().practice.colors
    css = f":root {{ --brand: {colors.primary}; --accent: {colors.accent}; }}\n"
    return Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})
