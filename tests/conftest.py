"""Shared fixtures: the built-in catalog, and a helper that renders and fails on any WeasyPrint warning."""

import http.server
import threading
from pathlib import Path

import pytest

from handouts.build import build
from handouts.catalog import Catalog
from handouts.pdf import weasyprint_warnings
from handouts.render import Renderer
from handouts.request import build_request

ROOT = Path(__file__).resolve().parent.parent
NAME = "Zoë O'Brien-Nuñez"
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")


def render(renderer: Renderer, visit: str, patient: str = NAME, date: str = "2026-03-14", fmt: str = "pdf", **kw):
    """Build one handout; WeasyPrint's warnings (a missing font, a bad rule) fail the test."""
    request = build_request(renderer.catalog, visit, patient, date, **kw)
    with weasyprint_warnings() as warnings:
        data = build(renderer, request, fmt)
    assert warnings == [], warnings
    return data


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def renderer(catalog) -> Renderer:
    return Renderer(catalog)


@pytest.fixture(scope="session")
def handouts(renderer) -> dict[str, bytes]:
    """Every built-in visit type rendered once for the same made-up patient."""
    return {visit: render(renderer, visit) for visit in VISITS}


@pytest.fixture
def listener():
    """A local HTTP server that records every request it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
