"""Security keys and passkeys in the web client, in Debian's Chromium with a virtual authenticator.

The DevTools WebAuthn domain gives each browser context a software authenticator (a passkey that
syncs, or a key bound to one device); the pages run the real navigator.credentials calls against
the real server. The page is at http://localhost:PORT: WebAuthn refuses IP addresses as origins.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import LiveServer, live_server, screenshots, watched_page
from helpers import PASSWORD
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Route, expect
from test_web_client import WAIT, authenticators, sign_in, sign_out

USERS = (
    ("ada@example.test", "Ada", True),
    ("kim@example.test", "Kim", False),
    ("lee@example.test", "Lee", False),
    ("max@example.test", "Max", False),
    ("nia@example.test", "Nia", False),
    ("ned@example.test", "Ned", False),
)


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    async with live_server(Path(tmp_path_factory.mktemp("web-keys"))) as running:
        running.create_users(USERS, PASSWORD)
        yield running


async def authenticator(context: BrowserContext, page: Page, *, synced: bool) -> tuple[CDPSession, str]:
    """A virtual authenticator for `context`: a synced passkey on the device, or a USB key bound to itself."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal" if synced else "usb",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "defaultBackupEligibility": synced,
        "defaultBackupState": synced,
    }
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, added["authenticatorId"]


async def enable_security_keys(server: LiveServer) -> None:
    """The policy with SECURITY_KEY enabled, set by the administrator over the API (the first test does it by page)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { error { code } } }",
                "variables": {"e": "ada@example.test", "p": PASSWORD},
            },
        )
        assert login.json()["data"]["login"]["error"] is None, login.text
        policy = await http.post(
            "/graphql",
            json={
                "query": "mutation($i: TwoFactorPolicyInput!) { admin { setTwoFactorPolicy(input: $i) {"
                " policy { enabledMethods } error { code message } } } }",
                "variables": {
                    "i": {
                        "mandatory": False,
                        "enabledMethods": ["EMAIL", "APP", "SECURITY_KEY"],
                        "recoveryCodesEnabled": True,
                    }
                },
            },
        )
        answer = policy.json()["data"]["admin"]["setTwoFactorPolicy"]
        assert answer["error"] is None, policy.text
        assert "SECURITY_KEY" in answer["policy"]["enabledMethods"]


def age_second_factor(server: LiveServer, email: str) -> None:
    """Make the user's sessions' last second factor a day old, so that removing one asks for a fresh one."""
    with sqlite3.connect(server.directory / "browser.db") as db:
        rows = db.execute(
            "SELECT s.id, s.second_factor_at FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.email = ? AND s.second_factor_at IS NOT NULL",
            (email,),
        ).fetchall()
        assert rows, f"{email} has no session that proved a factor"
        for session_id, proved_at in rows:
            separator = "T" if "T" in proved_at else " "
            older = (datetime.fromisoformat(proved_at) - timedelta(days=1)).isoformat(sep=separator)
            db.execute("UPDATE sessions SET second_factor_at = ? WHERE id = ?", (older, session_id))


async def add_key(page: Page, name: str) -> None:
    await page.get_by_role("button", name="Security Key or Passkey").click()
    await page.get_by_label("Name").fill(name)
    await page.get_by_role("button", name="Add security key").click()


async def add_first_key(page: Page, name: str) -> list[str]:
    """Add the user's first authenticator, a key: the recovery codes shown with it, once saved."""
    await add_key(page, name)
    await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
    recovery = [code.strip() for code in await page.locator(".codes code").all_inner_texts()]
    await page.get_by_role("button", name="I saved them").click()
    return recovery


async def test_admin_enables_keys_a_user_adds_a_passkey_signs_in_with_it_and_removes_it(
    server: LiveServer, browser: Browser
) -> None:
    async with watched_page(browser, server) as (context, page):
        # The administrator turns the method on; the policy lists every method, not two hard-coded ones.
        await sign_in(page, server, "ada@example.test")
        await page.get_by_role("link", name="Administration").click()
        key_method = page.get_by_label("Security key or passkey")
        await expect(key_method).not_to_be_checked(timeout=WAIT)
        await key_method.check()
        await page.get_by_role("button", name="Save policy").click()
        await expect(page.get_by_text("The policy was saved.")).to_be_visible(timeout=WAIT)
        await page.reload()
        await expect(page.get_by_label("Security key or passkey")).to_be_checked(timeout=WAIT)
        await expect(page.get_by_label("Email", exact=True)).to_be_checked()
        await expect(page.get_by_label("Authenticator app")).to_be_checked()
        await sign_out(page)

        # Kim adds a passkey through the page: a name, the browser's prompt (the virtual authenticator).
        cdp, device = await authenticator(context, page, synced=True)
        await sign_in(page, server, "kim@example.test")
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="Security Key or Passkey").click()
        await expect(page.get_by_role("heading", name="Security key or passkey")).to_be_visible()
        await screenshots(page, "security-key-set-up")
        await page.get_by_label("Name").fill("Laptop passkey")
        await page.get_by_role("button", name="Add security key").click()
        # The first factor: recovery codes come with it.
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="I saved them").click()
        await expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible(timeout=WAIT)
        rows = authenticators(page)
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Laptop passkey")
        await expect(rows.first).to_contain_text("Passkey, synced")
        stored = (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": device}))["credentials"]
        assert len(stored) == 1 and stored[0]["isResidentCredential"], stored

        # Sign out, sign in with the password and the key.
        await sign_out(page)
        await sign_in(page, server, "kim@example.test")
        await expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible(timeout=WAIT)
        # The other ways stay: the recovery code.
        await expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()
        await screenshots(page, "challenge-security-key")
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await expect(rows.first).to_contain_text("Passkey, synced")
        await expect(rows.first).not_to_contain_text("Last used Never")
        await screenshots(page, "your-2fa-security-key")

        # Rename, as for the other methods.
        await page.get_by_role("button", name="Edit Laptop passkey").click()
        await page.get_by_label("New name").fill("Work laptop")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Work laptop", exact=True)).to_be_visible(timeout=WAIT)

        # Removal, when the session's factor is old: the key proves a fresh one, then the removal goes on.
        age_second_factor(server, "kim@example.test")
        await page.get_by_role("button", name="Remove Work laptop").click()
        await page.get_by_role("button", name="Yes, remove").click()
        await expect(page.get_by_label("Current code")).to_be_visible(timeout=WAIT)
        await screenshots(page, "remove-security-key-fresh-factor")
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_text('"Work laptop" was removed.')).to_be_visible(timeout=WAIT)
        await expect(page.get_by_text("No authenticators yet.")).to_be_visible()


async def test_a_key_that_is_not_there_gets_a_clear_error_and_the_other_ways_stay(
    server: LiveServer, browser: Browser
) -> None:
    await enable_security_keys(server)
    async with watched_page(browser, server) as (context, page):
        cdp, device = await authenticator(context, page, synced=False)
        await sign_in(page, server, "lee@example.test")
        recovery = await add_first_key(page, "YubiKey")
        await expect(authenticators(page).first).to_contain_text("Security key, this device only", timeout=WAIT)

        # The same key again: the server excluded it, the browser refuses, the page says why.
        await add_key(page, "YubiKey again")
        await expect(page.get_by_role("alert")).to_contain_text("already registered", timeout=WAIT)
        await expect(authenticators(page)).to_have_count(1)
        await page.get_by_role("button", name="Cancel").click()

        # The key is unplugged and another one, which never saw this site, is there instead.
        await sign_out(page)
        await cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device})
        await cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {"options": {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True}},
        )
        await sign_in(page, server, "lee@example.test")
        await page.get_by_role("button", name="Use security key").click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("cancelled or timed out, or this key is not one of yours", timeout=WAIT)
        await screenshots(page, "challenge-security-key-error")
        # Still at the challenge, and the recovery code signs in.
        await expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
        await page.get_by_role("button", name="Use a recovery code").click()
        await page.get_by_label("Recovery code").fill(recovery[0])
        await page.get_by_role("button", name="Verify").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await expect(authenticators(page).first).to_contain_text("YubiKey")


async def test_a_browser_without_webauthn_is_told_so_before_anything_starts(
    server: LiveServer, browser: Browser
) -> None:
    await enable_security_keys(server)
    async with watched_page(browser, server, init_script="delete window.PublicKeyCredential;") as (_, page):
        await sign_in(page, server, "max@example.test")
        await page.get_by_role("button", name="Security Key or Passkey").click()
        await expect(page.get_by_role("alert")).to_contain_text(re.compile("cannot use security keys"), timeout=WAIT)
        await expect(page.get_by_role("button", name="Add security key")).to_be_disabled()


async def test_a_key_whose_counter_goes_backwards_is_suspended_and_the_page_says_what_to_do(
    server: LiveServer, browser: Browser
) -> None:
    await enable_security_keys(server)
    async with watched_page(browser, server) as (context, page):
        cdp, device = await authenticator(context, page, synced=False)
        await sign_in(page, server, "nia@example.test")
        recovery = await add_first_key(page, "Blue key")
        # One sign-in with the key: the server has seen its counter move forward.
        await sign_out(page)
        await sign_in(page, server, "nia@example.test")
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)
        await sign_out(page)

        # A copy of the key with an older counter: the same private key, its counter back at zero.
        [credential] = (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": device}))["credentials"]
        assert credential["signCount"] >= 2, credential
        await cdp.send("WebAuthn.clearCredentials", {"authenticatorId": device})
        older = {**credential, "signCount": 0}
        await cdp.send("WebAuthn.addCredential", {"authenticatorId": device, "credential": older})
        await sign_in(page, server, "nia@example.test")
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_role("alert")).to_contain_text("suspended", timeout=WAIT)
        await expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()

        # Signed in another way, the list shows the key suspended, and it can be removed.
        await page.get_by_role("button", name="Use a recovery code").click()
        await page.get_by_label("Recovery code").fill(recovery[0])
        await page.get_by_role("button", name="Verify").click()
        row = authenticators(page).first
        await expect(row).to_contain_text("Suspended", timeout=WAIT)
        await expect(row).to_contain_text("Remove it, and set up your key again")
        await page.get_by_role("button", name="Remove Blue key").click()
        await page.get_by_role("button", name="Yes, remove").click()
        await expect(page.get_by_text('"Blue key" was removed.')).to_be_visible(timeout=WAIT)


async def test_a_browser_without_the_webauthn_json_helpers_adds_and_uses_a_key_all_the_same(
    server: LiveServer, browser: Browser
) -> None:
    """Browsers before WebAuthn Level 3 lack parse...FromJSON and toJSON: the client encodes by hand."""
    await enable_security_keys(server)
    async with watched_page(
        browser,
        server,
        init_script=(
            "delete PublicKeyCredential.parseCreationOptionsFromJSON;"
            " delete PublicKeyCredential.parseRequestOptionsFromJSON;"
            " delete PublicKeyCredential.prototype.toJSON;"
        ),
    ) as (context, page):
        await authenticator(context, page, synced=True)
        await sign_in(page, server, "ned@example.test")
        assert await page.evaluate("() => typeof PublicKeyCredential.parseCreationOptionsFromJSON") == "undefined"
        assert await page.evaluate("() => typeof PublicKeyCredential.prototype.toJSON") == "undefined"
        await add_first_key(page, "Old browser key")
        await expect(authenticators(page).first).to_contain_text("Passkey, synced", timeout=WAIT)
        await sign_out(page)
        await sign_in(page, server, "ned@example.test")
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_role("heading", name="Your 2FA")).to_be_visible(timeout=WAIT)

        # New recovery codes when the session's factor is old: the key proves a fresh one here too.
        age_second_factor(server, "ned@example.test")
        await page.get_by_role("button", name="Regenerate recovery codes").click()
        await page.get_by_role("button", name="Regenerate", exact=True).click()
        await page.get_by_role("button", name="Use security key").click()
        await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible(timeout=WAIT)
        await expect(page.locator(".codes code")).to_have_count(10)


# What a newer server may answer: a method this client does not know, and a suspended key.
USER = {"id": "1", "email": "zoe@example.test", "name": "Zoe", "isAdmin": True}
SUSPENDED_KEY = {
    "id": "10",
    "name": "Old YubiKey",
    "method": "SECURITY_KEY",
    "email": None,
    "createdAt": "2026-11-01T09:00:00+00:00",
    "lastUsedAt": "2026-12-01T09:00:00+00:00",
    "securityKey": {"synced": False, "backedUp": False, "aaguid": None, "suspendedAt": "2026-12-02T09:00:00+00:00"},
}
PIGEON = {
    "id": "11",
    "name": "Homing pigeon",
    "method": "CARRIER_PIGEON",
    "email": None,
    "createdAt": "2026-11-01T09:00:00+00:00",
    "lastUsedAt": None,
    "securityKey": None,
}


def stub_answers(step: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The data the stub server answers to `body`, by operation name."""
    at_challenge = [{k: a[k] for k in ("id", "name", "method")} for a in (SUSPENDED_KEY, PIGEON)]
    return {
        "Session": {"session": {"nextStep": step, "expiresAt": None, "user": USER, "authenticators": at_challenge}},
        "MyTwoFactor": {
            "myTwoFactor": {
                "enabled": True,
                "mandatory": False,
                "setupRequired": False,
                "availableMethods": ["EMAIL", "SECURITY_KEY", "CARRIER_PIGEON"],
                "recoveryCodesRemaining": 9,
                "authenticators": [SUSPENDED_KEY, PIGEON],
            }
        },
        "MySessions": {"mySessions": []},
        "Policy": {
            "twoFactorPolicy": {
                "mandatory": False,
                "enabledMethods": ["EMAIL", "CARRIER_PIGEON"],
                "recoveryCodesEnabled": True,
            }
        },
        "SetPolicy": {
            "admin": {
                "setTwoFactorPolicy": {
                    "policy": body["variables"].get("input"),
                    "error": None,
                }
            }
        },
        "AuditEvents": {"admin": {"auditEvents": {"events": [], "nextCursor": None}}},
    }


async def test_unknown_methods_and_a_suspended_key_render_from_what_the_server_says(
    server: LiveServer, browser: Browser
) -> None:
    """The API may add methods (the contract grows by additions): the client shows them by name."""
    async with watched_page(browser, server) as (_, page):
        sent: list[dict[str, Any]] = []
        step = {"now": "TWO_FACTOR_CHALLENGE"}

        async def graphql(route: Route) -> None:
            body: dict[str, Any] = json.loads(route.request.post_data or "{}")
            sent.append(body)
            operation = re.match(r"\s*(?:query|mutation)\s+(\w+)", body["query"])
            assert operation, body["query"]
            answers = stub_answers(step["now"], body)
            assert operation.group(1) in answers, operation.group(1)
            await route.fulfill(json={"data": answers[operation.group(1)]})

        await page.route(server.url + "/graphql", graphql)
        # The live connection is not part of this: it opens and stays quiet.
        await page.route_web_socket(re.compile(r"/graphql$"), lambda socket: None)

        # At the challenge: the security key has its button, the unknown method a plain code field.
        await page.goto(server.url + "/")
        await expect(page.get_by_role("button", name="Use security key")).to_be_visible(timeout=WAIT)
        await expect(page.get_by_role("radio", name="Homing pigeon")).to_be_checked()
        await expect(page.get_by_label("Code", exact=True)).to_be_visible()

        # Signed in: the suspended key says so and what to do; the unknown method shows by its name.
        step["now"] = "DONE"
        await page.reload()
        rows = page.get_by_role("list", name="Your authenticators").get_by_role("listitem")
        await expect(rows).to_have_count(2, timeout=WAIT)
        await expect(rows.nth(0)).to_contain_text("Suspended")
        await expect(rows.nth(0)).to_contain_text("Security key, this device only")
        await expect(rows.nth(0)).to_contain_text("Remove it, and set up your key again")
        await expect(rows.nth(1)).to_contain_text("Carrier pigeon")
        await expect(page.get_by_role("button", name="Security Key or Passkey")).to_be_visible()
        await screenshots(page, "your-2fa-suspended-key")

        # The policy page lists the methods it knows and keeps the one it does not.
        await page.goto(server.url + "/#/admin")
        await expect(page.get_by_label("Carrier pigeon")).to_be_checked(timeout=WAIT)
        await expect(page.get_by_label("Security key or passkey")).not_to_be_checked()
        await page.get_by_label("Security key or passkey").check()
        await page.get_by_role("button", name="Save policy").click()
        await expect(page.get_by_text("The policy was saved.")).to_be_visible(timeout=WAIT)
        saved = [b for b in sent if "SetPolicy" in b["query"]]
        assert saved[-1]["variables"]["input"]["enabledMethods"] == ["EMAIL", "SECURITY_KEY", "CARRIER_PIGEON"]
