"""The optional QR code on page 1: the practice's page for a visit type, as vector SVG.

It encodes only the address the practice configured for the visit type (practice.toml [links]),
never anything about the patient, and the address is printed beside it for readers without a phone.
"""

import segno
from markupsafe import Markup

MODULE_PT = 2  # one QR module 2 pt wide: about 2 cm across for a short address, easy for a phone camera


def qr_svg(url: str) -> Markup:
    """The address as an inline SVG QR code, sized in points, titled with its alternative text."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=MODULE_PT, border=0, unit="pt", title=f"QR code for {url}", omitsize=False)
    # segno escapes the title itself; the role makes the title the figure's alternative text
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1).replace(' class="segno"', ""))


def online_link(url: str | None) -> dict | None:
    """What page 1 prints for the visit's web page: the address and its code, or None when not set."""
    if not url:
        return None
    return {"url": url, "qr": qr_svg(url)}
