"""The web client at `/`, driven in Debian's Chromium as a person would: sign-in, "Your 2FA", admin.

Codes come from an independent RFC 6238 implementation (below) and from the test's SMTP server;
every request that is not to the server is aborted and counted, and must not happen.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from browser_support import LiveServer, live_server, screenshot, screenshots, watched_page
from helpers import PASSWORD
from mail_support import SmtpServer
from playwright.async_api import Browser, Locator, Page, WebSocket, expect

from twofactor.security.rules import LOGIN_FAILURES_BEFORE_WAIT

WAIT = 20_000  # ms: a bound for what a shared 2-core machine may take, not a speed check
# ms: the live connection's five reconnection tries, with their growing waits, come first.
RECONNECT_WAIT = 90_000


def rfc6238(setup_key: str, at: float, digits: int = 6, period: int = 30) -> str:
    """A TOTP code computed from RFC 6238 directly (not with the server's pyotp)."""
    key = base64.b32decode(setup_key.replace(" ", "").upper() + "=" * (-len(setup_key.replace(" ", "")) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // period)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory, mail: SmtpServer) -> AsyncIterator[LiveServer]:
    async with live_server(Path(tmp_path_factory.mktemp("web")), f"smtp://127.0.0.1:{mail.port}") as running:
        running.create_users(
            (
                ("ada@example.test", "Ada", True),
                ("bob@example.test", "Bob", False),
                ("carol@example.test", "Carol", False),
                ("dan@example.test", "Dan", False),
                ("eve@example.test", "Eve", False),
                ("grace@example.test", "Grace", True),
                ("fay@example.test", "Fay", False),
                ("gus@example.test", "Gus", False),
                ("hal@example.test", "Hal", False),
                ("ivy@example.test", "Ivy", False),
                ("jo@example.test", "Jo", False),
                ("kit@example.test", "Kit", False),
                ("lou@example.test", "Lou", False),
                ("meg@example.test", "Meg", False),
                ("nat@example.test", "Nat", False),
                ("oli@example.test", "Oli", False),
            ),
            PASSWORD,
        )
        yield running


async def mailed_code(mail: SmtpServer, address: str, seen: int) -> str:
    """The code in the next message to `address` after the first `seen` ones."""
    async with asyncio.timeout(WAIT / 1000):
        while True:
            messages = [m for m in mail.received if address in m.rcpt_tos]
            if len(messages) > seen:
                match = re.search(r"\b(\d{6})\b", messages[seen].part("text/plain"))
                assert match, messages[seen].part("text/plain")
                return match.group(1)
            await asyncio.sleep(0.05)


def mails_to(mail: SmtpServer, address: str) -> int:
    return sum(address in m.rcpt_tos for m in mail.received)


async def sign_in(page: Page, server: LiveServer, email: str) -> None:
    await page.goto(server.url + "/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)


async def set_up_app(page: Page, name: str) -> str:
    """Authenticator App set-up through the page; returns the setup key."""
    await page.get_by_role("button", name="Authenticator App").click()
    key = (await page.get_by_test_id("setup-key").inner_text()).strip()
    await expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Code from your app").fill(rfc6238(key, time.time()))
    await page.get_by_role("button", name="Submit Code and Create").click()
    return key


def authenticators(page: Page) -> Locator:
    return page.get_by_role("list", name="Your authenticators").get_by_role("listitem")


async def test_set_up_both_methods_rename_remove_and_sign_in_with_each_kind_of_code(
    server: LiveServer, browser: Browser, mail: SmtpServer
) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "bob@example.test")
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        assert await page.title() == "Your 2FA · twofactor"
        await expect(page.get_by_text("Two-factor authentication is off.")).to_be_visible()
        await screenshots(page, "your-2fa-off")

        # Authenticator App: the QR code, the setup key, a name and the app's code.
        key = await set_up_app(page, "My phone")
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        recovery = [code.strip() for code in await page.locator(".codes code").all_inner_texts()]
        assert len(recovery) == 10
        await expect(page.get_by_role("link", name="Download codes")).to_have_attribute("download", re.compile("txt$"))
        await screenshots(page, "recovery-codes")
        await page.get_by_role("button", name="I saved them").click()
        await expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()

        # Email Authentication: the sign-in address prefilled and read-only, the status pushed live.
        await page.get_by_role("button", name="Email Authentication").click()
        address = page.get_by_label("Email", exact=True)
        await expect(address).to_have_value("bob@example.test")
        await expect(address).not_to_be_editable()
        seen = mails_to(mail, "bob@example.test")
        await page.get_by_label("Name").fill("Work mail")
        await page.get_by_role("button", name="Send code").click()
        await expect(page.locator("[data-status]")).to_have_attribute("data-status", "CODE_SENT", timeout=WAIT)
        await expect(page.get_by_role("button", name=re.compile(r"Resend code \(\d+ s\)"))).to_be_disabled()
        await screenshots(page, "email-code-sent")
        await page.get_by_label("Code from the email").fill(
            "000000" if (await mailed_code(mail, "bob@example.test", seen)) != "000000" else "111111"
        )
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(page.get_by_role("alert")).to_contain_text("not right", timeout=WAIT)
        await expect(page.get_by_role("alert")).to_contain_text("tries left")
        await page.get_by_label("Code from the email").fill(await mailed_code(mail, "bob@example.test", seen))
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(page.get_by_text("The authenticator was added.")).to_be_visible(timeout=WAIT)
        await expect(authenticators(page)).to_have_count(2)

        # Edit (rename).
        await page.get_by_role("button", name="Edit My phone").click()
        await page.get_by_label("New name").fill("Pixel")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Pixel", exact=True)).to_be_visible(timeout=WAIT)
        await screenshots(page, "your-2fa-two-authenticators")

        # Sign in again: the challenge, with an email code.
        await sign_out(page)
        await sign_in(page, server, "bob@example.test")
        await expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible(timeout=WAIT)
        await screenshots(page, "challenge")
        await page.get_by_role("radio", name=re.compile("Email")).check()
        seen = mails_to(mail, "bob@example.test")
        # The first code of a new challenge goes at once, even right after the set-up's mail.
        await page.get_by_role("button", name="Send code").click()
        await expect(page.get_by_text("We emailed you a code.")).to_be_visible(timeout=WAIT)
        await page.get_by_label("Code from the email").fill(await mailed_code(mail, "bob@example.test", seen))
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)

        # With a recovery code.
        await sign_out(page)
        await sign_in(page, server, "bob@example.test")
        await page.get_by_role("button", name="Use a recovery code").click()
        await page.get_by_label("Recovery code").fill("WRONGCODE1")
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_role("alert")).to_be_visible(timeout=WAIT)
        await page.get_by_label("Recovery code").fill(recovery[0])
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)

        # With the app's code: the next time step's, which the server's one step of drift accepts
        # and which the set-up (an earlier step) did not use.
        await sign_out(page)
        await sign_in(page, server, "bob@example.test")
        await page.get_by_role("radio", name=re.compile("app", re.IGNORECASE)).first.check()
        await page.get_by_label("Code from your app").fill(rfc6238(key, time.time() + 30))
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)

        # Remove the email authenticator (the session just proved a factor: no code asked).
        await page.get_by_role("button", name="Remove Work mail").click()
        await page.get_by_role("button", name="Yes, remove").click()
        await expect(page.get_by_text('"Work mail" was removed.')).to_be_visible(timeout=WAIT)
        await expect(authenticators(page)).to_have_count(1)


async def test_changes_from_another_device_appear_without_a_reload(server: LiveServer, browser: Browser) -> None:
    async with watched_page(browser, server) as (_, page), watched_page(browser, server) as (_, other):
        await sign_in(page, server, "dan@example.test")
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        key = await set_up_app(page, "Phone")
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="I saved them").click()

        # The other device signs in with the app's next code and adds an authenticator.
        await sign_in(other, server, "dan@example.test")
        await other.get_by_label("Code from your app").fill(rfc6238(key, time.time() + 30))
        await other.get_by_role("button", name="Verify").click()
        await expect(other.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await set_up_app(other, "Tablet")
        await expect(other.get_by_text("The authenticator was added.")).to_be_visible(timeout=WAIT)
        # The first device learns of it over its subscription.
        await expect(page.get_by_text("Tablet", exact=True)).to_be_visible(timeout=WAIT)

        # Where you are signed in: the first device signs the other out, which is told at once.
        await page.reload()
        sessions = page.get_by_role("list", name="Your sessions").get_by_role("listitem")
        await expect(sessions).to_have_count(2, timeout=WAIT)
        await expect(page.get_by_text("This device")).to_be_visible()
        await screenshots(page, "sessions")
        await page.get_by_role("button", name="Sign out all other devices").click()
        await expect(page.get_by_text("The device was signed out.")).to_be_visible(timeout=WAIT)
        await expect(sessions).to_have_count(1)
        await expect(other.get_by_text("Your session ended. Sign in again.")).to_be_visible(timeout=WAIT)


async def test_a_first_factor_added_elsewhere_moves_this_device_to_the_challenge(
    server: LiveServer, browser: Browser
) -> None:
    async with watched_page(browser, server) as (_, page), watched_page(browser, server) as (_, other):
        await sign_in(page, server, "eve@example.test")
        await expect(page.get_by_text("Two-factor authentication is off.")).to_be_visible(timeout=WAIT)
        await sign_in(other, server, "eve@example.test")
        key = await set_up_app(other, "Phone")
        await expect(other.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        # This device never proved a second factor: it must pass the challenge to go on.
        await expect(page.get_by_text("Two-factor authentication was turned on for your account")).to_be_visible(
            timeout=WAIT
        )
        await page.get_by_label("Code from your app").fill(rfc6238(key, time.time() + 30))
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible(timeout=WAIT)
        # A reload at the challenge finds it again (the session lists its choices).
        await sign_out(other)
        await sign_in(other, server, "eve@example.test")
        await expect(other.get_by_role("heading", name="Two-factor authentication")).to_be_visible(timeout=WAIT)
        await other.reload()
        await expect(other.get_by_label("Code from your app")).to_be_visible(timeout=WAIT)


async def test_mandatory_set_up_admin_page_and_reset(server: LiveServer, browser: Browser) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "ada@example.test")
        # An administrator sets up 2FA before making it mandatory (else their session must set it up).
        await set_up_app(page, "Admin phone")
        await page.get_by_role("button", name="I saved them").click()
        await expect(page.get_by_role("link", name="Administration")).to_be_visible(timeout=WAIT)
        await page.get_by_role("link", name="Administration").click()
        await expect(page.get_by_role("heading", name="Administration")).to_be_visible(timeout=WAIT)
        await page.get_by_label("Two-factor authentication is mandatory").check()
        await page.get_by_role("button", name="Save policy").click()
        await expect(page.get_by_text("The policy was saved.")).to_be_visible(timeout=WAIT)
        await expect(page.get_by_role("cell", name="policy.changed").first).to_be_visible(timeout=WAIT)
        await screenshots(page, "admin")

        # Carol has no 2FA: sign-in leads straight to setting it up.
        async with watched_page(browser, server) as (_, carol):
            await sign_in(carol, server, "carol@example.test")
            await expect(carol.get_by_text("Set up two-factor authentication to continue")).to_be_visible(timeout=WAIT)
            await set_up_app(carol, "Phone")
            await expect(carol.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
            # Now a full session: the page shows where she is signed in, and keeps her codes on screen.
            await expect(carol.get_by_role("heading", name="Where you are signed in")).to_be_visible(timeout=WAIT)
            await expect(carol.get_by_role("heading", name="Your recovery codes")).to_be_visible()

        # Carol lost her phone: the administrator finds her by email and resets her 2FA.
        await page.get_by_label("User's email").fill("carol@example.test")
        await page.get_by_role("button", name="Find user").click()
        await page.get_by_role("button", name="Reset 2FA").click()
        await expect(page.get_by_text("was reset")).to_be_visible(timeout=WAIT)
        await page.get_by_label("Two-factor authentication is mandatory").uncheck()
        await page.get_by_role("button", name="Save policy").click()
        await expect(page.get_by_text("The policy was saved.")).to_be_visible(timeout=WAIT)


async def test_narrow_screens_labels_and_keyboard(server: LiveServer, browser: Browser) -> None:
    async with watched_page(browser, server, width=375) as (_, page):
        await page.goto(server.url + "/")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
        await screenshot(page, "sign-in-375px")
        # The keyboard alone: the email field has the focus; type, tab, type, Enter.
        await expect(page.get_by_label("Email")).to_be_focused()
        await page.keyboard.type("grace@example.test")
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await screenshot(page, "your-2fa-375px")
        unlabeled = await page.evaluate(
            "() => [...document.querySelectorAll('input')].filter((i) => i.labels.length === 0).map((i) => i.outerHTML)"
        )
        assert unlabeled == []
        wider = await page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
        assert not wider, "the page scrolls sideways at 375 px"
        await page.goto(server.url + "/#/admin")
        await expect(page.get_by_role("heading", name="Administration")).to_be_visible(timeout=WAIT)
        await screenshot(page, "admin-375px")


async def test_keyboard_users_keep_their_place_when_a_set_up_opens_closes_and_ends(
    server: LiveServer, browser: Browser
) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "fay@example.test")
        opener = page.get_by_role("button", name="Authenticator App")
        await opener.focus()
        await page.keyboard.press("Enter")
        # The set-up takes the focus at its heading (the button that was focused is gone), so
        # the next Tab goes on inside it rather than back to the top of the page.
        heading = page.get_by_role("heading", name="Authenticator App")
        await expect(heading).to_be_focused(timeout=WAIT)
        await screenshot(page, "app-set-up-focused")
        await page.get_by_role("button", name="Cancel").focus()
        await page.keyboard.press("Enter")
        # Closed, the focus returns to the button that opened it.
        await expect(opener).to_be_focused(timeout=WAIT)

        await page.keyboard.press("Enter")
        key = (await page.get_by_test_id("setup-key").inner_text()).strip()
        await page.get_by_label("Name").fill("Phone")
        await page.get_by_label("Code from your app").fill(rfc6238(key, time.time()))
        await page.keyboard.press("Enter")
        # The recovery codes must be read and saved first: the focus goes to them.
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_focused(timeout=WAIT)
        await page.get_by_role("button", name="I saved them").focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Authenticators")).to_be_focused(timeout=WAIT)
        await screenshot(page, "recovery-codes-saved-focused")


async def test_a_server_that_goes_away_and_comes_back_loses_nothing_on_the_page(
    server: LiveServer, browser: Browser
) -> None:
    refused = r"net::ERR_CONNECTION_REFUSED"
    async with watched_page(browser, server, expected_console_errors=refused) as (_, page):
        await sign_in(page, server, "hal@example.test")
        await set_up_app(page, "Phone")
        codes = page.get_by_role("heading", name="Your recovery codes")
        await expect(codes).to_be_visible(timeout=WAIT)
        recovery = await page.locator(".codes code").all_inner_texts()

        # The server stops (a deploy, a crash) while the recovery codes are still on the screen.
        server.stop()
        outage = page.get_by_role("alert").filter(has_text="cannot be reached")
        await expect(outage).to_be_visible(timeout=RECONNECT_WAIT)
        await screenshots(page, "server-away")
        # The session is not known to have ended: the page and its codes stay, with a way back.
        await expect(codes).to_be_visible()
        assert await page.locator(".codes code").all_inner_texts() == recovery
        await expect(page.get_by_role("heading", name="Sign in")).not_to_be_visible()

        # Asking again while it is still away changes nothing; once it is back, the page finds it
        # by itself (it asks again every few seconds) and carries on where it was.
        async with page.expect_event("requestfailed", timeout=WAIT):
            await page.get_by_role("button", name="Try again").click()
        await expect(outage).to_be_visible()
        await expect(codes).to_be_visible()
        await server.start()
        await expect(outage).not_to_be_visible(timeout=RECONNECT_WAIT)
        await expect(codes).to_be_visible()
        await page.get_by_role("button", name="I saved them").click()
        await expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible(timeout=WAIT)


async def test_an_app_set_up_that_expired_stops_showing_its_qr_code_and_starts_again(
    server: LiveServer, browser: Browser
) -> None:
    async with watched_page(browser, server) as (_, page):
        # The set-up's first status over the live connection (one socket, opened at sign-in): from
        # then on the page follows it.
        followed = asyncio.get_running_loop().create_future()

        def on_socket(socket: WebSocket) -> None:
            def frame(payload: str | bytes) -> None:
                if "myTwoFactorVerification" in str(payload) and not followed.done():
                    followed.set_result(None)

            socket.on("framereceived", frame)

        page.on("websocket", on_socket)
        await sign_in(page, server, "ivy@example.test")
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="Authenticator App").click()
        qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
        await expect(qr).to_be_visible(timeout=WAIT)
        first_key = (await page.get_by_test_id("setup-key").inner_text()).strip()
        async with asyncio.timeout(WAIT / 1000):
            await followed

        # The user comes back to it after its time ran out (the row aged, rather than waiting ten minutes).
        with sqlite3.connect(server.directory / "browser.db") as db:
            aged = db.execute(
                "UPDATE setups SET expires_at = '2000-01-01 00:00:00+00:00'"
                " WHERE user_id = (SELECT id FROM users WHERE email = 'ivy@example.test') AND status = 'PENDING'"
            ).rowcount
        assert aged == 1
        await page.get_by_label("Name").fill("Phone")
        await page.get_by_label("Code from your app").fill(rfc6238(first_key, time.time()))
        await page.get_by_role("button", name="Submit Code and Create").click()
        ended = page.get_by_role("status").filter(has_text="expired")
        await expect(ended).to_be_visible(timeout=WAIT)
        await screenshots(page, "app-set-up-expired")
        # Its QR code and setup key work no more: they are not left on screen to be scanned.
        await expect(qr).not_to_be_visible()
        await expect(page.get_by_test_id("setup-key")).not_to_be_visible()

        await page.get_by_role("button", name="Start again").click()
        await expect(qr).to_be_visible(timeout=WAIT)
        key = (await page.get_by_test_id("setup-key").inner_text()).strip()
        assert key != first_key
        await page.get_by_label("Name").fill("Phone")
        await page.get_by_label("Code from your app").fill(rfc6238(key, time.time()))
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)


async def test_without_a_clipboard_copying_says_what_to_do_instead(server: LiveServer, browser: Browser) -> None:
    # A page served over plain HTTP on another host than localhost has no navigator.clipboard.
    async with watched_page(browser, server, init_script="delete Navigator.prototype.clipboard;") as (_, page):
        await sign_in(page, server, "jo@example.test")
        await page.get_by_role("button", name="Authenticator App").click()
        await page.get_by_role("button", name="Copy key").click()
        await expect(page.get_by_role("status").filter(has_text="could not copy")).to_contain_text(
            "type the setup key", timeout=WAIT
        )
        key = (await page.get_by_test_id("setup-key").inner_text()).strip()
        await page.get_by_label("Name").fill("Phone")
        await page.get_by_label("Code from your app").fill(rfc6238(key, time.time()))
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="Copy codes").click()
        await expect(page.get_by_role("status").filter(has_text="could not copy")).to_contain_text(
            "Download codes", timeout=WAIT
        )
        await screenshots(page, "recovery-codes-no-clipboard")


async def test_a_wait_counts_down_on_screen_but_is_announced_once(server: LiveServer, browser: Browser) -> None:
    async with watched_page(browser, server) as (_, page):
        await page.goto(server.url + "/")
        alert = page.get_by_role("alert")
        # Wrong passwords until the account's throttle answers with a wait.
        for attempt in range(LOGIN_FAILURES_BEFORE_WAIT + 1):
            await page.get_by_label("Email").fill("kit@example.test")
            await page.get_by_label("Password").fill(f"not the password {attempt}")
            async with page.expect_response(re.compile(r"/graphql$")):
                await page.get_by_role("button", name="Sign in").click()
        countdown = page.get_by_text(re.compile(r"Try again in \d+ s\."))
        await expect(countdown).to_be_visible(timeout=WAIT)
        await screenshots(page, "sign-in-rate-limited")
        spoken, shown = await alert.inner_text(), await countdown.inner_text()
        # The screen counts down every second; the alert a screen reader reads out must not change
        # with it, or it is read out again every second until the wait is over.
        await expect(countdown).not_to_have_text(shown, timeout=WAIT)
        assert await alert.inner_text() == spoken
        # It says the wait once, with the rest.
        assert "Too many" in spoken and re.search(r"\d+ seconds", spoken), spoken


async def test_the_longest_name_wraps_instead_of_widening_the_page(server: LiveServer, browser: Browser) -> None:
    longest = "W" * 64  # the longest name allowed, with nowhere to break a line
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "lou@example.test")
        await set_up_app(page, longest)
        await page.get_by_role("button", name="I saved them").click(timeout=WAIT)
        await expect(authenticators(page)).to_have_count(1, timeout=WAIT)
        # `screenshots` fails when the page scrolls sideways at a phone's width.
        await screenshots(page, "longest-name")
        await page.get_by_role("button", name=f"Remove {longest}").click()
        await expect(page.get_by_role("button", name="Yes, remove")).to_be_visible()
        await screenshots(page, "longest-name-remove")


async def test_the_sign_in_codes_resend_countdown_is_not_read_out_every_second(
    server: LiveServer, browser: Browser, mail: SmtpServer
) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "meg@example.test")
        await page.get_by_role("button", name="Email Authentication").click()
        seen = mails_to(mail, "meg@example.test")
        await page.get_by_label("Name").fill("Mail")
        await page.get_by_role("button", name="Send code").click()
        await page.get_by_label("Code from the email").fill(await mailed_code(mail, "meg@example.test", seen))
        await page.get_by_role("button", name="Submit Code and Create").click()
        await page.get_by_role("button", name="I saved them").click(timeout=WAIT)
        await sign_out(page)

        await sign_in(page, server, "meg@example.test")
        await page.get_by_role("button", name="Send code").click(timeout=WAIT)
        countdown = page.get_by_text(re.compile(r"another in \d+ s\."))
        await expect(countdown).to_be_visible(timeout=WAIT)
        status = page.get_by_role("status").filter(has_text="We emailed you a code.")
        spoken, shown = await status.inner_text(), await countdown.inner_text()
        # The countdown changes every second; the status a screen reader reads out must not.
        await expect(countdown).not_to_have_text(shown, timeout=WAIT)
        assert await status.inner_text() == spoken


async def test_the_keyboard_goes_on_from_sign_in_to_the_code_and_to_the_page(
    server: LiveServer, browser: Browser
) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "nat@example.test")
        key = await set_up_app(page, "Phone")
        await page.get_by_role("button", name="I saved them").click(timeout=WAIT)
        await sign_out(page)

        # Email, Tab, password, Enter: the code field is where the typing goes on, then Enter again.
        await expect(page.get_by_label("Email")).to_be_focused()
        await page.keyboard.type("nat@example.test")
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_label("Code from your app")).to_be_focused(timeout=WAIT)
        await screenshot(page, "challenge-focused")
        await page.keyboard.type(rfc6238(key, time.time() + 30))
        await page.keyboard.press("Enter")
        # Signed in, the page's heading has the focus: a screen reader says where the user is now.
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_focused(timeout=WAIT)


async def test_an_email_set_up_that_expired_can_be_started_again(
    server: LiveServer, browser: Browser, mail: SmtpServer
) -> None:
    async with watched_page(browser, server) as (_, page):
        await sign_in(page, server, "oli@example.test")
        await page.get_by_role("button", name="Email Authentication").click()
        seen = mails_to(mail, "oli@example.test")
        await page.get_by_label("Name").fill("Mail")
        await page.get_by_role("button", name="Send code").click()
        status = page.locator("[data-status]")
        await expect(status).to_have_attribute("data-status", "CODE_SENT", timeout=WAIT)
        code = await mailed_code(mail, "oli@example.test", seen)
        # The user comes back to it after its time ran out (the row aged, rather than waiting ten minutes).
        with sqlite3.connect(server.directory / "browser.db") as db:
            aged = db.execute(
                "UPDATE setups SET expires_at = '2000-01-01 00:00:00+00:00'"
                " WHERE user_id = (SELECT id FROM users WHERE email = 'oli@example.test') AND status = 'CODE_SENT'"
            ).rowcount
        assert aged == 1
        await page.get_by_label("Code from the email").fill(code)
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(status).to_have_attribute("data-status", "EXPIRED", timeout=WAIT)
        await screenshots(page, "email-set-up-expired")
        # "Start again" does what the status says: a new code to the same address, under the same name.
        seen = mails_to(mail, "oli@example.test")
        await page.get_by_role("button", name="Start again").click()
        await expect(status).to_have_attribute("data-status", "CODE_SENT", timeout=WAIT)
        await page.get_by_label("Code from the email").fill(await mailed_code(mail, "oli@example.test", seen))
        await page.get_by_role("button", name="Submit Code and Create").click()
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        await expect(authenticators(page).filter(has_text="Mail")).to_have_count(1)
