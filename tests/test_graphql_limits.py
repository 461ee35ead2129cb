"""What a request may be: one code check per operation, no batches, size, depth, aliases, tokens; masked errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import SET_UP_APP, VERIFY_LOGIN, Harness, add_app, login, signed_in

from twofactor.models import AuditEvent, Authenticator, Session, Setup, User
from twofactor.resolvers import admin as admin_resolvers
from twofactor.schema.limits import CODE_FIELDS
from twofactor.schema.root import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema
from twofactor.security import totp
from twofactor.security.tokens import token_hash
from twofactor.server.app import MAX_BODY_BYTES

VERIFY = 'verifyLogin(authenticatorId: $id, code: "123456") { error { code } }'
TWO_CODE_CHECKS = {
    "aliases": f"mutation($id: ID!) {{ a: {VERIFY} b: {VERIFY} }}",
    "fragment spreads": (
        f"mutation($id: ID!) {{ ...A ...B }} fragment A on Mutation {{ a: {VERIFY} }} "
        f"fragment B on Mutation {{ b: {VERIFY} }}"
    ),
    "one fragment spread twice": f"mutation($id: ID!) {{ ...A ...A }} fragment A on Mutation {{ {VERIFY} }}",
    "inline fragments": f"mutation($id: ID!) {{ ... on Mutation {{ a: {VERIFY} }} ... on Mutation {{ b: {VERIFY} }} }}",
    "two different checks": (
        f'mutation($id: ID!) {{ {VERIFY} verifyLoginWithRecoveryCode(code: "ABCDE-FGHJK") {{ error {{ code }} }} }}'
    ),
}
SUBMIT_TWICE = """
mutation($id: ID!) { a: myTwoFactor { ...F } b: myTwoFactor { ...F } }
fragment F on MyTwoFactorMutations { submitCode(setupId: $id, code: "123456", name: "Twin") { error { code } } }"""
# One call of each code-checking or code-sending field, under the type that holds it.
CODE_FIELD_CALLS = {
    "login": ("", 'login(email: "ada@example.test", password: "not the password") { token }'),
    "sendLoginCode": ("", 'sendLoginCode(authenticatorId: "1") { expiresAt }'),
    "verifyLogin": ("", 'verifyLogin(authenticatorId: "1", code: "123456") { token }'),
    "verifyLoginWithRecoveryCode": ("", 'verifyLoginWithRecoveryCode(code: "ABCDE-FGHJK") { token }'),
    "verifyLoginWithSecurityKey": ("", 'verifyLoginWithSecurityKey(credential: {id: "x"}) { token }'),
    "setUpEmail": ("myTwoFactor", 'setUpEmail(name: "Mail", code: "123456") { setup { id } }'),
    "setUpApp": ("myTwoFactor", 'setUpApp(code: "123456") { setup { id } }'),
    "setUpSecurityKey": ("myTwoFactor", 'setUpSecurityKey(name: "Key", code: "123456") { setup { id } }'),
    "resendCode": ("myTwoFactor", 'resendCode(setupId: "x") { setup { id } }'),
    "submitCode": ("myTwoFactor", 'submitCode(setupId: "x", code: "123456") { message }'),
    "submitSecurityKey": ("myTwoFactor", 'submitSecurityKey(setupId: "x", credential: {id: "x"}) { message }'),
    "remove": ("myTwoFactor", 'remove(id: "1", code: "123456") { removedId }'),
    "regenerateRecoveryCodes": ("myTwoFactor", 'regenerateRecoveryCodes(code: "123456") { recoveryCodes }'),
    "resetUserTwoFactor": ("admin", 'resetUserTwoFactor(userId: "1", code: "123456") { user { id } }'),
}
POLICY = "{ twoFactorPolicy { mandatory } }"
ONE_CHECK_MESSAGE = "Only one code-checking or code-sending field may be run per request."


async def challenge_session(app: Harness) -> tuple[str, str, str]:
    """A user with an authenticator app at a sign-in challenge: (token, authenticator id, secret)."""
    _, token = await signed_in(app)
    result, secret, _ = await add_app(app, token)
    payload = await login(app)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    return payload["token"], result["authenticator"]["id"], secret


async def tries_used(token: str) -> tuple[int, int]:
    """The challenge's failed attempts and the user's failures in a row."""
    session = await Session.get(token_hash=token_hash(token))
    user = await User.get(id=session.user_id)
    return session.failed_attempts, user.failed_verifications


async def post(app: Harness, token: str | None = None, **request: Any) -> Any:
    async with app.client(token) as client:
        return await client.post("/graphql", **request)


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


# One code check per operation


@pytest.mark.parametrize("document", TWO_CODE_CHECKS.values(), ids=TWO_CODE_CHECKS.keys())
async def test_two_code_checks_in_one_document_are_rejected_before_running(app: Harness, document: str) -> None:
    token, authenticator_id, _ = await challenge_session(app)
    body = await app.gql(document, {"id": authenticator_id}, token=token)
    assert body.get("data") is None
    assert ONE_CHECK_MESSAGE in messages(body)
    assert await tries_used(token) == (0, 0)


async def test_one_code_check_per_document_runs(app: Harness) -> None:
    token, authenticator_id, secret = await challenge_session(app)
    step = totp.current_step()
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 4)}
    wrong = next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": wrong}, token=token)
    assert body["data"]["verifyLogin"]["error"]["code"] == "INVALID_CODE"
    assert await tries_used(token) == (1, 1)


async def test_submit_code_twice_through_one_fragment_is_rejected(app: Harness) -> None:
    _, token = await signed_in(app)
    setup = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    body = await app.gql(SUBMIT_TWICE, {"id": setup["id"]}, token=token)
    assert body.get("data") is None
    assert ONE_CHECK_MESSAGE in messages(body)
    assert (await Setup.get(id=setup["id"])).failed_attempts == 0
    assert await Authenticator.all().count() == 0


def test_every_code_field_is_tried_twice_below() -> None:
    assert set(CODE_FIELD_CALLS) == CODE_FIELDS


@pytest.mark.parametrize("field", CODE_FIELD_CALLS)
async def test_each_code_field_aliased_twice_is_rejected_before_running(app: Harness, field: str) -> None:
    # Aliases of any of these would try several guesses (or send several mails) in one request.
    _, token = await signed_in(app, admin=True)
    group, call = CODE_FIELD_CALLS[field]
    twice = f"a: {call} b: {call}"
    audited = await AuditEvent.all().count()
    body = await app.gql(f"mutation {{ {group} {{ {twice} }} }}" if group else f"mutation {{ {twice} }}", token=token)
    assert body.get("data") is None, body
    assert ONE_CHECK_MESSAGE in messages(body)
    assert await AuditEvent.all().count() == audited


async def test_a_batch_is_refused_and_runs_nothing(app: Harness) -> None:
    token, authenticator_id, _ = await challenge_session(app)
    one = {"query": VERIFY_LOGIN, "variables": {"id": authenticator_id, "code": "123456"}}
    response = await post(app, token, json=[one, one, one])
    assert response.status_code == 400
    assert await tries_used(token) == (0, 0)


# Size, depth, aliases, tokens


async def test_a_deep_query_is_refused(app: Harness) -> None:
    deep = "{ session " + "{ user " * (MAX_DEPTH + 5) + "{ id }" + " }" * (MAX_DEPTH + 5) + " }"
    body = await app.gql(deep)
    assert body.get("data") is None
    assert f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}" in messages(body)
    introspection = '{ __type(name: "Query") ' + "{ fields { type " * 25 + "{ name }" + " } }" * 25 + " }"
    body = await app.gql(introspection)
    assert body.get("data") is None and messages(body)


async def test_too_many_aliases_are_refused(app: Harness) -> None:
    body = await app.gql("{ " + " ".join(f"a{i}: twoFactorPolicy {{ mandatory }}" for i in range(20)) + " }")
    assert body.get("data") is None
    assert f"20 aliases found. Allowed: {MAX_ALIASES}" in messages(body)
    within = await app.gql("{ " + " ".join(f"a{i}: twoFactorPolicy {{ mandatory }}" for i in range(3)) + " }")
    assert within["data"]["a2"] == {"mandatory": False}


async def test_too_many_tokens_are_refused(app: Harness) -> None:
    response = await post(app, json={"query": "{ twoFactorPolicy { " + "mandatory " * MAX_TOKENS + "} }"})
    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    assert any(f"more than {MAX_TOKENS} tokens" in m for m in messages(body))


async def test_malformed_json_is_a_400(app: Harness) -> None:
    for content in (b"{not json", b'{"query": ', b"\xff\xfe", b""):
        response = await post(app, content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, content
    response = await post(app, json={"query": POLICY, "variables": "not an object"})
    assert 400 <= response.status_code < 500


async def test_json_that_is_not_a_request_is_a_400(app: Harness) -> None:
    deep = b'{"query":"{__typename}","variables":{"a":' + b"[" * 1000 + b"]" * 1000 + b"}}"
    for content in (b'"x"', b"null", b"42", b"true", b'{"query":"{__typename \xff}"}', deep):
        response = await post(app, content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, content


async def test_a_subscription_over_http_is_a_400_that_points_to_the_websocket(app: Harness) -> None:
    query = "subscription { myTwoFactorChanged { enabled } }"
    for response in (
        await post(app, json={"query": query}),
        await app.client().get("/graphql", params={"query": query}),
    ):
        assert response.status_code == 400
        assert "WebSocket" in response.text


async def test_a_body_over_one_megabyte_is_a_413(app: Harness) -> None:
    big = json.dumps({"query": POLICY, "variables": {"pad": "x" * MAX_BODY_BYTES}})
    response = await post(app, content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413

    async def chunks() -> Any:  # no Content-Length: the limit counts what arrives
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = await post(app, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


async def test_mutations_over_get_are_refused(app: Harness) -> None:
    _, token = await signed_in(app)
    async with app.client(token) as client:
        response = await client.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert response.status_code in {400, 405}
    assert await Session.filter(token_hash=token_hash(token)).exists()


# Introspection, suggestions, masking


async def test_without_introspection_no_schema_and_no_suggestions() -> None:
    closed = build_schema(introspection=False)
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Query") { name } }'):
        result = await closed.execute(query)
        assert result.data is None and result.errors, query
        assert "introspection has been disabled" in result.errors[0].message
    result = await closed.execute("{ sesion { nextStep } }")
    assert result.errors and "Cannot query field 'sesion'" in result.errors[0].message
    assert "Did you mean" not in result.errors[0].message
    # With introspection on (development), the hint is there.
    result = await build_schema(introspection=True).execute("{ sesion { nextStep } }")
    assert result.errors and "Did you mean 'session'?" in result.errors[0].message


async def test_an_unexpected_exception_is_masked(app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken() -> None:
        raise RuntimeError("SELECT secret_encrypted FROM authenticators -- JBSWY3DPEHPK3PXP")

    monkeypatch.setattr(admin_resolvers, "read_policy", broken)
    response = await post(app, json={"query": POLICY})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Unexpected error.")
    for leak in ("SELECT", "JBSWY3DPEHPK3PXP", "RuntimeError", "Traceback", ".py"):
        assert leak not in response.text


# HTTP


async def test_health_check(app: Harness) -> None:
    async with app.client() as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_answers_are_not_cached(app: Harness) -> None:
    _, token = await signed_in(app)
    async with app.client(token) as client:
        posted = await client.post("/graphql", json={"query": SET_UP_APP})
        got = await client.get("/graphql", params={"query": POLICY})
    assert posted.json()["data"]["myTwoFactor"]["setUpApp"]["setup"]["app"]["setupKey"]
    assert posted.headers["cache-control"] == "no-store"
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
