"""The browser files shipped in the package are exactly what web/build makes of web/'s sources and lock."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "twofactor" / "static"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_shipped_files_match_a_fresh_build(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs npm to check the shipped browser files")
        pytest.skip("npm is not installed: the shipped browser files cannot be rebuilt to compare")
    result = subprocess.run([str(ROOT / "web" / "build"), str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    built, shipped = _files(tmp_path), _files(SHIPPED)
    assert sorted(built) == sorted(shipped), "run web/build and commit twofactor/static"
    stale = [name for name in built if built[name] != shipped[name]]
    assert not stale, f"stale shipped files (run web/build): {stale}"


def test_the_wheel_carries_the_browser_files() -> None:
    import tomllib

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["twofactor"]
    shipped = {str(path.relative_to(ROOT / "twofactor")) for path in SHIPPED.rglob("*") if path.is_file()}
    covered = {name for name in shipped if any(Path(name).match(pattern) for pattern in patterns)}
    assert covered == shipped
