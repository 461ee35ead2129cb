"""QR codes of otpauth URIs, as SVG and PNG, made with segno.

Each format is rendered only when a client selects it, at most once per set-up: `cached`
keeps what a pending set-up has rendered so far, `forget` drops it when the set-up ends.
"""

from __future__ import annotations

import io
from collections import Counter, OrderedDict
from typing import Literal

import segno

# segno picks the best of eight masks by scoring each one, which is 5 of the ~7 ms a
# code costs. Any mask makes a valid symbol that every decoder reads (the tests decode
# ours with zxing); on a screen, at this size, the scoring buys nothing users notice.
MASK = 0

Kind = Literal["svg", "png"]

# How many images of each kind this process has rendered: read by the tests to check that
# a client pays only for the formats it selects.
RENDERS: Counter[str] = Counter()

# Pending set-ups whose images are kept; the oldest is dropped first.
CACHE_SIZE = 256
_cache: OrderedDict[str, tuple[str, dict[str, str]]] = OrderedDict()


def _symbol(uri: str) -> segno.QRCode:
    return segno.make(uri, error="m", micro=False, mask=MASK)


def render(uri: str, kind: Kind) -> str:
    """`uri` as an SVG document or a PNG data URI."""
    RENDERS[kind] += 1
    symbol = _symbol(uri)
    if kind == "png":
        png: str = symbol.png_data_uri(scale=4, border=4)
        return png
    buffer = io.BytesIO()
    symbol.save(buffer, kind="svg", scale=4, border=4, xmldecl=False, title="Authenticator app set-up")
    return buffer.getvalue().decode("utf-8")


def qr_images(uri: str) -> tuple[str, str]:
    """(SVG document, PNG data URI) of `uri`."""
    return render(uri, "svg"), render(uri, "png")


def cached(key: str, uri: str, kind: Kind) -> str:
    """The image of `kind` for the set-up `key`, rendered on first use and kept while it is pending."""
    entry = _cache.get(key)
    if entry is None or entry[0] != uri:
        entry = (uri, {})
        _cache[key] = entry
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    images = entry[1]
    image = images.get(kind)
    if image is None:
        image = images[kind] = render(uri, kind)
    return image


def forget(key: str) -> None:
    """Drop a set-up's images (it finished or expired)."""
    _cache.pop(key, None)
