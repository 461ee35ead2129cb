"""What the server answers a browser at `/`, and the admin look-up the web client's reset uses."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
from helpers import Harness, create_user, signed_in

from twofactor.server.app import create_app
from twofactor.server.web import CONTENT_SECURITY_POLICY

FIND = "query($email: String!) { admin { user(email: $email) { id email name isAdmin } } }"


async def test_the_web_client_is_served_at_the_root(app: Harness) -> None:
    async with app.client() as client:
        page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert '<script type="module" src="/static/app/app.js"></script>' in page.text
    assert "https://" not in page.text


async def test_a_setting_turns_the_web_client_off(app: Harness) -> None:
    api_only = create_app(replace(app.settings, web_client=False), migrate=False, run_worker=False)
    transport = httpx.ASGITransport(app=api_only)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/")).status_code == 404
        # The API is still there (the app shares the harness's database connections).
        answer = await client.post("/graphql", json={"query": "{ twoFactorPolicy { mandatory } }"})
    assert answer.status_code == 200


async def test_administrators_find_a_user_by_email(app: Harness) -> None:
    _, token = await signed_in(app, "ada@example.test", admin=True)
    bob = await create_user("bob@example.test", name="Bob")
    found = await app.gql(FIND, {"email": "  Bob@Example.TEST "}, token)
    assert found == {
        "data": {"admin": {"user": {"id": str(bob.id), "email": "bob@example.test", "name": "Bob", "isAdmin": False}}}
    }
    missing = await app.gql(FIND, {"email": "nobody@example.test"}, token)
    assert missing == {"data": {"admin": {"user": None}}}


async def test_only_administrators_find_users(app: Harness) -> None:
    _, token = await signed_in(app, "bob@example.test")
    await create_user("carol@example.test", name="Carol")
    answer = await app.gql(FIND, {"email": "carol@example.test"}, token)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_address_no_account_can_have_finds_no_user(app: Harness) -> None:
    # Bad input is a clear answer, never an unexpected error: PostgreSQL cannot even compare these.
    _, token = await signed_in(app, "ada@example.test", admin=True)
    for email in ("\ud800@example.test", "ada@example.test\x00", "", "a" * 300):
        # json.dumps escapes the lone surrogate as \ud800, as a client library would send it.
        body = json.dumps({"query": FIND, "variables": {"email": email}})
        async with app.client(token) as client:
            response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.json() == {"data": {"admin": {"user": None}}}, email
