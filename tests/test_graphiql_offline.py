"""GraphiQL works with no internet: its page and assets come from the package, under a strict CSP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from browser_support import LiveServer, chromium, live_server, screenshot, watch, watched_context
from helpers import PASSWORD
from playwright.async_api import Page, expect

from twofactor.server.web import CONTENT_SECURITY_POLICY

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    async with live_server(Path(tmp_path_factory.mktemp("graphiql"))) as running:
        running.command(
            "user", "create", "--email", "ada@example.test", "--name", "Ada", "--password-stdin", stdin=PASSWORD + "\n"
        )
        yield running


async def test_graphiql_page_and_assets_are_served_from_the_package(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and "https://" not in page.text  # no inline script, no CDN
        for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "graphiql-page.js"):
            assert f"/static/graphiql/{asset}" in page.text
            answer = await http.get(f"/static/graphiql/{asset}", headers={"Accept-Encoding": "gzip"})
            assert answer.status_code == 200, asset
        missing = await http.get("/static/graphiql/../../server/app.py")
        assert missing.status_code == 404


async def test_graphiql_runs_queries_in_chromium_without_internet(server: LiveServer) -> None:
    async with chromium() as browser:
        for width, name in ((1280, "graphiql-desktop"), (390, "graphiql-390px")):
            context, watched = await watched_context(browser, server, width=width)
            page = await context.new_page()
            watch(page, watched)
            await page.goto(f"{server.url}/graphql")
            await page.wait_for_selector(QUERY_EDITOR, timeout=20_000)
            login = 'mutation($p: String!) { login(email: "ada@example.test", password: $p) { session { nextStep } } }'
            await run(page, login, {"p": PASSWORD})
            await expect(page.locator(".graphiql-response")).to_contain_text('"DONE"', timeout=20_000)
            # The answer set the session cookie: GraphiQL's next request is signed in.
            await run(page, "{ session { user { email } } }")
            await expect(page.locator(".graphiql-response")).to_contain_text("ada@example.test", timeout=20_000)
            await screenshot(page, name)
            await context.close()
            assert watched.outside_requests == []
            assert watched.page_errors == []
            assert watched.console_errors == []


async def run(page: Page, query: str, variables: dict[str, str] | None = None) -> None:
    """Put `query` (and its variables) in GraphiQL's editors and press Run."""
    await page.evaluate(
        """([query, variables]) => {
            const [queryEditor, variablesEditor] = document.querySelectorAll(".graphiql-container .CodeMirror");
            queryEditor.CodeMirror.setValue(query);
            variablesEditor.CodeMirror.setValue(variables);
        }""",
        [query, json.dumps(variables or {})],
    )
    await page.click(".graphiql-execute-button")
