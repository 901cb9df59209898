"""The only way a rendered document may load anything: files from the asset search path.

WeasyPrint's default fetcher reads any `file:` path, follows `http:` and redirects, and lets
`<base href>` and `../` walk anywhere. Documents here get relative URLs against a fixed
virtual base; this fetcher maps them onto the asset folders (practice first) and refuses all
else. It reads them from the search path's snapshot, as it took them. A new fetcher per document
keeps no state from one patient to the next.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..inputs.searchpath import SearchPath

# `.invalid` never resolves (RFC 2606), and this fetcher never opens a connection anyway.
ASSET_BASE = "https://assets.handouts.invalid/"

_MIME = {".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2", ".svg": "image/svg+xml"}


class AssetFetcher(URLFetcher):
    """Serves `ASSET_BASE/<name>` from the asset folders; anything else stops the render."""

    def __init__(self, search: SearchPath) -> None:
        super().__init__(allow_redirects=False, fail_on_errors=True, allowed_protocols=())
        self.search = search

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.startswith(ASSET_BASE):
            raise FatalURLFetchingError(f"refused to load {url[:80]!r}: handouts load only their own asset files")
        name = unquote(urlsplit(url).path).lstrip("/")
        path = self.search.find("assets", name)
        if path is None:
            folders = " or ".join(str(d) for d in self.search.dirs("assets"))
            raise FatalURLFetchingError(f"asset {name!r} not found in {folders}")
        return URLFetcherResponse(url, self.search.read(path), {"Content-Type": mime_type(path)})


def mime_type(path: Path) -> str:
    """The media type of an asset file (fonts and SVG named explicitly: not every system knows them)."""
    return _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
