"""The test suite's own rules: shared helpers live in tests/helpers.py (conftest.py holds only
fixtures and hooks, and no module imports it), a test that holds on one database says so with
`postgres_only` or `sqlite_only` (tests/conftest.py deselects it on the other) instead of
skipping in its body, and a skip says why."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeGuard

import pytest

TESTS = Path(__file__).resolve().parent
CONFTEST = TESTS / "conftest.py"
# A skip's condition or reason that names a database: a backend reason, which a marker states.
_BACKEND_WORDS = re.compile(r"\b(postgres\w*|sqlite\w*|backend)\b", re.IGNORECASE)


def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(), str(path)) for path in sorted(TESTS.glob("*.py"))}


def imports_of_conftest(tree: ast.Module) -> list[int]:
    """The lines of `tree` that import conftest, at any depth (inside functions too)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        if "conftest" in modules:
            lines.append(node.lineno)
    return lines


def _is_pytest_call(node: ast.AST, *names: str) -> TypeGuard[ast.Call]:
    """`pytest.<name>(...)` or `pytest.mark.<name>(...)` for one of `names`."""
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    return isinstance(function, ast.Attribute) and function.attr in names and "pytest" in ast.unparse(function)


def _leaves_early(body: list[ast.stmt]) -> bool:
    """A branch that ends the test there: a skip, or a bare return."""
    for statement in body:
        if isinstance(statement, ast.Return):
            return True
        if isinstance(statement, ast.Expr) and _is_pytest_call(statement.value, "skip"):
            return True
    return False


def backend_skips(tree: ast.Module) -> list[str]:
    """Skips for a database's sake: a `pytest.skip`/`skipif` whose text (its literal reason or
    condition) names a database or the backend, and an `if` on the harness's backend that skips
    or returns early (a helper that makes either database may branch on its kind). An
    environmental skip whose reason must name PostgreSQL builds it in a variable."""
    found = []
    for node in ast.walk(tree):
        if _is_pytest_call(node, "skip", "skipif"):
            if _BACKEND_WORDS.search(ast.unparse(node)):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.If) and "backend" in ast.unparse(node.test) and _leaves_early(node.body):
            found.append(f"line {node.lineno}: if {ast.unparse(node.test)}: (skips or returns)")
    return found


def skips_without_a_reason(tree: ast.Module) -> list[int]:
    """The lines of skips with no reason, or an empty one."""
    found = []
    for node in ast.walk(tree):
        if _is_pytest_call(node, "skip", "skipif"):
            reasons = [keyword.value for keyword in node.keywords if keyword.arg in ("reason", "msg")]
            if _is_pytest_call(node, "skip"):
                reasons += node.args[:1]
            # A reason built elsewhere (a variable) counts; an empty string does not.
            if not any(not (isinstance(r, ast.Constant) and not str(r.value).strip()) for r in reasons):
                found.append(node.lineno)
    return found


def not_fixtures_or_hooks(tree: ast.Module) -> list[str]:
    """Functions and classes of a conftest.py that are neither fixtures nor pytest hooks."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            fixture = any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)
            if not (fixture or node.name.startswith("pytest_")):
                found.append(node.name)
    return found


def test_the_checks_find_what_they_look_for() -> None:
    assert imports_of_conftest(ast.parse("from conftest import Harness")) == [1]
    assert imports_of_conftest(ast.parse("def f():\n    import conftest")) == [2]
    assert imports_of_conftest(ast.parse("from helpers import Harness\nimport mail_support")) == []

    for source in (
        'async def test_x(app):\n    if app.backend != "postgres":\n        pytest.skip("row locks")',
        'def test_x(app):\n    if app.backend == "sqlite":\n        return\n    assert 1',
        'async def test_x(app):\n    pytest.skip("needs PostgreSQL row locks")',
        '@pytest.mark.skipif(BACKEND == "sqlite", reason="locks")\ndef test_x(): ...',
    ):
        assert backend_skips(ast.parse(source)), source
    for source in (
        'def test_x():\n    if shutil.which("npm") is None:\n        pytest.skip("npm is not installed")',
        '@pytest.mark.postgres_only\nasync def test_x(app):\n    assert app.backend == "postgres"',
        'def test_x(app):\n    if app.backend == "sqlite":\n        assert reader() is not None',
    ):
        assert backend_skips(ast.parse(source)) == [], source

    assert skips_without_a_reason(ast.parse("pytest.skip()\npytest.skip('')\npytest.mark.skipif(x)")) == [1, 2, 3]
    assert skips_without_a_reason(ast.parse("pytest.skip('no npm')\npytest.mark.skipif(x, reason=f'{y}')")) == []

    conftest = "@pytest.fixture\ndef app(): ...\ndef pytest_runtest_setup(): ...\ndef login(): ...\nclass H: ..."
    assert not_fixtures_or_hooks(ast.parse(conftest)) == ["login", "H"]


def test_no_test_module_imports_conftest() -> None:
    offenders = {name: lines for name, tree in _modules().items() if (lines := imports_of_conftest(tree))}
    assert offenders == {}, "import shared helpers from tests/helpers.py, not from conftest"


def test_conftest_holds_only_fixtures_and_hooks() -> None:
    assert not_fixtures_or_hooks(_modules()["conftest.py"]) == [], "move helpers to tests/helpers.py"


def test_no_test_skips_itself_for_a_database() -> None:
    offenders = {name: found for name, tree in _modules().items() if (found := backend_skips(tree))}
    assert offenders == {}, (
        "mark a test that holds on one database @pytest.mark.postgres_only or @pytest.mark.sqlite_only "
        "(tests/conftest.py deselects it on the other) instead of skipping in its body"
    )


def test_every_skip_says_why() -> None:
    offenders = {name: lines for name, tree in _modules().items() if (lines := skips_without_a_reason(tree))}
    assert offenders == {}, "a skip names what is missing and why the test needs it"


# The markers: tests/conftest.py's collection hook, run on stand-ins for collected tests.


@dataclass
class _Collected:
    nodeid: str
    marks: list[str]
    callspec: SimpleNamespace | None

    def iter_markers(self) -> list[pytest.Mark]:
        return [getattr(pytest.mark, name).mark for name in self.marks]


def _item(name: str, marks: list[str], backend: str | None) -> Any:
    callspec = None if backend is None else SimpleNamespace(params={"harness": backend})
    return _Collected(f"{name}[{backend}]", marks, callspec)


def _collection_hook(config: pytest.Config) -> Any:
    conftest = next(p for p in config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == str(CONFTEST))
    return conftest.pytest_collection_modifyitems


def _collect(config: pytest.Config, items: list[Any]) -> tuple[list[str], list[str]]:
    """(kept, deselected) node ids after the hook; what it deselects is not reported to this run."""
    deselected: list[Any] = []
    stand_in = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)))
    _collection_hook(config)(stand_in, items)
    return [i.nodeid for i in items], [i.nodeid for i in deselected]


def test_a_test_marked_for_one_database_is_deselected_on_the_other(request: pytest.FixtureRequest) -> None:
    items = [
        _item("locks", ["postgres_only"], "sqlite"),
        _item("locks", ["postgres_only"], "postgres"),
        _item("engine", ["sqlite_only"], "sqlite"),
        _item("engine", ["sqlite_only"], "postgres"),
        _item("both", [], "sqlite"),
        _item("both", [], "postgres"),
        _item("plain", ["multiprocess"], None),
    ]
    kept, deselected = _collect(request.config, items)
    assert kept == ["locks[postgres]", "engine[sqlite]", "both[sqlite]", "both[postgres]", "plain[None]"]
    assert deselected == ["locks[sqlite]", "engine[postgres]"]


def test_a_database_marker_off_the_harness_or_twice_stops_the_run(request: pytest.FixtureRequest) -> None:
    for item in (_item("no_app", ["postgres_only"], None), _item("both", ["postgres_only", "sqlite_only"], "sqlite")):
        with pytest.raises(pytest.UsageError, match=item.nodeid.split("[")[0]):
            _collect(request.config, [item])


def test_the_database_markers_are_registered(request: pytest.FixtureRequest) -> None:
    registered = {line.split(":")[0] for line in request.config.getini("markers")}
    assert {"postgres_only", "sqlite_only"} <= registered
