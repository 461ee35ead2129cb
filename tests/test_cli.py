"""The `twofactor` command as an operator meets it: version, help, prompts, start-up output."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import httpx
from mail_support import free_port
from test_project_files import settings_read

from twofactor.mail.settings import MailSettings
from twofactor.security.passwords import verify_password
from twofactor.server.cli import startup_summary
from twofactor.server.settings import ENVIRONMENT_VARIABLES, Settings

ROOT = Path(__file__).resolve().parent.parent
TWOFACTOR = str(Path(sys.executable).parent / "twofactor")
KEY = "cli-tests-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery staple"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

# Runs a command on a pseudo-terminal and answers each prompt ending in ": " with the next line;
# started as its own process, so forking happens in a process without threads.
TERMINAL = r"""
import json, os, pty, signal, sys
argv, env, answers = json.loads(sys.argv[1])
signal.alarm(60)
pid, fd = pty.fork()
if pid == 0:
    os.execve(argv[0], argv, env)
output, since_answer = b"", b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: the command exited and closed the terminal
        break
    if not chunk:
        break
    output += chunk
    since_answer += chunk
    if answers and since_answer.endswith(b": "):
        os.write(fd, answers.pop(0).encode() + b"\n")
        since_answer = b""
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": output.decode(errors="replace"), "code": os.waitstatus_to_exitcode(status)}))
"""


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_DATABASE_URL=f"sqlite://{tmp_path / 'cli.db'}",
        TWOFACTOR_SECRET_KEY=KEY,
        TWOFACTOR_DATA_DIR=str(tmp_path),
    )
    return env


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TWOFACTOR, *args], input=stdin, env=environment(tmp_path), cwd=tmp_path, capture_output=True, text=True
    )


def at_terminal(tmp_path: Path, *args: str, answers: list[str]) -> tuple[int, str]:
    """Run the command with a terminal as its standard input; (exit code, what the terminal showed)."""
    spec = json.dumps([[TWOFACTOR, *args], environment(tmp_path), answers])
    result = subprocess.run([sys.executable, "-c", TERMINAL, spec], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    return int(outcome["code"]), str(outcome["output"])


def test_version() -> None:
    result = subprocess.run([TWOFACTOR, "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout == f"twofactor {VERSION}\n"


def test_help_lists_every_environment_variable_and_the_defaults() -> None:
    assert set(ENVIRONMENT_VARIABLES) == settings_read()
    for args in (["--help"], ["serve", "--help"]):
        result = subprocess.run([TWOFACTOR, *args], capture_output=True, text=True)
        assert result.returncode == 0
        for name in ENVIRONMENT_VARIABLES:
            assert name in result.stdout, (args, name)
    serve = subprocess.run([TWOFACTOR, "serve", "--help"], capture_output=True, text=True).stdout
    assert "(default: 127.0.0.1)" in serve and "(default: 8000)" in serve and "(default: 1)" in serve
    assert "--access-log" in serve
    assert "(default: False)" not in serve and "(default: None)" not in serve


def test_user_create_at_a_terminal_asks_twice_without_echo(tmp_path: Path) -> None:
    code, shown = at_terminal(
        tmp_path, "user", "create", "--email", "ada@example.test", "--name", "Ada", answers=[PASSWORD, PASSWORD]
    )
    assert code == 0, shown
    assert shown.count("Password") == 2
    assert PASSWORD not in shown
    assert "created user ada@example.test" in shown
    with sqlite3.connect(tmp_path / "cli.db") as db:
        (stored,) = db.execute("SELECT password_hash FROM users WHERE email = 'ada@example.test'").fetchone()
    assert asyncio.run(verify_password(stored, PASSWORD))


def test_user_create_at_a_terminal_refuses_passwords_that_differ(tmp_path: Path) -> None:
    code, shown = at_terminal(
        tmp_path, "user", "create", "--email", "ada@example.test", "--name", "Ada", answers=[PASSWORD, PASSWORD + "!"]
    )
    assert code == 2
    assert "twofactor: the passwords do not match" in shown
    assert PASSWORD not in shown
    assert not (tmp_path / "cli.db").exists()


def test_user_create_without_a_terminal_needs_password_stdin(tmp_path: Path) -> None:
    result = run(tmp_path, "user", "create", "--email", "ada@example.test", "--name", "Ada", stdin=PASSWORD + "\n")
    assert result.returncode == 2
    assert result.stderr == (
        "twofactor: standard input is not a terminal: pass --password-stdin to read the password from it\n"
    )
    assert not (tmp_path / "cli.db").exists()


def test_one_off_commands_print_only_their_result(tmp_path: Path) -> None:
    migrated = run(tmp_path, "migrate")
    assert (migrated.returncode, migrated.stdout, migrated.stderr) == (0, "migrations applied\n", "")
    created = run(
        tmp_path, "user", "create", "--email", "ada@example.test", "--name", "Ada", "--password-stdin", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    assert created.stderr == ""  # no "Tortoise-ORM shutdown"
    assert created.stdout.startswith("created user ada@example.test (id ")


def test_a_warning_speaks_like_the_other_messages(tmp_path: Path) -> None:
    env = environment(tmp_path)
    del env["TWOFACTOR_SECRET_KEY"]
    result = subprocess.run([TWOFACTOR, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("twofactor: TWOFACTOR_SECRET_KEY is not set: generated a development key")


def serve(tmp_path: Path, *args: str) -> str:
    """Start `twofactor serve`, make one request once it answers, stop it; everything it printed."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [TWOFACTOR, "serve", "--port", str(port), *args],
            env={**environment(tmp_path), "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz?probe=1").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log.read_text().replace(str(port), "PORT")


def test_serve_says_once_what_it_runs_on_and_logs_no_requests(tmp_path: Path) -> None:
    output = serve(tmp_path)
    summary = (
        f"twofactor {VERSION} on http://127.0.0.1:PORT (development, 1 worker): "
        f"database sqlite://{tmp_path / 'cli.db'}, mail: console, events: in-process; "
        "web client: http://127.0.0.1:PORT/; GraphiQL: http://127.0.0.1:PORT/graphql"
    )
    assert output.splitlines().count(summary) == 1, output
    assert "GET /healthz" not in output
    assert "Tortoise-ORM" not in output


def test_serve_access_log_shows_requests(tmp_path: Path) -> None:
    output = serve(tmp_path, "--access-log", "--workers", "2")
    assert (
        sum(
            f"twofactor {VERSION} on http://127.0.0.1:PORT (development, 2 workers)" in line
            for line in output.splitlines()
        )
        == 1
    ), output
    assert '"GET /healthz?probe=1 HTTP/1.1" 200' in output


def test_startup_summary_shows_no_password() -> None:
    settings = Settings(
        env="production",
        database_url="postgres://twofactor:db-secret@db:5432/twofactor",
        secret_keys=(KEY,),
        mail=MailSettings(
            backend="smtp", host="smtp.example.test", port=587, username="u", password="mail-secret", starttls=True
        ),
        mail_from="twofactor <no-reply@example.test>",
        redis_url="redis://:redis-secret@redis:6379/0",
        issuer="twofactor",
        cors_origins=(),
        graphiql=False,
        introspection=False,
        web_client=False,
    )
    line = startup_summary(settings, "0.0.0.0", 8000, 4)
    assert line == (
        f"twofactor {VERSION} on http://0.0.0.0:8000 (production, 4 workers): "
        "database postgres://twofactor:***@db:5432/twofactor, mail: smtp://smtp.example.test:587 (STARTTLS), "
        "events: redis://:***@redis:6379/0; web client: off; GraphiQL: off"
    )
    assert "secret" not in startup_summary(replace(settings, env="development", graphiql=True), "::1", 80, 1)
    assert "http://[::1]:80/graphql" in startup_summary(replace(settings, graphiql=True), "::1", 80, 1)
