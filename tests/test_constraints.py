"""constraints.txt pins every dependency, so a fresh install gets the versions the suite passed with."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement string (PEP 503)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, version = line.partition("==")
        assert separator, f"constraints.txt: {line!r} is not pinned with =="
        pins[_name(name)] = version
    return pins


def test_every_direct_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.extend(extra)
    pins = _pinned()
    missing = sorted({_name(r) for r in wanted} - pins.keys())
    assert not missing, f"not in constraints.txt (run scripts/refresh-constraints): {missing}"


def test_install_commands_use_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    installs = [line for text in (readme, ci) for line in text.splitlines() if ".venv/bin/pip install" in line]
    assert installs
    for line in installs:
        assert "-c constraints.txt" in line, line
