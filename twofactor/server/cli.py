"""The `twofactor` command: serve, send mail (worker), migrate, manage users, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.metadata
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from tortoise import Tortoise

from twofactor.models.policy import security_keys_enabled
from twofactor.models.request_reads import user_by_email
from twofactor.models.users import create_user
from twofactor.resolvers.admin import announce_reset, reset_two_factor, rotate_secrets
from twofactor.schema.root import build_schema
from twofactor.schema.trusted import document_hash, read_manifest, with_documents
from twofactor.security.keyring import DecryptionError, Keyring
from twofactor.security.passwords import hash_password, password_problem
from twofactor.server.app import MAX_BODY_BYTES
from twofactor.server.database import apply_migrations, tortoise_config
from twofactor.server.events import RedisBroker
from twofactor.server.mail_worker import NotMigrated, run_mail_worker
from twofactor.server.settings import (
    ENVIRONMENT_VARIABLES,
    MAIL_WORKER_EXTERNAL,
    Settings,
    SettingsError,
    load_settings,
    require_security_key_origins,
)
from twofactor.server.shutdown import SHUTDOWN_TIMEOUT

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CommandError(Exception):
    """A clear, one-line reason the command failed."""


def _version() -> str:
    try:
        return importlib.metadata.version("twofactor")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (not the None and False of required options and flags), and
    keeps the epilog's lines as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _epilog() -> str:
    width = max(len(name) for name in ENVIRONMENT_VARIABLES)
    lines = [f"  {name:<{width}}  {meaning}" for name, meaning in ENVIRONMENT_VARIABLES.items()]
    return "environment variables (also read from a .env file in the working directory):\n" + "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twofactor",
        description="GraphQL two-factor authentication service.",
        epilog=_epilog(),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"twofactor {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str, epilog: str | None = None) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=summary, epilog=epilog, formatter_class=_HelpFormatter
        )

    serve = command("serve", "run the server (applies migrations first)", epilog=_epilog())
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start-up")
    serve.add_argument(
        "--no-mail",
        action="store_true",
        help="send no mail: leave the outbox to `twofactor worker` (as TWOFACTOR_MAIL_WORKER=external)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (uvicorn's access log; a GET request's line shows its variables)",
    )

    worker = command(
        "worker",
        "send the mail of the outbox (beside `serve --no-mail`) until SIGTERM or SIGINT",
        epilog=_epilog(),
    )
    worker.add_argument(
        "--migrate", action="store_true", help="apply migrations first (by default `serve` or `migrate` does)"
    )
    command("migrate", "apply database migrations (safe to repeat)")
    command("export-schema", "print the GraphQL schema (SDL)")
    command("rotate-secrets", "re-encrypt stored TOTP secrets with TWOFACTOR_SECRET_KEY (after a key rotation)")
    trusted = command(
        "trusted-documents", "manage the manifest of trusted documents (TWOFACTOR_TRUSTED_DOCUMENTS)"
    ).add_subparsers(dest="trusted_command", required=True)
    add = trusted.add_parser(
        "add",
        help="add documents (one per file, its text as clients send it) to a manifest",
        formatter_class=_HelpFormatter,
    )
    add.add_argument("manifest", help="the manifest JSON file (created if missing)")
    add.add_argument("files", nargs="+", help="GraphQL files, one document each")

    user = command("user", "manage users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser(
        "create",
        help="create a user",
        description="Create a user. The password is asked twice, without echo, or read from standard input.",
        formatter_class=_HelpFormatter,
    )
    create.add_argument("--email", required=True, help="the address the user signs in with")
    create.add_argument("--name", required=True, help="the name shown to the user")
    create.add_argument("--admin", action="store_true", help="make the user an administrator")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    reset = user.add_parser(
        "reset-2fa",
        help="remove a user's 2FA (lost access), end their sessions, notify them",
        formatter_class=_HelpFormatter,
    )
    reset.add_argument("email", help="the user's address")
    return parser


def _read_password(from_stdin: bool) -> str:
    """The new user's password: the first line of standard input, or asked twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("standard input is not a terminal: pass --password-stdin to read the password from it")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise CommandError("the passwords do not match")
    return password


def _without_password(url: str) -> str:
    """The URL with any password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def _mail_text(settings: Settings) -> str:
    """Where mail goes, without credentials."""
    mail = settings.mail
    if mail.backend == "console":
        return "console"
    security = " (TLS)" if mail.tls else " (STARTTLS)" if mail.starttls else ""
    return f"smtp://{mail.host}:{mail.port}{security}"


def _events_text(settings: Settings) -> str:
    return _without_password(settings.redis_url) if settings.redis_url else "in-process"


def startup_summary(settings: Settings, host: str, port: int, workers: int) -> str:
    """The one line `twofactor serve` prints: where it listens, on what it runs, where to go."""
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    mail_text = _mail_text(settings) if settings.serve_sends_mail else "sent by `twofactor worker`"
    events = _events_text(settings)
    processes = "1 worker" if workers == 1 else f"{workers} workers"
    graphiql = f"{address}/graphql" if settings.graphiql else "off"
    web = f"{address}/" if settings.web_client else "off"
    return (
        f"twofactor {_version()} on {address} ({settings.env}, {processes}): "
        f"database {_without_password(settings.database_url)}, mail: {mail_text}, events: {events}; "
        f"web client: {web}; GraphiQL: {graphiql}"
    )


def worker_summary(settings: Settings, migrate: bool) -> str:
    """The one line `twofactor worker` prints: what it sends mail with, on what it runs."""
    return (
        f"twofactor {_version()} mail worker ({settings.env}): "
        f"database {_without_password(settings.database_url)}{' (migrated first)' if migrate else ''}, "
        f"mail: {_mail_text(settings)}, events: {_events_text(settings)}; clean-up: on"
    )


async def _with_database(settings: Settings) -> None:
    await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))


async def _create_user(settings: Settings, email: str, name: str, admin: bool, password: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address) or len(address) > 254:
        raise CommandError(f"not an email address: {email!r}")
    if not name.strip():
        raise CommandError("the name must not be empty")
    problem = password_problem(password)
    if problem:
        raise CommandError(problem)
    password_hash = await hash_password(password)
    await _with_database(settings)
    try:
        user = await create_user(address, name.strip(), is_admin=admin, password_hash=password_hash)
    finally:
        await Tortoise.close_connections()
    if user is None:
        raise CommandError(f"a user with the email {address} already exists")
    return f"created {'administrator' if admin else 'user'} {address} (id {user.id})"


async def _reset_user(settings: Settings, email: str) -> str:
    await _with_database(settings)
    try:
        user = await user_by_email(email.strip().lower())
        if user is None:
            raise CommandError(f"no user with the email {email}")
        ended = await reset_two_factor(user, keyring=Keyring(settings.secret_keys), context=None, actor_id=None)
    finally:
        await Tortoise.close_connections()
    done = f"reset the 2FA of {user.email}; ended {len(ended)} session(s); a notice is queued"
    if not settings.redis_url:
        # In-process events reach only the process that publishes them; a server sees the ended
        # sessions when it next reads the user's rows (resolvers/subscriptions.py).
        return f"{done}; without TWOFACTOR_REDIS_URL a running server ends their live subscriptions at the next change"
    broker = RedisBroker(settings.redis_url, settings.redis_prefix)
    try:
        await announce_reset(broker, user.id, ended)
    finally:
        await broker.stop()
    return f"{done}; live subscriptions were told through Redis"


async def _rotate(settings: Settings) -> str:
    await _with_database(settings)
    try:
        rotated = await rotate_secrets(Keyring(settings.secret_keys))
    except DecryptionError:
        raise CommandError(
            "a stored secret cannot be decrypted with the configured keys: "
            "list the key it was made with in TWOFACTOR_OLD_SECRET_KEYS"
        ) from None
    finally:
        await Tortoise.close_connections()
    return f"re-encrypted {rotated} secret(s) with the current key"


async def _require_security_key_origins(settings: Settings) -> None:
    """Production with no security key origin: refuse to serve if the policy enables keys."""
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        require_security_key_origins(settings, await security_keys_enabled())
    finally:
        await Tortoise.close_connections()


def _serve(settings: Settings, host: str, port: int, workers: int, migrate: bool, access_log: bool) -> None:
    if migrate:
        asyncio.run(apply_migrations(settings.database_url))
    if settings.production and not settings.webauthn_origins:
        # Said here, before uvicorn starts: each server process would refuse to start too.
        asyncio.run(_require_security_key_origins(settings))
    print(startup_summary(settings, host, port, workers), flush=True)
    if not settings.serve_sends_mail and settings.redis_url is None:
        logging.getLogger("twofactor").warning(
            "TWOFACTOR_REDIS_URL is not set: the delivery results of `twofactor worker` reach no "
            "subscriber of this server, and the worker finds new mail at its next poll"
        )
    # Each worker builds its own app; migrations already ran once above.
    uvicorn.run(
        "twofactor.server.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.trusted_proxies,
        # Off by default: an access log line holds the query string, and a GET with variables could carry a code.
        access_log=access_log,
        log_level="info",
        # SIGTERM: in-flight requests get this long to finish (WebSockets close with 1001 first).
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT,
        # A WebSocket message may be as large as an HTTP body, not uvicorn's 16 MiB.
        ws_max_size=MAX_BODY_BYTES,
    )


def _add_trusted(manifest_path: Path, files: list[Path]) -> str:
    """Add each file's text to the manifest; the lines name each document's hash and file."""
    try:
        manifest = read_manifest(manifest_path) if manifest_path.exists() else {}
        texts = [path.read_text(encoding="utf-8") for path in files]
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise CommandError(str(error)) from None
    empty = [str(path) for path, text in zip(files, texts, strict=True) if not text.strip()]
    if empty:
        raise CommandError(f"no document in {', '.join(empty)}")
    updated = with_documents(manifest, texts)
    manifest_path.write_text(json.dumps(updated, indent=2) + "\n", encoding="utf-8")
    lines = [f"sha256:{document_hash(text)} {path}" for path, text in zip(files, texts, strict=True)]
    return "\n".join([*lines, f"{manifest_path}: {len(updated)} trusted documents"])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `twofactor` command."""
    args = _parser().parse_args(argv)
    if args.command in {"serve", "worker"}:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        # A one-off command speaks like its own messages: "twofactor: ...".
        logging.basicConfig(level=logging.WARNING, format="twofactor: %(message)s")
    # Tortoise says "Tortoise-ORM shutdown" at INFO whenever connections close: noise to an operator.
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        if args.command == "export-schema":
            print(build_schema(introspection=True).as_str())
            return 0
        if args.command == "trusted-documents":
            print(_add_trusted(Path(args.manifest), [Path(f) for f in args.files]))
            return 0
        if args.command == "serve" and args.no_mail:
            # The setting, so that each server process uvicorn starts reads it too.
            os.environ["TWOFACTOR_MAIL_WORKER"] = MAIL_WORKER_EXTERNAL
        settings = load_settings()
        if args.command == "serve" and settings.webauthn_origins_defaulted:
            # Security keys work from the pages this server serves: the setting, so that each
            # server process uvicorn starts reads it too.
            os.environ["TWOFACTOR_WEBAUTHN_ORIGINS"] = f"http://localhost:{args.port}"
            settings = load_settings()
        if args.command == "worker":
            print(worker_summary(settings, args.migrate), flush=True)
            try:
                asyncio.run(run_mail_worker(settings, migrate=args.migrate))
            except NotMigrated as error:
                raise CommandError(str(error)) from None
            return 0
        if args.command == "serve":
            _serve(settings, args.host, args.port, args.workers, not args.no_migrate, args.access_log)
            return 0
        if args.command == "migrate":
            asyncio.run(apply_migrations(settings.database_url))
            print("migrations applied")
            return 0
        if args.command == "rotate-secrets":
            print(asyncio.run(_rotate(settings)))
            return 0
        if args.user_command == "create":
            password = _read_password(args.password_stdin)
            print(asyncio.run(_create_user(settings, args.email, args.name, args.admin, password)))
            return 0
        print(asyncio.run(_reset_user(settings, args.email)))
        return 0
    except (SettingsError, CommandError) as error:
        print(f"twofactor: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # Typically the database is unreachable; the driver's message names host and port only.
        print(f"twofactor: cannot reach the database or a file ({type(error).__name__}: {error})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
