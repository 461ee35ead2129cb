"""README's "A first GraphQL session", run as a reader would: its documents, its variables with the
reader's values put in, in its order, through a cookie jar as GraphiQL and curl keep the session."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from helpers import PASSWORD, Harness, add_app, create_user
from mail_support import free_port
from test_manage import stale
from test_subscriptions import listening, signed_socket

from twofactor.models import Authenticator, User
from twofactor.resolvers.notices import user_channel
from twofactor.security import totp

ROOT = Path(__file__).resolve().parent.parent
ADA = "ada@example.com"
BOB = "bob@example.com"
WAIT = 10.0
TWOFACTOR = str(Path(sys.executable).parent / "twofactor")


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## A first GraphQL session")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def blocks() -> dict[str, tuple[str, str]]:
    """Each block marked `<!-- walkthrough: NAME -->`: NAME -> (language, text)."""
    found: dict[str, tuple[str, str]] = {}
    for name, language, text in re.findall(r"<!-- walkthrough: (\S+) -->\n```(\w+)\n(.*?)```", section(), re.S):
        assert name not in found, f"two README blocks are marked {name}"
        found[name] = (language, text)
    return found


BLOCKS = blocks()


def document(name: str) -> str:
    language, text = BLOCKS[name]
    assert language == "graphql", name
    return text


def operation_name(name: str) -> str:
    match = re.match(r"\s*(?:query|mutation|subscription) (\w+)", document(name))
    assert match, f"the README's {name} document has no operation name"
    return match.group(1)


class Reader:
    """What a reader has noted from earlier answers, put where the README says `"<...>"`."""

    def __init__(self) -> None:
        self.noted: dict[str, str] = {}

    def variables(self, name: str) -> dict[str, Any]:
        language, text = BLOCKS[name]
        assert language == "json", name
        return dict(self.fill(json.loads(text)))

    def fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            assert value in self.noted, f"the test does not know what a reader puts for {value}"
            return self.noted[value]
        return value


async def post(client: httpx.AsyncClient, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the README's document `name`; its data, which must carry no GraphQL error."""
    response = await client.post("/graphql", json={"query": document(name), "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, (name, body)
    data: dict[str, Any] = body["data"]
    return data


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["error"] is None, payload
    return payload


async def mailed_code(app: Harness, subject: str, count: int) -> str:
    """The code of the `count`-th message to Ada with this subject."""
    async with asyncio.timeout(WAIT):
        while True:
            found = [m for m in app.smtp.received if ADA in m.rcpt_tos and m.message["Subject"] == subject]
            if len(found) >= count:
                break
            await asyncio.sleep(0.02)
    match = re.search(r"\b(\d{6})\b", found[count - 1].part("text/plain"))
    assert match, "no code in the message"
    return match.group(1)


def test_every_walkthrough_block_is_there() -> None:
    documents = {
        "login", "myTwoFactor", "setUpApp", "submitCode", "logout", "verifyLogin", "setUpEmail",
        "myTwoFactorVerification", "sendLoginCode", "verifyLoginWithRecoveryCode", "myTwoFactorChanged",
        "edit", "remove", "setTwoFactorPolicy", "resetUserTwoFactor", "auditEvents",
    }  # fmt: skip
    variables = {
        "login.vars", "submitCode.vars.app", "verifyLogin.vars.app", "setUpEmail.vars",
        "myTwoFactorVerification.vars", "submitCode.vars.email", "sendLoginCode.vars", "verifyLogin.vars.email",
        "verifyLoginWithRecoveryCode.vars", "edit.vars", "remove.vars", "remove.vars.code",
        "setTwoFactorPolicy.vars", "resetUserTwoFactor.vars",
    }  # fmt: skip
    assert set(BLOCKS) == documents | variables | {"curl", "totp"}
    assert {name for name, (language, _) in BLOCKS.items() if language == "graphql"} == documents


def test_setup_key_advice_matches_the_api() -> None:
    # The README says setupKey is grouped with spaces and pyotp wants it without.
    text = section()
    assert "grouped with spaces" in text and "pyotp" in text and "otpauthUri" in text


async def test_the_walkthrough_runs_as_written(app: Harness) -> None:
    ada = await create_user(ADA, admin=True)
    reader = Reader()
    async with app.client() as client:
        # Sign in: no 2FA yet.
        login = ok((await post(client, "login", reader.variables("login.vars")))["login"])
        assert login["session"]["nextStep"] == "DONE" and login["session"]["user"]["isAdmin"] is True
        assert login["authenticators"] is None
        page = (await post(client, "myTwoFactor"))["myTwoFactor"]
        assert (page["enabled"], page["authenticators"]) == (False, [])

        # An authenticator app, its code taken from otpauthUri as the README's python -c line does.
        setup = ok((await post(client, "setUpApp"))["myTwoFactor"]["setUpApp"])["setup"]
        assert " " in setup["app"]["setupKey"]  # grouped for typing, as the README says
        uri = setup["app"]["otpauthUri"]
        secret = pyotp.parse_uri(uri).secret
        assert secret == setup["app"]["setupKey"].replace(" ", "")
        step = totp.current_step()
        reader.noted |= {"<setup id>": setup["id"], "<code from the app>": totp.code_at(secret, step)}
        submitted = ok(
            (await post(client, "submitCode", reader.variables("submitCode.vars.app")))["myTwoFactor"]["submitCode"]
        )
        assert submitted["authenticator"]["name"] == "My phone"
        assert len(submitted["recoveryCodes"]) == 10
        recovery_codes = submitted["recoveryCodes"]
        assert (await post(client, "logout"))["logout"]["ok"] is True

        # Signed in again with the app's next code.
        login = ok((await post(client, "login", reader.variables("login.vars")))["login"])
        assert login["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
        [listed] = login["authenticators"]
        assert listed["method"] == "APP"
        reader.noted |= {
            "<app authenticator id>": listed["id"],
            "<the next code from the app>": totp.code_at(secret, step + 1),
        }
        verified = ok((await post(client, "verifyLogin", reader.variables("verifyLogin.vars.app")))["verifyLogin"])
        assert verified["session"]["nextStep"] == "DONE"
        assert verified["token"] != login["token"]  # passing the challenge changes the token
        token = verified["token"]

        # Email codes, watched live.
        email_setup = ok(
            (await post(client, "setUpEmail", reader.variables("setUpEmail.vars")))["myTwoFactor"]["setUpEmail"]
        )["setup"]
        assert email_setup["email"] == ADA
        assert email_setup["status"] in {"PENDING", "CODE_SENT"}  # CODE_SENT once the mail is out
        reader.noted["<email setup id>"] = email_setup["id"]
        async with signed_socket(app, token) as socket:
            await socket.subscribe(
                "v", document("myTwoFactorVerification"), reader.variables("myTwoFactorVerification.vars")
            )
            first = (await socket.data("v"))["myTwoFactorVerification"]
            assert first["status"] in {"PENDING", "CODE_SENT"}
            reader.noted["<code from the mail>"] = await mailed_code(app, "Confirm your new email authenticator", 1)
            added = ok(
                (await post(client, "submitCode", reader.variables("submitCode.vars.email")))["myTwoFactor"][
                    "submitCode"
                ]
            )
            assert (added["authenticator"]["name"], added["authenticator"]["method"]) == ("Work mail", "EMAIL")
            assert added["recoveryCodes"] is None  # shown once only, with the first authenticator
            status = await socket.data_until(
                "v", "myTwoFactorVerification", lambda s: s["status"] not in {"PENDING", "CODE_SENT"}
            )
            assert status["status"] == "VERIFIED"

        # Signed in with an emailed code.
        assert (await post(client, "logout"))["logout"]["ok"] is True
        login = ok((await post(client, "login", reader.variables("login.vars")))["login"])
        assert login["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
        methods = {a["method"]: a["id"] for a in login["authenticators"]}
        assert methods["APP"] == reader.noted["<app authenticator id>"]
        reader.noted["<email authenticator id>"] = methods["EMAIL"]
        sent = ok((await post(client, "sendLoginCode", reader.variables("sendLoginCode.vars")))["sendLoginCode"])
        assert sent["expiresAt"] is not None
        reader.noted["<code from the mail>"] = await mailed_code(app, "Your sign-in code", 1)
        verified = ok((await post(client, "verifyLogin", reader.variables("verifyLogin.vars.email")))["verifyLogin"])
        assert verified["session"]["nextStep"] == "DONE"

        # Signed in with a recovery code.
        assert (await post(client, "logout"))["logout"]["ok"] is True
        login = ok((await post(client, "login", reader.variables("login.vars")))["login"])
        assert login["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
        reader.noted["<a recovery code>"] = recovery_codes[0]
        verified = ok(
            (await post(client, "verifyLoginWithRecoveryCode", reader.variables("verifyLoginWithRecoveryCode.vars")))[
                "verifyLoginWithRecoveryCode"
            ]
        )
        assert verified["session"]["nextStep"] == "DONE"
        token = verified["token"]

        # Renamed, seen live by the other tab; removed with a code once the session is stale.
        async with signed_socket(app, token) as socket:
            await socket.subscribe("c", document("myTwoFactorChanged"))
            await listening(app, user_channel(ada.id))
            renamed = ok((await post(client, "edit", reader.variables("edit.vars")))["myTwoFactor"]["edit"])
            assert renamed["authenticator"]["name"] == "Old phone"
            await socket.data_until(
                "c", "myTwoFactorChanged", lambda s: "Old phone" in [a["name"] for a in s["authenticators"]]
            )
        await stale(app, token)
        refused = (await post(client, "remove", reader.variables("remove.vars")))["myTwoFactor"]["remove"]
        assert refused["error"]["code"] == "FRESH_CODE_REQUIRED"
        reader.noted["<a current code or a recovery code>"] = recovery_codes[1]
        removed = ok((await post(client, "remove", reader.variables("remove.vars.code")))["myTwoFactor"]["remove"])
        assert removed["removedId"] == reader.noted["<email authenticator id>"]
        assert [a.method for a in await Authenticator.filter(user_id=ada.id)] == ["APP"]

        # The administrator: the policy, Bob's reset, the audit log.
        policy = ok(
            (await post(client, "setTwoFactorPolicy", reader.variables("setTwoFactorPolicy.vars")))["admin"][
                "setTwoFactorPolicy"
            ]
        )["policy"]
        assert policy["mandatory"] is True
        bob = await create_user(BOB, name="Bob")
        await add_app(app, await bob_token(app), "Bob's phone")
        reader.noted["<id of Bob>"] = str(bob.id)
        reset = ok(
            (await post(client, "resetUserTwoFactor", reader.variables("resetUserTwoFactor.vars")))["admin"][
                "resetUserTwoFactor"
            ]
        )
        assert reset["user"]["email"] == BOB
        assert not await Authenticator.filter(user_id=bob.id).exists()
        events = (await post(client, "auditEvents"))["admin"]["auditEvents"]["events"]
        assert len(events) > 10

    assert await User.filter(email=ADA).exists()
    assert set(reader.noted) == placeholders(), "a placeholder of the README was never filled in"


async def bob_token(app: Harness) -> str:
    """A session of Bob's, signed in after the policy made 2FA mandatory."""
    from helpers import login as sign_in

    payload = await sign_in(app, BOB)
    # 2FA is mandatory now: without any, Bob may only set one up, as the README says.
    assert payload["session"]["nextStep"] == "TWO_FACTOR_SETUP", payload
    return str(payload["token"])


def placeholders() -> set[str]:
    found: set[str] = set()
    for language, text in BLOCKS.values():
        if language == "json":
            found |= set(re.findall(r'"(<[^">]+>)"', text))
    return found


def curl_calls() -> list[tuple[str, dict[str, Any] | None]]:
    """The `gql FILE [VARIABLES]` lines of the curl block: (operation name, variables)."""
    language, text = BLOCKS["curl"]
    assert language == "sh"
    calls = []
    for line in text.splitlines():
        if line.startswith("gql "):
            words = shlex.split(line)
            assert words[1].endswith(".graphql"), line
            calls.append((words[1].removesuffix(".graphql"), json.loads(words[2]) if len(words) > 2 else None))
    return calls


def test_the_curl_lines_are_the_walkthrough_in_order() -> None:
    # The same steps, documents and variables the GraphiQL walk-through (and the test above) runs.
    def step(name: str, variables: str | None = None) -> tuple[str, dict[str, Any] | None]:
        return operation_name(name), json.loads(BLOCKS[variables][1]) if variables else None

    login = step("login", "login.vars")
    expected = [
        login, step("myTwoFactor"), step("setUpApp"), step("submitCode", "submitCode.vars.app"), step("logout"),
        login, step("verifyLogin", "verifyLogin.vars.app"),
        step("setUpEmail", "setUpEmail.vars"), step("submitCode", "submitCode.vars.email"), step("logout"),
        login, step("sendLoginCode", "sendLoginCode.vars"), step("verifyLogin", "verifyLogin.vars.email"),
        step("logout"), login, step("verifyLoginWithRecoveryCode", "verifyLoginWithRecoveryCode.vars"),
        step("edit", "edit.vars"), step("remove", "remove.vars"),
        step("setTwoFactorPolicy", "setTwoFactorPolicy.vars"), step("resetUserTwoFactor", "resetUserTwoFactor.vars"),
        step("auditEvents"),
    ]  # fmt: skip
    assert curl_calls() == expected


# The curl form against a real `twofactor serve`


def served(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path, dict[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_DATABASE_URL=f"sqlite://{tmp_path / 'walkthrough.db'}",
        TWOFACTOR_SECRET_KEY=secrets.token_urlsafe(48),
        TWOFACTOR_DATA_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [TWOFACTOR, "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=handle, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process, port, log, env
        except httpx.TransportError:
            time.sleep(0.1)


def console_code(log: Path, subject: str, count: int) -> str:
    """The code of the `count`-th message with this subject the console mail backend printed."""
    deadline = time.monotonic() + WAIT
    while True:
        messages = [m for m in log.read_text().split("-" * 72) if f"Subject: {subject}" in m]
        if len(messages) >= count:
            match = re.search(r"\b(\d{6})\b", messages[count - 1].split("[text/plain]", 1)[1])
            assert match, messages[count - 1]
            return match.group(1)
        assert time.monotonic() < deadline, f"no message {subject!r} on the console"
        time.sleep(0.05)


def payload_error(data: Any) -> Any:
    """The `error` of the payload somewhere in `data` (None when there is none)."""
    if isinstance(data, dict):
        if "error" in data:
            return data["error"]
        for value in data.values():
            found = payload_error(value)
            if found is not None:
                return found
    return None


def fill_in(line: str, noted: dict[str, str]) -> str:
    """The README's line with each `<...>` replaced by what the reader noted for it."""
    return re.sub(r"<[^>]+>", lambda match: noted[match.group(0)], line)


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl")), reason="needs jq and curl, as the README says")
def test_the_curl_form_runs_against_a_served_process(tmp_path: Path) -> None:
    for name, (language, text) in BLOCKS.items():
        if language == "graphql":
            (tmp_path / f"{operation_name(name)}.graphql").write_text(text)
    script = BLOCKS["curl"][1]
    function = script[: script.index("\ngql ")]
    process, port, log, env = served(tmp_path)
    try:

        def cli(*args: str, stdin: str) -> str:
            result = subprocess.run(
                [TWOFACTOR, *args], input=stdin, env=env, cwd=tmp_path, capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr
            return result.stdout

        cli("user", "create", "--email", ADA, "--name", "Ada", "--admin", "--password-stdin", stdin=PASSWORD)
        bob = cli("user", "create", "--email", BOB, "--name", "Bob", "--password-stdin", stdin=PASSWORD)
        bob_id = re.search(r"\(id (\d+)\)", bob)
        assert bob_id, bob
        noted = {"<id of Bob>": bob_id.group(1)}
        recovery: list[str] = []
        step = 0
        for line in (line for line in script.splitlines() if line.startswith("gql ")):
            operation = shlex.split(line)[1].removesuffix(".graphql")
            filled = fill_in(line, noted)
            command = function.replace("127.0.0.1:8000", f"127.0.0.1:{port}") + "\n" + filled
            result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=30)
            assert result.returncode == 0, (line, result.stderr)
            body = json.loads(result.stdout)
            assert "errors" not in body, (line, body)
            assert payload_error(body["data"]) is None, (line, body)
            data = body["data"]
            if operation == "SetUpApp":
                setup = data["myTwoFactor"]["setUpApp"]["setup"]
                totp_line = BLOCKS["totp"][1].strip().replace(".venv/bin/python", shlex.quote(sys.executable))
                shown = subprocess.run(
                    ["bash", "-c", totp_line.replace("<otpauthUri>", setup["app"]["otpauthUri"])],
                    capture_output=True, text=True, check=True,
                ).stdout.strip()  # fmt: skip
                secret = pyotp.parse_uri(setup["app"]["otpauthUri"]).secret
                now_step = totp.current_step()
                step = next(s for s in (now_step, now_step - 1) if totp.code_at(secret, s) == shown)
                noted |= {"<setup id>": setup["id"], "<code from the app>": shown}
            elif operation == "SubmitCode" and not recovery:
                recovery = data["myTwoFactor"]["submitCode"]["recoveryCodes"]
                noted["<a recovery code>"] = recovery[0]
            elif operation == "Login" and data["login"]["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE":
                ids = {a["method"]: a["id"] for a in data["login"]["authenticators"]}
                noted |= {
                    "<app authenticator id>": ids["APP"],
                    "<the next code from the app>": totp.code_at(secret, step + 1),
                }
                if "EMAIL" in ids:
                    noted["<email authenticator id>"] = ids["EMAIL"]
            elif operation == "SetUpEmail":
                noted["<email setup id>"] = data["myTwoFactor"]["setUpEmail"]["setup"]["id"]
                noted["<code from the mail>"] = console_code(log, "Confirm your new email authenticator", 1)
            elif operation == "SendLoginCode":
                noted["<code from the mail>"] = console_code(log, "Your sign-in code", 1)
            elif operation == "ResetUserTwoFactor":
                assert data["admin"]["resetUserTwoFactor"]["user"]["email"] == BOB
            elif operation == "AuditEvents":
                actions = {e["action"] for e in data["admin"]["auditEvents"]["events"]}
                assert len(actions) > 5, actions
        assert operation == "AuditEvents"
    finally:
        process.terminate()
        process.wait(timeout=30)
