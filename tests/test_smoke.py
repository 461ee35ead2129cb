"""The first session a reader of the README would try."""

from helpers import MY_TWO_FACTOR, Harness, add_app, signed_in


async def test_login_then_my_two_factor(app: Harness) -> None:
    _, token = await signed_in(app)
    body = await app.gql(MY_TWO_FACTOR, token=token)
    assert body["data"]["myTwoFactor"]["enabled"] is False
    assert body["data"]["myTwoFactor"]["availableMethods"] == ["EMAIL", "APP"]


async def test_app_setup_creates_authenticator(app: Harness) -> None:
    _, token = await signed_in(app)
    result, _, _ = await add_app(app, token)
    assert result["authenticator"]["name"] == "Phone"
    assert len(result["recoveryCodes"]) == 10
    assert result["message"] == "Two-factor authentication is set up."
