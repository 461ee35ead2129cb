"""QR codes of otpauth URIs, as SVG and PNG, made with segno."""

from __future__ import annotations

import io

import segno

# segno picks the best of eight masks by scoring each one, which is 5 of the ~7 ms a
# code costs. Any mask makes a valid symbol that every decoder reads (the tests decode
# ours with zxing); on a screen, at this size, the scoring buys nothing users notice.
MASK = 0


def qr_images(uri: str) -> tuple[str, str]:
    """(SVG document, PNG data URI) of `uri`, from one encoding of the symbol.

    Rendering costs milliseconds, so callers do it once per set-up.
    """
    qr = segno.make(uri, error="m", micro=False, mask=MASK)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=4, xmldecl=False, title="Authenticator app set-up")
    svg = buffer.getvalue().decode("utf-8")
    png: str = qr.png_data_uri(scale=4, border=4)
    return svg, png
