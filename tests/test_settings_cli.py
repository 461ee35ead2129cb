"""Configuration from the environment, and the `twofactor` command (no running app needed)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from twofactor.mail.settings import MAX_MAIL_TIMEOUT
from twofactor.server import cli
from twofactor.server.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"
TWOFACTOR = str(Path(sys.executable).parent / "twofactor")
GOOD_KEY = "settings-tests-Gq7vN2xKp9RfL4wZt8YbH3cMd6JsE1uA"
PASSWORD = "correct horse battery staple"


def production(env: pytest.MonkeyPatch, **values: str) -> None:
    env.setenv("TWOFACTOR_ENV", "production")
    env.setenv("TWOFACTOR_MAIL_URL", "smtp://mail.example.test:587?starttls=true")
    env.setenv("TWOFACTOR_SECRET_KEY", GOOD_KEY)
    for name, value in values.items():
        if value:
            env.setenv(f"TWOFACTOR_{name}", value)
        else:
            env.delenv(f"TWOFACTOR_{name}")


# Settings


def test_unknown_database_scheme(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_DATABASE_URL", "mysql://root@localhost/twofactor")
    with pytest.raises(SettingsError, match=r"TWOFACTOR_DATABASE_URL: unsupported scheme 'mysql'"):
        load_settings(env_file=None)


def test_a_sqlite_file_in_a_missing_folder_is_refused_at_start_up(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_DATABASE_URL", "sqlite:///nonexistent/dir/x.db")
    with pytest.raises(SettingsError, match=r"TWOFACTOR_DATABASE_URL: the folder /nonexistent/dir does not exist"):
        load_settings(env_file=None)


def test_an_unusable_data_dir_names_the_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_DATA_DIR", "/proc/nope")
    with pytest.raises(SettingsError, match=r"TWOFACTOR_DATA_DIR: cannot keep the development key"):
        load_settings(env_file=None)


@pytest.mark.parametrize("minutes", ["-1", "100000000000000000000", "10081"])
def test_fresh_factor_minutes_out_of_range(env: pytest.MonkeyPatch, minutes: str) -> None:
    env.setenv("TWOFACTOR_FRESH_FACTOR_MINUTES", minutes)
    with pytest.raises(SettingsError, match=r"TWOFACTOR_FRESH_FACTOR_MINUTES"):
        load_settings(env_file=None)


def test_postgresql_scheme_is_accepted(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_DATABASE_URL", "postgresql://u@db:5432/twofactor")
    assert load_settings(env_file=None).database_url == "postgres://u@db:5432/twofactor"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("smtp://mail.example.test:notaport", "bad port"),
        ("ftp://mail.example.test", "expected console:// or smtp://"),
        ("smtp://", "the SMTP host is missing"),
        ("smtp://mail.example.test?bogus=1", "unknown options"),
        ("smtp://mail.example.test?starttls=maybe", "starttls must be true or false"),
        ("smtp://mail.example.test?timeout=soon", "timeout must be a number of seconds"),
        ("smtp://mail.example.test?timeout=0", "timeout must be more than 0 and at most 30 seconds"),
        ("smtp://mail.example.test?timeout=-5", "timeout must be more than 0 and at most 30 seconds"),
        ("smtp://mail.example.test?timeout=nan", "timeout must be more than 0 and at most 30 seconds"),
        # A send that outlasts the outbox's claim could be sent again by another worker.
        ("smtp://mail.example.test?timeout=31", "timeout must be more than 0 and at most 30 seconds"),
    ],
)
def test_malformed_mail_url(env: pytest.MonkeyPatch, url: str, reason: str) -> None:
    env.setenv("TWOFACTOR_MAIL_URL", url)
    with pytest.raises(SettingsError, match="TWOFACTOR_MAIL_URL") as raised:
        load_settings(env_file=None)
    assert reason in str(raised.value)


def test_smtp_url_is_parsed(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_MAIL_URL", "smtp://us%40er:p%3Ass@mail.example.test:2525?starttls=true")
    settings = load_settings(env_file=None)
    mail = settings.mail
    assert (mail.backend, mail.host, mail.port, mail.starttls) == ("smtp", "mail.example.test", 2525, True)
    assert (mail.username, mail.password) == ("us@er", "p:ss")
    assert "p:ss" not in repr(settings)
    assert mail.timeout == 10


def test_the_longest_mail_timeout_is_accepted(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWOFACTOR_MAIL_URL", "smtp://mail.example.test?timeout=30")
    assert load_settings(env_file=None).mail.timeout == MAX_MAIL_TIMEOUT == 30


def test_production_needs_a_secret_key(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    production(env, SECRET_KEY="")
    with pytest.raises(SettingsError, match="TWOFACTOR_SECRET_KEY is required in production"):
        load_settings(env_file=None)
    assert not (tmp_path / ".twofactor-secret-key").exists()


def test_production_refuses_a_short_secret_key(env: pytest.MonkeyPatch) -> None:
    production(env, SECRET_KEY="short-key")
    with pytest.raises(SettingsError, match="TWOFACTOR_SECRET_KEY is too short"):
        load_settings(env_file=None)


def test_production_refuses_console_mail(env: pytest.MonkeyPatch) -> None:
    production(env, MAIL_URL="console://")
    with pytest.raises(SettingsError, match=r"console mail backend .* refused in production"):
        load_settings(env_file=None)


def test_production_defaults_are_closed(env: pytest.MonkeyPatch) -> None:
    production(env)
    settings = load_settings(env_file=None)
    assert settings.production and settings.secure_cookies
    assert settings.introspection is False and settings.graphiql is False
    assert GOOD_KEY not in repr(settings)


def test_development_key_is_created_once_private_and_reused(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = load_settings(env_file=None)
    path = tmp_path / ".twofactor-secret-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first.secret_keys[0]
    assert len(first.secret_keys[0]) >= 32
    second = load_settings(env_file=None)
    assert second.secret_keys[0] == first.secret_keys[0]
    assert [p.name for p in tmp_path.iterdir()] == [".twofactor-secret-key"]


# The command line


def run_cli(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_DATABASE_URL=f"sqlite://{tmp_path / 'cli.db'}",
        TWOFACTOR_SECRET_KEY=GOOD_KEY,
        TWOFACTOR_DATA_DIR=str(tmp_path),
    )
    return subprocess.run([TWOFACTOR, *args], input=stdin, env=env, cwd=tmp_path, capture_output=True, text=True)


def create(tmp_path: Path, email: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "user", "create", "--email", email, "--name", "Ada", "--password-stdin", stdin=password)


def test_migrate_twice_is_fine(tmp_path: Path) -> None:
    for _ in range(2):
        result = run_cli(tmp_path, "migrate")
        assert result.returncode == 0, result.stderr
        assert "migrations applied" in result.stdout


def test_user_create_and_duplicate(tmp_path: Path) -> None:
    created = create(tmp_path, "Ada@Example.test", PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "created user ada@example.test" in created.stdout
    assert PASSWORD not in created.stdout + created.stderr
    for email in ("ada@example.test", "  ADA@example.test "):
        duplicate = create(tmp_path, email)
        assert duplicate.returncode == 2
        assert "twofactor: a user with the email ada@example.test already exists" in duplicate.stderr
        assert "Traceback" not in duplicate.stderr


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("not-an-email", PASSWORD, "not an email address: 'not-an-email'"),
        ("a@b", PASSWORD, "not an email address"),
        ("ada@example.test", "", "The password must have at least 8 characters."),
        ("ada@example.test", "short", "The password must have at least 8 characters."),
    ],
)
def test_user_create_refuses_bad_input(tmp_path: Path, email: str, password: str, reason: str) -> None:
    result = create(tmp_path, email, password)
    assert result.returncode == 2
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists()


def test_cli_reports_bad_settings_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(TWOFACTOR_DATABASE_URL="mysql://x/y", TWOFACTOR_DATA_DIR=str(tmp_path))
    result = subprocess.run([TWOFACTOR, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert "twofactor: TWOFACTOR_DATABASE_URL: unsupported scheme 'mysql'" in result.stderr
    assert "Traceback" not in result.stderr


def test_exported_schema_is_the_committed_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export-schema"]) == 0
    exported = capsys.readouterr().out
    committed = (ROOT / "schema.graphql").read_text()
    assert exported.strip() == committed.strip(), (
        "schema.graphql is stale: run `twofactor export-schema > schema.graphql`"
    )


@pytest.mark.skipif(not CONTRACT.is_file(), reason="no API contract next to the project")
def test_exported_schema_keeps_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export-schema"]) == 0
    ours = build_schema(capsys.readouterr().out)
    changes = find_breaking_changes(build_schema(CONTRACT.read_text()), ours)
    assert [f"{c.type.name}: {c.description}" for c in changes] == []
