"""What a sign-in shows before its second factor: only what choosing a factor needs.

The password alone must not tell whether the account is an administrator's, what the user
named their authenticators, or when they were added and last used.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import PASSWORD, Harness, add_app, create_user, signed_in

from twofactor.models import Authenticator, Method, Policy
from twofactor.security import totp

FULL_LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token session { nextStep user { id email name isAdmin } }
    authenticators { id name method email createdAt lastUsedAt }
    error { code }
  }
}"""
SESSION = "{ session { nextStep user { isAdmin } } }"
SESSION_CHOICES = "{ session { authenticators { id name method email createdAt lastUsedAt } } }"
VERIFY = """
mutation($id: ID!, $code: String!) { verifyLogin(authenticatorId: $id, code: $code) {
  token session { nextStep user { isAdmin } } error { code }
} }"""
UNDISCLOSED = "1970-01-01T00:00:00+00:00"


async def full_login(app: Harness, email: str) -> dict[str, Any]:
    body = await app.gql(FULL_LOGIN, {"email": email, "password": PASSWORD})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["login"]
    assert payload["error"] is None, payload
    return payload


async def admin_with_factors(app: Harness, email: str) -> tuple[str, int]:
    """An administrator with an app named 'Ada's red Pixel' (used once) and an email authenticator
    named 'Work inbox'; the app's secret and the step its code used."""
    user, token = await signed_in(app, email, admin=True)
    _, secret, step = await add_app(app, token, name="Ada's red Pixel")
    await Authenticator.create(
        user_id=user.id, method=Method.EMAIL, name="Work inbox", name_key="work inbox", email=email
    )
    return secret, step


async def test_the_challenge_answer_hides_admin_status_names_and_dates(app: Harness, ada: str) -> None:
    secret, step = await admin_with_factors(app, ada)
    # Used once, so a lastUsedAt exists to hide.
    first = await full_login(app, ada)
    app_id = next(a["id"] for a in first["authenticators"] if a["method"] == "APP")
    passed = await app.gql(VERIFY, {"id": app_id, "code": totp.code_at(secret, step + 1)}, token=first["token"])
    assert passed["data"]["verifyLogin"]["session"]["nextStep"] == "DONE", passed
    assert await Authenticator.filter(last_used_at__isnull=False).exists()

    body = await app.gql(FULL_LOGIN, {"email": ada, "password": PASSWORD})
    payload = body["data"]["login"]
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert payload["session"]["user"]["isAdmin"] is False
    local, domain = ada.split("@")
    masked = f"{local[0]}•••@{domain}"
    by_method = {a["method"]: a for a in payload["authenticators"]}
    assert len(payload["authenticators"]) == 2
    assert by_method["APP"] == {
        "id": app_id,
        "name": "Authenticator app",
        "method": "APP",
        "email": None,
        "createdAt": UNDISCLOSED,
        "lastUsedAt": None,
    }
    assert {k: v for k, v in by_method["EMAIL"].items() if k != "id"} == {
        "name": f"Email to {masked}",
        "method": "EMAIL",
        "email": masked,
        "createdAt": UNDISCLOSED,
        "lastUsedAt": None,
    }
    text = json.dumps(body)
    assert "Pixel" not in text and "Work inbox" not in text
    assert f"{local}@" not in text.replace(payload["session"]["user"]["email"], "")
    # The session query at the challenge lists the same choices, no more.
    again = (await app.gql(SESSION_CHOICES, token=payload["token"]))["data"]["session"]["authenticators"]
    assert sorted(again, key=lambda a: a["method"]) == sorted(payload["authenticators"], key=lambda a: a["method"])


async def test_the_session_query_at_the_challenge_tells_no_more_and_done_tells_all(app: Harness, ada: str) -> None:
    secret, step = await admin_with_factors(app, ada)
    payload = await full_login(app, ada)
    token = payload["token"]
    seen = (await app.gql(SESSION, token=token))["data"]["session"]
    assert seen == {"nextStep": "TWO_FACTOR_CHALLENGE", "user": {"isAdmin": False}}
    app_id = next(a["id"] for a in payload["authenticators"] if a["method"] == "APP")
    passed = (await app.gql(VERIFY, {"id": app_id, "code": totp.code_at(secret, step + 1)}, token=token))["data"]
    assert passed["verifyLogin"]["session"] == {"nextStep": "DONE", "user": {"isAdmin": True}}
    rotated = passed["verifyLogin"]["token"]
    assert (await app.gql(SESSION, token=rotated))["data"]["session"]["user"]["isAdmin"] is True


async def test_a_set_up_only_sign_in_does_not_tell_admin_status(app: Harness, ada: str) -> None:
    await create_user(ada, admin=True)
    policy = await Policy.current(fresh=True)
    policy.mandatory = True
    await policy.save()
    payload = await full_login(app, ada)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_SETUP"
    assert payload["session"]["user"]["isAdmin"] is False
    assert (await app.gql(SESSION, token=payload["token"]))["data"]["session"]["user"]["isAdmin"] is False


async def test_several_authenticators_of_one_method_get_numbered_labels(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token, name="Phone")
    await Authenticator.create(user_id=user.id, method=Method.APP, name="Tablet", name_key="tablet")
    payload = await full_login(app, ada)
    names = [a["name"] for a in payload["authenticators"]]
    assert names == ["Authenticator app (1)", "Authenticator app (2)"]
    assert len({a["id"] for a in payload["authenticators"]}) == 2
