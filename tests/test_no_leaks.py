"""No code, secret or token in any log line, audit row or error (DESIGN: secrets at rest)."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from helpers import LOGIN, PASSWORD, SET_UP_EMAIL, SUBMIT, VERIFY_LOGIN, Harness, add_app, signed_in

from twofactor.models import AuditEvent
from twofactor.security import totp


async def code_in_mail(app: Harness, address: str, subject: str) -> str:
    """The code of the message with `subject` (notices may arrive in any order around it)."""
    async with asyncio.timeout(10):
        while True:
            for message in app.smtp.received:
                if address in message.rcpt_tos and message.message["Subject"] == subject:
                    match = re.search(r"\b(\d{6})\b", message.part("text/plain"))
                    assert match
                    return match.group(1)
            await asyncio.sleep(0.02)


async def test_full_flows_leave_no_secret_in_logs_or_audit(app: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    user, token = await signed_in(app)
    result, secret, step = await add_app(app, token)
    email_setup = (await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    email_code = await code_in_mail(app, user.email, "Confirm your new email authenticator")
    submitted = await app.gql(SUBMIT, {"id": email_setup["setup"]["id"], "code": email_code}, token=token)
    assert submitted["data"]["myTwoFactor"]["submitCode"]["error"] is None
    login = (await app.gql(LOGIN, {"email": user.email, "password": "correct horse battery staple"}))["data"]["login"]
    challenge = login["token"]
    wrong = await app.gql(VERIFY_LOGIN, {"id": result["authenticator"]["id"], "code": "000000"}, token=challenge)
    assert wrong["data"]["verifyLogin"]["error"]["code"] == "INVALID_CODE"
    right_code = totp.code_at(secret, step + 1)
    ok = await app.gql(VERIFY_LOGIN, {"id": result["authenticator"]["id"], "code": right_code}, token=challenge)
    assert ok["data"]["verifyLogin"]["session"]["nextStep"] == "DONE"

    secrets_seen = [secret, email_code, right_code, token, challenge, *result["recoveryCodes"]]
    # "mail.log" is the test's SMTP server (aiosmtpd): the mailbox, where a code belongs.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert logged, "the flows should have logged something at DEBUG"
    for value in secrets_seen:
        assert value not in logged
    assert "otpauth://" not in logged
    audit_text = " ".join(str(row.details) for row in await AuditEvent.all())
    for value in secrets_seen:
        assert value not in audit_text


LOGIN_FROM_DEVICE = """
mutation($email: String!, $password: String!, $device: String) {
  login(email: $email, password: $password, deviceToken: $device) { token deviceToken error { code } } }"""
SEND_LOGIN_CODE = "mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { error { code } } }"
VERIFY_RECOVERY = "mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) { token error { code } } }"


async def test_sign_ins_by_email_and_recovery_code_leave_no_secret_in_logs_or_audit(
    app: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user, token = await signed_in(app)
    result, _, _ = await add_app(app, token)
    email_setup = (await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    setup_code = await code_in_mail(app, user.email, "Confirm your new email authenticator")
    submitted = (await app.gql(SUBMIT, {"id": email_setup["setup"]["id"], "code": setup_code}, token=token))["data"]
    email_id = submitted["myTwoFactor"]["submitCode"]["authenticator"]["id"]

    variables = {"email": user.email, "password": PASSWORD, "device": None}
    first = (await app.gql(LOGIN_FROM_DEVICE, variables))["data"]["login"]
    sent = await app.gql(SEND_LOGIN_CODE, {"id": email_id}, token=first["token"])
    assert sent["data"]["sendLoginCode"]["error"] is None, sent
    sign_in_code = await code_in_mail(app, user.email, "Your sign-in code")
    by_mail = await app.gql(VERIFY_LOGIN, {"id": email_id, "code": sign_in_code}, token=first["token"])
    assert by_mail["data"]["verifyLogin"]["error"] is None, by_mail
    second = (await app.gql(LOGIN_FROM_DEVICE, {**variables, "device": first["deviceToken"]}))["data"]["login"]
    recovery_code = result["recoveryCodes"][0]
    by_recovery = await app.gql(VERIFY_RECOVERY, {"code": recovery_code}, token=second["token"])
    assert by_recovery["data"]["verifyLoginWithRecoveryCode"]["error"] is None, by_recovery

    secrets_seen = [
        sign_in_code,
        recovery_code,
        first["token"],
        first["deviceToken"],
        by_mail["data"]["verifyLogin"]["token"],
        second["token"],
        by_recovery["data"]["verifyLoginWithRecoveryCode"]["token"],
    ]
    assert all(secrets_seen)
    # "mail.log" is the test's SMTP server (aiosmtpd): the mailbox, where a code belongs.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    audit_text = " ".join(str(row.details) for row in await AuditEvent.all())
    for value in secrets_seen:
        assert value not in logged
        assert value not in audit_text
