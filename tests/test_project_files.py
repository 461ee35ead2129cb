"""The files people expect beside the code: LICENSE, CHANGELOG, .env.example and the compose file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from twofactor.server.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = ROOT / "twofactor" / "server" / "settings.py"
KEY = "tq3Vb8Wm-Lx2Np7Rz4Kc9Hd6Fj1Gs5Yw0Ae"  # random-looking: production refuses runs like "abcdefgh"


def settings_read() -> set[str]:
    """Every TWOFACTOR_* variable settings.py reads (through `config(...)` or `_bool(config, ...)`)."""
    source = SETTINGS_SOURCE.read_text()
    names = set(re.findall(r'\bconfig\(\s*"([A-Z_]+)"', source))
    names |= set(re.findall(r'_bool\(\s*config,\s*"([A-Z_]+)"', source))
    assert len(names) >= 10, names  # the patterns still match how settings.py reads
    return {f"TWOFACTOR_{name}" for name in names}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("TWOFACTOR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_license_is_the_mit_license_pyproject_names() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "twofactor contributors" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}


def test_changelog_has_unreleased_and_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    headings = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert version in headings
    assert "keepachangelog.com" in text


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^#? ?(TWOFACTOR_[A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert sorted(settings_read() - listed) == [], "add these settings to .env.example"
    assert sorted(listed - settings_read()) == [], ".env.example lists settings nobody reads"


def test_env_example_as_it_is_gives_the_defaults(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    example = tmp_path / "example.env"
    shutil.copy(ROOT / ".env.example", example)
    from_example = asdict(load_settings(env_file=example))
    defaults = asdict(load_settings(env_file=None))
    # Both generated the same development key into the working directory.
    assert from_example == defaults


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} against `env`."""

    def one(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise LookupError(f"{name}: {word}")
        return word or ""

    return re.sub(r"\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}", one, value)


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def test_compose_config_is_valid_for_docker_compose(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no docker compose here: test_compose_runs_the_several_process_deployment checks the file")
    env = {**os.environ, "TWOFACTOR_SECRET_KEY": KEY}
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "compose.yaml"), "config", "-q"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_several_process_deployment() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "mailpit", "migrate", "server", "worker"} <= set(services)
    assert services["mailpit"]["image"].startswith("axllent/mailpit")

    server, migrate = services["server"], services["migrate"]
    command = server["command"]
    assert command[:2] == ["twofactor", "serve"] and "--no-migrate" in command
    assert command[command.index("--workers") + 1] == "2"
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert migrate["command"] == ["twofactor", "migrate"]
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert server["depends_on"]["redis"]["condition"] == "service_healthy"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "8000:8000" in server["ports"]
    assert (ROOT / server["build"] / "Dockerfile").is_file()

    environment = server["environment"]
    assert environment == migrate["environment"]
    assert set(environment) <= settings_read(), "the compose file sets variables nobody reads"
    assert environment["TWOFACTOR_DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
    assert environment["TWOFACTOR_REDIS_URL"].startswith("redis://redis:6379")
    assert environment["TWOFACTOR_MAIL_URL"] == "smtp://mailpit:1025"
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "twofactor"


def test_compose_leaves_mail_to_the_worker_service() -> None:
    from twofactor.mail.outbox import STOP_GRACE

    services = compose()["services"]
    server, worker = services["server"], services["worker"]
    # The server sends no mail; the worker, on the same database, Redis and mail server, sends it.
    assert "--no-mail" in server["command"]
    assert worker["command"] == ["twofactor", "worker"]
    assert worker["environment"] == server["environment"]
    assert worker.get("env_file") == server.get("env_file")
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "mailpit" in worker["depends_on"]
    assert worker["restart"] == "unless-stopped"
    assert "ports" not in worker
    # Docker's SIGKILL must not cut off the sends the worker finishes after SIGTERM.
    grace = worker["stop_grace_period"]
    assert grace.endswith("s") and float(grace[:-1]) > STOP_GRACE


def test_compose_environment_makes_valid_production_settings(clean_env: pytest.MonkeyPatch) -> None:
    environment = compose()["services"]["server"]["environment"]
    with pytest.raises(LookupError, match="TWOFACTOR_SECRET_KEY"):
        {name: _interpolate(str(value), {}) for name, value in environment.items()}
    for name, value in environment.items():
        clean_env.setenv(name, _interpolate(str(value), {"TWOFACTOR_SECRET_KEY": KEY}))
    settings = load_settings(env_file=None)
    assert settings.production
    assert settings.database_url == "postgres://twofactor:twofactor@postgres:5432/twofactor"
    assert (settings.mail.backend, settings.mail.host, settings.mail.port) == ("smtp", "mailpit", 1025)
    assert settings.redis_url == "redis://redis:6379/0"
