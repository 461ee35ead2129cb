"""A real `twofactor serve` process and Debian's Chromium driven by Playwright, for browser tests."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import stop_process, until_healthy
from mail_support import free_port
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Route, async_playwright

TWOFACTOR = Path(sys.executable).with_name("twofactor")
CHROMIUM = os.environ.get("TWOFACTOR_TEST_CHROMIUM", "/usr/bin/chromium")
# Screenshots the browser tests save, for people to look at (not compared by the tests).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
START_TIMEOUT = 30.0
# Flags for a headless Chromium on a machine with no network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> str:
    """Chromium's path; CI must have it (.ci/run installs it), elsewhere its absence is a skip."""
    if shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@dataclass
class LiveServer:
    """`twofactor serve` on SQLite with console mail, reached as http://localhost:PORT."""

    port: int
    process: subprocess.Popen[bytes] | None
    log: Path
    env: dict[str, str]
    directory: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def start(self) -> None:
        """Start `twofactor serve` on this server's port (again, after `stop`) and wait until it is healthy."""
        with self.log.open("ab") as handle:
            self.process = process = subprocess.Popen(
                [str(TWOFACTOR), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.directory,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        await until_healthy(process, self.url, "the server", self.output, START_TIMEOUT)

    def stop(self) -> None:
        """Stop the server as a deployment does (SIGTERM), killing it if it has not ended in 10 s."""
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def command(self, *args: str, stdin: str = "") -> str:
        result = subprocess.run(
            [str(TWOFACTOR), *args],
            input=stdin.encode(),
            capture_output=True,
            env=self.env,
            cwd=self.directory,
            timeout=60,
        )
        output = (result.stdout + result.stderr).decode(errors="replace")
        assert result.returncode == 0, f"twofactor {' '.join(args)} failed:\n{output}"
        return output

    def create_users(self, users: tuple[tuple[str, str, bool], ...], password: str) -> None:
        """`twofactor user create` for each (email, name, is admin), all with `password`."""
        for email, name, admin in users:
            self.command(
                "user",
                "create",
                "--email",
                email,
                "--name",
                name,
                *(["--admin"] if admin else []),
                "--password-stdin",
                stdin=password + "\n",
            )


@contextlib.asynccontextmanager
async def live_server(directory: Path, mail_url: str = "console://") -> AsyncIterator[LiveServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_ENV="development",
        TWOFACTOR_DATABASE_URL=f"sqlite://{directory / 'browser.db'}",
        TWOFACTOR_MAIL_URL=mail_url,
        TWOFACTOR_MAIL_FROM="twofactor <no-reply@example.test>",
        TWOFACTOR_DATA_DIR=str(directory),
        PYTHONUNBUFFERED="1",
    )
    server = LiveServer(free_port(), None, directory / "server.log", env, directory)
    server.log.write_bytes(b"")
    try:
        await server.start()
        yield server
    finally:
        server.stop()


@dataclass
class Watched:
    """What a page did that a test asserts on: requests to anywhere but the server, errors."""

    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def watched_context(browser: Browser, server: LiveServer, width: int = 1280) -> tuple[BrowserContext, Watched]:
    """A browser context in which every request that is not to `server` is aborted and recorded."""
    context = await browser.new_context(viewport={"width": width, "height": 800})
    watched = Watched()

    async def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server.url + "/") or route.request.url == server.url:
            await route.continue_()
        else:
            watched.outside_requests.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_server)
    return context, watched


def assert_clean(watched: Watched) -> None:
    """The page reached nothing but the server, and logged and threw no error."""
    assert watched.outside_requests == [], watched.outside_requests
    assert watched.page_errors == [], watched.page_errors
    assert watched.console_errors == [], watched.console_errors


@contextlib.asynccontextmanager
async def watched_page(
    browser: Browser,
    server: LiveServer,
    init_script: str | None = None,
    width: int = 1280,
    expected_console_errors: str | None = None,
) -> AsyncIterator[tuple[BrowserContext, Page]]:
    """A page in a `watched_context` `width` pixels wide (running `init_script` first in every page),
    closed after the block, which then checks `assert_clean`. Console errors matching the regular
    expression `expected_console_errors` (the browser's own report of a refused connection, in a
    test that stops the server) are left out of that check."""
    context, watched = await watched_context(browser, server, width)
    try:
        if init_script is not None:
            await context.add_init_script(init_script)
        page = await context.new_page()
        watch(page, watched)
        yield context, page
    finally:
        await context.close()
    if expected_console_errors is not None:
        watched.console_errors = [e for e in watched.console_errors if not re.search(expected_console_errors, e)]
    assert_clean(watched)


def watch(page: Page, watched: Watched) -> None:
    """Record the page's console errors (a CSP violation is one) and uncaught exceptions."""

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append(message.text)

    def page_error(error: Error) -> None:
        watched.page_errors.append(str(error))

    page.on("console", console)
    page.on("pageerror", page_error)


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


PHONE_WIDTH = 390


async def screenshots(page: Page, name: str) -> None:
    """The page as it is, then at a phone's width (`name-390px`), then back; the page must not scroll sideways."""
    size = page.viewport_size
    assert size is not None
    await screenshot(page, name)
    await page.set_viewport_size({"width": PHONE_WIDTH, "height": size["height"]})
    wider = await page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
    await screenshot(page, f"{name}-{PHONE_WIDTH}px")
    await page.set_viewport_size(size)
    assert not wider, f"{name} scrolls sideways at {PHONE_WIDTH} px"
