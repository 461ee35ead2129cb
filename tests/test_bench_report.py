"""bench/'s verdicts: a printed figure never contradicts its met/missed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from runner import _rounded_toward_missing


@pytest.mark.parametrize(
    ("value", "fmt", "at_most", "shown"),
    [
        (99.998, "{:.0f}/s", False, "99/s"),  # missed a 100/s target: not "100/s"
        (100.0, "{:.0f}/s", False, "100/s"),
        (0.1996, "{:.0%}", False, "19%"),  # missed a 20% target: not "20%"
        (0.15, "{:.0%}", False, "15%"),  # exactly on a step stays there
        (100.04, "{:.1f} ms", True, "100.1 ms"),  # missed a 100 ms limit: not "100.0 ms"
        (5.0, "{:.1f}x", True, "5.0x"),
        (123.2, "{:.0f} MB", True, "124 MB"),
    ],
)
def test_a_figure_is_rounded_toward_missing_its_target(value: float, fmt: str, at_most: bool, shown: str) -> None:
    assert fmt.format(_rounded_toward_missing(value, fmt, at_most)) == shown
