"""What a user types is text, and the renderer reads nothing but the project's own asset files."""

import pytest
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from handouts.base.errors import UserError
from handouts.engine.fetcher import ASSET_BASE, AssetFetcher
from handouts.engine.pdf import html_to_pdf
from handouts.inputs.searchpath import SearchPath

import pdfcheck
from conftest import render

HOSTILE = [
    "<b>Bold</b> <script>alert(1)</script>",
    "{{ 7*7 }} {% raw %}",
    "<img src='file:///etc/passwd'>",
    "<link rel=attachment href='file:///etc/passwd'>",
    '"><base href="http://127.0.0.1:9/">',
]


@pytest.mark.parametrize("name", HOSTILE)
def test_markup_and_template_syntax_in_a_name_print_as_text(renderer, name):
    pdf = render(renderer, "injection", patient=name)
    assert pdfcheck.squash(name) in pdfcheck.squash(pdfcheck.text(pdf))
    assert b"/EmbeddedFile" not in pdf
    assert "49" not in pdfcheck.text(pdf).split("Prepared for")[1][:40]


@pytest.mark.parametrize(
    "snippet",
    [
        '<img src="{canary}">',
        '<img src="http://127.0.0.1:{port}/x.png">',
        '<link rel="attachment" href="{canary}">',
        '<base href="http://127.0.0.1:{port}/"><img src="x.png">',
        '<img src="../../../{canary_rel}">',
        '<style>@import url("http://127.0.0.1:{port}/a.css");</style>',
    ],
)
def test_the_fetcher_refuses_everything_outside_the_asset_folders(tmp_path, listener, snippet):
    port, hits = listener
    canary = tmp_path / "canary.png"
    canary.write_bytes(b"secret-canary")
    html = snippet.format(canary=canary.as_uri(), port=port, canary_rel=str(canary).lstrip("/"))
    with pytest.raises(UserError, match="refused to load|not found"):
        html_to_pdf(f"<html><body><p>x</p>{html}</body></html>", SearchPath())
    assert hits == []


def test_dot_dot_cannot_climb_out_of_an_asset_folder():
    fetcher = AssetFetcher(SearchPath())
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(ASSET_BASE + "%2e%2e/%2e%2e/handouts/__init__.py")
    assert fetcher.fetch(ASSET_BASE + "logo.svg").read().startswith(b"<svg")


def test_a_missing_asset_is_an_error_not_a_pdf_without_it():
    with pytest.raises(UserError, match="asset 'missing.png' not found"):
        html_to_pdf('<img src="missing.png" alt="x">', SearchPath())


def test_each_document_gets_its_own_fetcher(monkeypatch):
    made = []
    original = HTML.__init__

    def spy(self, *args, **kwargs):
        made.append(kwargs["url_fetcher"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "__init__", spy)
    html_to_pdf("<p>one</p>", SearchPath())
    html_to_pdf("<p>two</p>", SearchPath())
    assert len(made) == 2 and made[0] is not made[1]
