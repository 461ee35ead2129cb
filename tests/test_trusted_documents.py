"""Trusted documents: with TWOFACTOR_TRUSTED_DOCUMENTS set, only the manifest's documents run."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import Harness, signed_in
from test_subscriptions import refused_code, signed_socket

from twofactor.schema import operation_checks
from twofactor.schema.trusted import document_hash, read_manifest
from twofactor.server.app import create_app
from twofactor.server.settings import SettingsError, load_settings

POLICY = "query Policy { twoFactorPolicy { mandatory } }"
TYPENAME = "{ __typename }"
MANIFEST = {document_hash(POLICY): POLICY, document_hash(TYPENAME): TYPENAME}
TWOFACTOR = str(Path(sys.executable).parent / "twofactor")


def persisted(text_hash: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": text_hash}}


async def ask(app: Harness, method: str = "POST", **request: Any) -> dict[str, Any]:
    """A request to an app on the harness's database whose settings trust MANIFEST only."""
    trusting = create_app(replace(app.settings, trusted_documents=MANIFEST), migrate=False, run_worker=False)
    transport = httpx.ASGITransport(app=trusting, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        if method == "GET":
            response = await client.get("/graphql", params=request, headers={"Accept": "application/json"})
        else:
            response = await client.post("/graphql", json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_trusted_document_runs_by_its_text_or_its_hash(app: Harness) -> None:
    expected = {"data": {"twoFactorPolicy": {"mandatory": False}}}
    assert await ask(app, query=POLICY) == expected
    assert await ask(app, extensions=persisted(document_hash(POLICY))) == expected
    assert await ask(app, extensions=persisted("sha256:" + document_hash(POLICY))) == expected
    got = await ask(app, "GET", extensions=json.dumps(persisted(document_hash(POLICY))))
    assert got == expected


async def test_any_other_document_is_refused_before_parsing(app: Harness) -> None:
    parsed = operation_checks._parse.cache_info().misses
    for text in ("{ twoFactorPolicy { mandatory enabledMethods } }", POLICY + " ", "{ __typename"):
        body = await ask(app, query=text)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED", body
    assert operation_checks._parse.cache_info().misses == parsed
    unknown = await ask(app, extensions=persisted(document_hash("{ session { nextStep } }")))
    assert unknown["errors"][0] == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }


async def test_without_the_setting_any_document_within_the_limits_runs(app: Harness) -> None:
    assert app.settings.trusted_documents is None
    body = await app.gql("{ twoFactorPolicy { enabledMethods } }")
    assert body == {"data": {"twoFactorPolicy": {"enabledMethods": ["EMAIL", "APP"]}}}


def test_the_setting_loads_the_manifest(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({f"sha256:{k}": v for k, v in MANIFEST.items()}))
    env.setenv("TWOFACTOR_TRUSTED_DOCUMENTS", str(manifest))
    assert load_settings().trusted_documents == MANIFEST
    assert POLICY not in repr(load_settings())


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "cannot read"),
        ('["{ __typename }"]', "must be a JSON object"),
        (json.dumps({"0" * 64: TYPENAME}), "is not the SHA-256 of its document"),
    ],
)
def test_a_bad_manifest_stops_start_up(env: pytest.MonkeyPatch, tmp_path: Path, content: str, reason: str) -> None:
    manifest = tmp_path / "trusted.json"
    manifest.write_text(content)
    env.setenv("TWOFACTOR_TRUSTED_DOCUMENTS", str(manifest))
    with pytest.raises(SettingsError, match=f"TWOFACTOR_TRUSTED_DOCUMENTS: .*{reason}"):
        load_settings()
    env.setenv("TWOFACTOR_TRUSTED_DOCUMENTS", str(tmp_path / "missing.json"))
    with pytest.raises(SettingsError, match="TWOFACTOR_TRUSTED_DOCUMENTS: cannot read"):
        load_settings()


def test_the_cli_adds_an_operators_documents(tmp_path: Path) -> None:
    first, second = tmp_path / "policy.graphql", tmp_path / "typename.graphql"
    first.write_text(POLICY)
    second.write_text(TYPENAME)
    manifest = tmp_path / "trusted.json"

    def add(*files: Path) -> subprocess.CompletedProcess[str]:
        command = [TWOFACTOR, "trusted-documents", "add", str(manifest), *map(str, files)]
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)

    done = add(first)
    assert done.returncode == 0, done.stderr
    assert f"sha256:{document_hash(POLICY)} {first}" in done.stdout
    assert read_manifest(manifest) == {document_hash(POLICY): POLICY}
    assert add(first, second).returncode == 0
    assert read_manifest(manifest) == MANIFEST
    (tmp_path / "empty.graphql").write_text("  \n")
    refused = add(tmp_path / "empty.graphql")
    assert refused.returncode == 2 and "no document in" in refused.stderr
    assert read_manifest(manifest) == MANIFEST


async def test_an_untrusted_subscription_is_refused_on_the_websocket(app: Harness) -> None:
    _, token = await signed_in(app)
    trusting = create_app(replace(app.settings, trusted_documents=MANIFEST), migrate=False, run_worker=False)
    async with signed_socket(replace(app, app=trusting), token) as socket:
        await socket.subscribe("s", "subscription { myTwoFactorChanged { enabled } }")
        assert await refused_code(socket, "s") == "DOCUMENT_NOT_TRUSTED"
