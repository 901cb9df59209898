#!/usr/bin/env python3
"""WeasyPrint alone, as the baselines use it: the same HTML and asset files, nothing of this project.

    python benchmarks/plain.py BASE_URL HANDOUT.html OUT.pdf ASSET_FOLDER...

Run as a script, it is the floor of benchmarks/cold_make.py: a fresh Python that imports WeasyPrint
and renders the handout's HTML. Imported, `render` is the naive loop's render in benchmarks/batch.py.
Assets are served under the handouts' base URL from the same folders (so the same fonts and images),
by a fetcher of its own: WeasyPrint does every step itself, with none of what handouts/engine/pdf.py shares.
"""

import sys
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


class Assets(URLFetcher):
    def __init__(self, base: str, folders: list[str]) -> None:
        super().__init__()
        self.base, self.folders = base, [Path(f) for f in folders]

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        name = url.removeprefix(self.base)
        path = next(folder / name for folder in self.folders if (folder / name).is_file())
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": TYPES.get(path.suffix.lower(), "")})


def render(html: str, base: str, folders: list[str]) -> bytes:
    """One fresh render: a new font configuration, the whole document laid out and written, PDF/UA-1."""
    return HTML(string=html, base_url=base, url_fetcher=Assets(base, folders)).write_pdf(pdf_variant="pdf/ua-1")


if __name__ == "__main__":
    base, page, out, *folders = sys.argv[1:]
    Path(out).write_bytes(render(Path(page).read_text(encoding="utf-8"), base, folders))
