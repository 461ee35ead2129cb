"""Security keys' settings: the relying party id, the origins, and what production refuses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import BACKENDS, Harness, fresh_database, signed_in
from test_settings_cli import production

from twofactor.models import Policy
from twofactor.server import cli
from twofactor.server.settings import Settings, SettingsError, load_settings

SET_POLICY = """
mutation($methods: [TwoFactorMethod!]) { admin { setTwoFactorPolicy(input: {enabledMethods: $methods}) {
  policy { enabledMethods } error { code field message }
} } }"""


def test_development_defaults_to_localhost(env: pytest.MonkeyPatch) -> None:
    settings = load_settings(env_file=None)
    assert settings.webauthn_rp_id == "localhost"
    assert settings.webauthn_origins == ("http://localhost:8000",)
    assert settings.webauthn_origins_defaulted


def test_production_has_no_default_origin(env: pytest.MonkeyPatch) -> None:
    production(env)
    settings = load_settings(env_file=None)
    assert settings.webauthn_origins == () and not settings.webauthn_origins_defaulted


def test_origins_on_the_rp_id_or_a_subdomain_are_accepted(env: pytest.MonkeyPatch) -> None:
    production(env, WEBAUTHN_RP_ID="Example.com", WEBAUTHN_ORIGINS="https://example.com, https://app.example.com/")
    settings = load_settings(env_file=None)
    assert settings.webauthn_rp_id == "example.com"
    assert settings.webauthn_origins == ("https://example.com", "https://app.example.com")


@pytest.mark.parametrize(
    ("rp_id", "origins", "reason"),
    [
        ("example.com", "https://example.org", "is not on example.com"),
        ("example.com", "https://notexample.com", "is not on example.com"),
        ("example.com", "http://example.com", "http only for localhost"),
        ("example.com", "https://example.com/login", "expected origins"),
        ("https://example.com", "https://example.com", "TWOFACTOR_WEBAUTHN_RP_ID"),
        ("127.0.0.1", "http://127.0.0.1:8000", "TWOFACTOR_WEBAUTHN_RP_ID"),
        ("example.com:443", "https://example.com", "TWOFACTOR_WEBAUTHN_RP_ID"),
        # A browser's origin is compared as text: these would never match one, so they are refused.
        ("example.com", "https://*.example.com", "no wildcards"),
        ("example.com", "https://a_b.example.com", "no wildcards"),
        ("example.com", "https://.example.com", "no wildcards"),
        ("example.com", "https://user@example.com", "expected origins"),
        ("example.com", "https://example.com#top", "expected origins"),
        ("example.com", "https://example.com?", "expected origins"),
        ("example.com", "example.com", "expected origins"),
        # Production: https only, localhost too.
        ("localhost", "http://localhost:8000", "http only for localhost in development"),
    ],
)
def test_origins_that_cannot_use_the_rp_id_are_refused(
    env: pytest.MonkeyPatch, rp_id: str, origins: str, reason: str
) -> None:
    production(env, WEBAUTHN_RP_ID=rp_id, WEBAUTHN_ORIGINS=origins)
    with pytest.raises(SettingsError, match=reason):
        load_settings(env_file=None)


def test_origins_are_kept_as_a_browser_writes_them(env: pytest.MonkeyPatch) -> None:
    production(
        env, WEBAUTHN_RP_ID="example.com", WEBAUTHN_ORIGINS="HTTPS://Example.COM:443, https://app.example.com:8443"
    )
    assert load_settings(env_file=None).webauthn_origins == ("https://example.com", "https://app.example.com:8443")


def test_development_takes_http_on_localhost(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_WEBAUTHN_ORIGINS", "http://localhost:3000")
    assert load_settings(env_file=None).webauthn_origins == ("http://localhost:3000",)


def test_an_rp_id_without_origins_is_refused_in_development(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_WEBAUTHN_RP_ID", "example.com")
    with pytest.raises(SettingsError, match="TWOFACTOR_WEBAUTHN_ORIGINS"):
        load_settings(env_file=None)


def test_serve_makes_its_own_port_the_development_origin(env: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    env.setattr(cli, "_serve", lambda settings, *args: served.append(settings))
    # `serve` sets the variable for the server processes it starts: undone after the test.
    env.setenv("TWOFACTOR_WEBAUTHN_ORIGINS", "")
    env.delenv("TWOFACTOR_WEBAUTHN_ORIGINS")
    assert cli.main(["serve", "--port", "9123", "--no-migrate"]) == 0
    assert served[0].webauthn_origins == ("http://localhost:9123",)


def test_serve_keeps_configured_origins(env: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    env.setattr(cli, "_serve", lambda settings, *args: served.append(settings))
    env.setenv("TWOFACTOR_WEBAUTHN_ORIGINS", "http://localhost:3000")
    assert cli.main(["serve", "--port", "9123", "--no-migrate"]) == 0
    assert served[0].webauthn_origins == ("http://localhost:3000",)


# Starts the app on a migrated database whose policy enables security keys (or not), with
# production settings without origins (or with), in a process of its own: the app initialises
# Tortoise for the whole process. Prints "started" or the start-up error.
_START = """
import asyncio, secrets, sys
from tortoise import Tortoise
from twofactor.models import Policy
from twofactor.server.app import create_app
from twofactor.server.database import apply_migrations, tortoise_config
from twofactor.server.settings import MailSettings, Settings, SettingsError

async def main(url, enabled, origins):
    await apply_migrations(url)
    await Tortoise.init(config=tortoise_config(url))
    policy = await Policy.current(fresh=True)
    policy.security_key_enabled = enabled == "on"
    await policy.save()
    await Tortoise.close_connections()
    settings = Settings(
        env="production", database_url=url, secret_keys=(secrets.token_urlsafe(48),),
        mail=MailSettings(backend="smtp", host="127.0.0.1", port=1), mail_from="x <x@example.test>",
        redis_url=None, issuer="t", cors_origins=(), graphiql=False, introspection=False,
        webauthn_rp_id="example.com", webauthn_origins=tuple(o for o in origins.split(",") if o),
    )
    app = create_app(settings, migrate=False, run_worker=False)
    try:
        async with app.router.lifespan_context(app):
            print("started")
    except SettingsError as error:
        print(f"refused: {error}")

asyncio.run(main(*sys.argv[1:]))
"""


async def _start(url: str, enabled: str, origins: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _START,
        url,
        enabled,
        origins,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode().strip().splitlines()[-1]


@pytest.mark.parametrize("kind", BACKENDS[:1])
async def test_production_refuses_to_start_with_keys_enabled_and_no_origin(kind: str, tmp_path: Path) -> None:
    async with fresh_database(kind, tmp_path) as url:
        refused = await _start(url, "on", "")
        assert refused.startswith("refused: TWOFACTOR_WEBAUTHN_ORIGINS is not set")
        assert await _start(url, "on", "https://example.com") == "started"
        assert await _start(url, "off", "") == "started"


async def _admin_sets(app: Harness, methods: list[str]) -> dict[str, Any]:
    _, token = await signed_in(app, f"admin-{len(methods)}@example.test", admin=True)
    body = await app.gql(SET_POLICY, {"methods": methods}, token=token)
    payload: dict[str, Any] = body["data"]["admin"]["setTwoFactorPolicy"]
    return payload


async def test_an_administrator_enables_security_keys(app: Harness) -> None:
    assert (await app.gql("{ twoFactorPolicy { enabledMethods } }"))["data"]["twoFactorPolicy"]["enabledMethods"] == [
        "EMAIL",
        "APP",
    ]
    payload = await _admin_sets(app, ["APP", "SECURITY_KEY"])
    assert payload["error"] is None
    assert payload["policy"]["enabledMethods"] == ["APP", "SECURITY_KEY"]
    assert (await Policy.current(fresh=True)).security_key_enabled


async def test_enabling_security_keys_without_origins_is_refused(app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.app.state.services
    monkeypatch.setattr(services, "settings", replace(services.settings, webauthn_origins=()))
    payload = await _admin_sets(app, ["APP", "SECURITY_KEY"])
    assert payload["error"]["code"] == "INVALID_INPUT"
    assert payload["error"]["field"] == "enabledMethods"
    assert not (await Policy.current(fresh=True)).security_key_enabled


def test_serve_in_production_says_why_it_refuses_to_start(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'keys.db'}"
    enable = (
        "import asyncio\n"
        "from tortoise import Tortoise\n"
        "from twofactor.models import Policy\n"
        "from twofactor.server.database import apply_migrations, tortoise_config\n"
        "async def main(url):\n"
        "    await apply_migrations(url)\n"
        "    await Tortoise.init(config=tortoise_config(url))\n"
        "    policy = await Policy.current(fresh=True)\n"
        "    policy.security_key_enabled = True\n"
        "    await policy.save()\n"
        "    await Tortoise.close_connections()\n"
        f"asyncio.run(main({url!r}))\n"
    )
    subprocess.run([sys.executable, "-c", enable], check=True, timeout=60)
    production(env, DATABASE_URL=url)
    started = subprocess.run(
        [str(Path(sys.executable).parent / "twofactor"), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert started.returncode == 2, started.stdout
    assert "TWOFACTOR_WEBAUTHN_ORIGINS is not set" in started.stderr
