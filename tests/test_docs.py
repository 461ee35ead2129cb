"""The README and docs/ link only to what a clone holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target), the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(text: str) -> list[str]:
    """The link targets of a Markdown text that are neither URLs nor in-page anchors."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links in code blocks are examples
    targets = LINK.findall(text)
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_pages_are_found() -> None:
    names = {page.name for page in PAGES}
    assert {"README.md", "security.md", "faults.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(page: Path) -> None:
    text = page.read_text()
    links = relative_links(text)
    assert links or page.name not in {"README.md", "security.md"}, "the link pattern found nothing"
    for target in links:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve()
        assert resolved.exists(), f"{page.name} links to {target}, which is not in the repository"
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved.read_text()), f"{page.name} links to a missing heading: {target}"


def test_links_within_a_page_point_to_its_headings() -> None:
    for page in PAGES:
        text = page.read_text()
        for anchor in re.findall(r"\]\(#([^)\s]+)\)", text):
            assert anchor in anchors(text), f"{page.name} links to a missing heading: #{anchor}"


def test_no_page_links_to_the_shared_folder() -> None:
    for page in PAGES:
        text = page.read_text()
        assert "../shared" not in text, f"{page.name} mentions ../shared, which a clone does not have"
        assert not [t for t in relative_links(text) if "shared/" in t], page.name


def test_the_link_check_would_see_a_broken_link() -> None:
    text = 'See [the rules](docs/nowhere.md), ![a shot](x.png "title") and [a site](https://example.com).'
    assert relative_links(text) == ["docs/nowhere.md", "x.png"]
    assert not (ROOT / "docs" / "nowhere.md").exists()
    assert anchors("## Security in brief\n## Run it with Docker Compose\n") == {
        "security-in-brief",
        "run-it-with-docker-compose",
    }


def _unwrapped(page: Path) -> str:
    """The page's text with each line's leading indentation folded into one space."""
    return re.sub(r"\n\s+", " ", page.read_text())


def test_every_test_the_docs_name_exists() -> None:
    named = {(m[0], m[1]) for page in PAGES for m in re.findall(r"(tests/\w+\.py)::(\w+)", _unwrapped(page))}
    assert named, "docs/security.md names the tests that guard each rule"
    for path, test in sorted(named):
        source = ROOT / path
        assert source.exists(), f"the docs name {path}, which is not there"
        assert re.search(rf"^(async )?def {test}\(", source.read_text(), re.M), f"the docs name {path}::{test}"


def test_every_module_and_function_the_docs_name_exists() -> None:
    named = [
        (m[0], m[1])
        for page in PAGES
        for m in re.findall(r"`(twofactor/[\w/]+\.py)`(?: \(([^)]*)\))?", _unwrapped(page))
    ]
    assert named
    for path, names in named:
        source = ROOT / path
        assert source.exists(), f"the docs name {path}, which is not there"
        text = source.read_text()
        for name in re.findall(r"`(\w+)`", names):
            assert re.search(rf"^(async def|def|class) {name}\b|^{name}\s*[:=]", text, re.M), f"{path} has no {name}"
