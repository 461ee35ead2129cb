"""Comments and docstrings in twofactor/ say what and why: no benchmark figures or history.

Figures belong to bench/'s results; where a measurement justifies code, the comment says
"measured by bench/<file>" and names a file that exists, without the number.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "twofactor"

# A time below a second, a ratio ("3x"), a percentage, a percentile, a before -> after, a rate,
# or bench/ named other than as "measured by bench/<file>".
_FIGURE = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms)\b"
    r"|(?<![\w.])\d+(?:\.\d+)?\s?x\b"
    r"|\b\d+(?:\.\d+)?\s?%"
    r"|\bp(?:50|9\d)\b"
    r"|\d\s?->\s?\d"
    r"|\b\d[\d,.]*\s?(?:[a-z]+\s?)?(?:/s\b|per second\b)"
    r"|(?<!measured by )\bbench/"
)
_MEASURED_BY = re.compile(r"measured by bench/([\w./-]*\w)")


def comments_and_docstrings(source: str) -> list[tuple[int, str]]:
    """Each comment block (consecutive comment lines joined) and each docstring, with its first line
    number, its whitespace collapsed so that a phrase broken across lines reads as one."""
    blocks: list[tuple[int, list[str]]] = []
    last = -2
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        if line == last + 1 and blocks:
            blocks[-1][1].append(token.string.lstrip("#"))
        else:
            blocks.append((line, [token.string.lstrip("#")]))
        last = line
    texts = [(line, " ".join(parts)) for line, parts in blocks]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                texts.append((node.body[0].lineno, docstring))
    return [(line, re.sub(r"\s+", " ", text)) for line, text in texts]


def figures(source: str) -> list[str]:
    """The figures, and the bench files named that do not exist, in a module's comments and docstrings."""
    found = []
    for line, text in comments_and_docstrings(source):
        found += [f"line {line}: {match.group()!r}" for match in _FIGURE.finditer(text)]
        found += [
            f"line {line}: no file bench/{name}"
            for name in _MEASURED_BY.findall(text)
            if not (ROOT / "bench" / name).exists()
        ]
    return found


def test_the_figure_check_finds_bench_figures_and_history() -> None:
    for source in (
        "# ~400 us through the query builder and ~85 us this way (bench/).",
        '"""Cost 3x the throughput of verifyLogin."""',
        "def f():\n    '''The p99 of myTwoFactor was 130 ms.'''",
        "# which cost ~7% of a send's CPU",
        "# (myTwoFactor: 519 -> 403)",
        "# 1.5 x faster",
        "# about 5000 deliveries/s",
        "# a cost\n# measured by bench/no_such_file.py",
        "# as bench/ showed",
    ):
        assert figures(source), source


def test_the_figure_check_leaves_what_and_why_alone() -> None:
    for source in (
        "# which costs more than running it (measured by bench/run).",
        "# a phrase broken across lines (measured\n# by bench/subscriptions.py).",
        '"""Waits up to the busy timeout (5 s); workers x maxsize stays below 100."""',
        "x = '3x'  # a string, not a comment",
        "# 0x1F is a hex number, 2x2 a size",
    ):
        assert not figures(source), source


def test_comments_in_twofactor_hold_no_benchmark_figures() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    assert paths
    found = {str(p.relative_to(PACKAGE)): figures(p.read_text()) for p in paths}
    assert {name: hits for name, hits in found.items() if hits} == {}, (
        "say what and why in a sentence or two; where a figure justifies code, write "
        "'measured by bench/<file>' without the number"
    )


_TEST_NAMED = re.compile(r"\btests/(\w+\.py)(?:::(\w+))?")


def test_the_tests_that_comments_name_exist() -> None:
    """A comment that says which test guards a rule names a test file (and test) that exists."""
    missing = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "bench").glob("*.py")]):
        for match in _TEST_NAMED.finditer(path.read_text(encoding="utf-8")):
            module, test = match.groups()
            target = ROOT / "tests" / module
            if not target.exists() or (test and not re.search(rf"^(?:async )?def {test}\(", target.read_text(), re.M)):
                missing.append(f"{path.relative_to(ROOT)}: {match.group()}")
    assert not missing, missing
