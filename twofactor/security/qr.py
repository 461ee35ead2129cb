"""QR codes of otpauth URIs, as SVG and PNG, made with segno.

Each format is rendered only when a client selects it, at most once per set-up: `cached`
keeps what a pending set-up has rendered so far, `forget` drops it when the set-up ends.
"""

from __future__ import annotations

import io
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import segno

# segno picks the best of eight masks by scoring each one, most of what a code costs
# (measured by bench/run). Any mask makes a valid symbol that every decoder reads (the tests
# decode ours with zxing); on a screen, at this size, the scoring buys nothing users notice.
MASK = 0

# Error correction: segno's default, L, raised to the best level that fits the same symbol size.
# A code read off a screen is not torn or stained; a smaller symbol has larger modules at the same
# size on screen, which cameras read more easily.
ERROR = "l"

Kind = Literal["svg", "png"]

# How many symbols this process has encoded ("symbol") and images of each kind it has rendered:
# read by the tests to check that a client pays only for the formats it selects.
RENDERS: Counter[str] = Counter()

# Pending set-ups whose images are kept; the oldest is dropped first.
CACHE_SIZE = 256


@dataclass
class _Entry:
    """A set-up's URI, its encoded symbol (shared by both formats) and the images made so far."""

    uri: str
    symbol: segno.QRCode
    images: dict[str, str] = field(default_factory=dict)


_cache: OrderedDict[str, _Entry] = OrderedDict()


def _symbol(uri: str) -> segno.QRCode:
    RENDERS["symbol"] += 1
    return segno.make(uri, error=ERROR, micro=False, mask=MASK)


def _render(symbol: segno.QRCode, kind: Kind) -> str:
    RENDERS[kind] += 1
    if kind == "png":
        png: str = symbol.png_data_uri(scale=4, border=4)
        return png
    buffer = io.BytesIO()
    symbol.save(buffer, kind="svg", scale=4, border=4, xmldecl=False, title="Authenticator app set-up")
    return buffer.getvalue().decode("utf-8")


def render(uri: str, kind: Kind) -> str:
    """`uri` as an SVG document or a PNG data URI."""
    return _render(_symbol(uri), kind)


def qr_images(uri: str) -> tuple[str, str]:
    """(SVG document, PNG data URI) of `uri`, from one encoding of the symbol."""
    symbol = _symbol(uri)
    return _render(symbol, "svg"), _render(symbol, "png")


def cached(key: str, uri: str, kind: Kind) -> str:
    """The image of `kind` for the set-up `key`, rendered on first use and kept while it is pending;
    both formats of a set-up come from one encoding of the symbol."""
    entry = _cache.get(key)
    if entry is None or entry.uri != uri:
        entry = _cache[key] = _Entry(uri, _symbol(uri))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    image = entry.images.get(kind)
    if image is None:
        image = entry.images[kind] = _render(entry.symbol, kind)
    return image


def forget(key: str) -> None:
    """Drop a set-up's images (it finished or expired)."""
    _cache.pop(key, None)
