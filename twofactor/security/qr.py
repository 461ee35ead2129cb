"""QR codes of otpauth URIs, as SVG and PNG, made with segno.

Each format is rendered only when a client selects it, at most once per set-up: `cached`
keeps what a pending set-up has rendered so far, `forget` drops it when the set-up ends.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import segno

# segno picks the best of eight masks by scoring each one, most of what a code costs
# (measured by bench/run). Any mask makes a valid symbol that every decoder reads (the tests
# decode ours with zxing); on a screen, at this size, the scoring buys nothing users notice.
MASK = 0

Kind = Literal["svg", "png"]

# Pixels per module and the quiet zone around the symbol, in modules (both formats).
SCALE = 4
BORDER = 4

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
    return segno.make(uri, error="m", micro=False, mask=MASK)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(symbol: segno.QRCode) -> bytes:
    """The symbol as a 1-bit greyscale PNG (dark modules black), the image segno's PNG writer
    makes; each pixel row is packed from one string of bits instead of pixel by pixel in Python,
    which cost about as much as encoding the symbol (measured by bench/run)."""
    width = (len(symbol.matrix) + 2 * BORDER) * SCALE
    octets = (width + 7) // 8
    edge, pad = "1" * (BORDER * SCALE), "1" * (-width % 8)
    blank = b"\x00" + int("1" * (width + len(pad)), 2).to_bytes(octets, "big")
    rows = [blank] * (BORDER * SCALE)
    for modules in symbol.matrix:
        bits = edge + "".join(("0" if dark else "1") * SCALE for dark in modules) + edge + pad
        rows += [b"\x00" + int(bits, 2).to_bytes(octets, "big")] * SCALE  # filter 0, then the pixels
    rows += [blank] * (BORDER * SCALE)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _render(symbol: segno.QRCode, kind: Kind) -> str:
    RENDERS[kind] += 1
    if kind == "png":
        return "data:image/png;base64," + base64.b64encode(_png(symbol)).decode("ascii")
    buffer = io.BytesIO()
    symbol.save(buffer, kind="svg", scale=SCALE, border=BORDER, xmldecl=False, title="Authenticator app set-up")
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
