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


def test_fan_out_is_judged_against_h() -> None:
    from runner import FAN_OUT_PER_H, subscription_targets

    rows = {"fan-out to 1000: deliveries/s": "6,000", "fan-out to 100: deliveries/s": "5,900"}
    hello = 4000.0
    fan_out = [t for t in subscription_targets(rows, hello) if t["target"].startswith("fan-out")]
    assert [t["status"] for t in fan_out] == ["met", "missed"]  # 1.5x and 1.475x of H
    assert FAN_OUT_PER_H == 1.5
    assert all(t["status"] == "not measured" for t in subscription_targets(rows, None) if "fan-out" in t["target"])


def _run(rps: float, errors: int = 0) -> dict[str, object]:
    return {"rps": rps, "errors": errors, "server_cpu_us_per_req": 100, "foreign_cpu_cores": 0.0}


def test_against_verdicts_hot_paths_by_ratio_rare_paths_by_share_of_h() -> None:
    from against import HOT_RATIO, RARE_SHARE_OF_H, summarize

    block = {
        "hello": [_run(2000), _run(2000)],
        "flows": {
            "session": {"runs": {"old": [_run(1000), _run(1000)], "new": [_run(890), _run(910)]}},  # 0.90
            "myTwoFactor": {"runs": {"old": [_run(1000)], "new": [_run(880)]}},  # 0.88, 0.44 of H
            "remove": {"runs": {"old": [_run(400)], "new": [_run(99)]}},  # 0.0495 of H
            "regenerateRecoveryCodes": {"runs": {"old": [_run(100)], "new": [_run(100, errors=1)]}},
        },
    }
    rows = {row["flow"]: row for row in summarize("sqlite", block)}
    assert (HOT_RATIO, RARE_SHARE_OF_H) == (0.90, 0.05)
    assert [v["status"] for v in rows["session"]["verdicts"]] == ["met"]
    assert [v["status"] for v in rows["myTwoFactor"]["verdicts"]] == ["missed", "met"]
    assert [v["status"] for v in rows["remove"]["verdicts"]] == ["missed"]  # new/old is not judged: rare path
    assert [v["status"] for v in rows["regenerateRecoveryCodes"]["verdicts"]] == ["met", "missed"]  # its error
