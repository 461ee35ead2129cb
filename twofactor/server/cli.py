"""The `twofactor` command: serve, migrate, manage users, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from tortoise import Tortoise
from tortoise.exceptions import IntegrityError

from twofactor.server.settings import Settings, SettingsError, load_settings

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CommandError(Exception):
    """A clear, one-line reason the command failed."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twofactor", description="GraphQL two-factor authentication service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start-up")

    commands.add_parser("migrate", help="apply database migrations (safe to repeat)")
    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    commands.add_parser(
        "rotate-secrets", help="re-encrypt stored TOTP secrets with TWOFACTOR_SECRET_KEY (after a key rotation)"
    )

    trusted = commands.add_parser(
        "trusted-documents", help="manage the manifest of trusted documents (TWOFACTOR_TRUSTED_DOCUMENTS)"
    ).add_subparsers(dest="trusted_command", required=True)
    add = trusted.add_parser("add", help="add documents (one per file, its text as clients send it) to a manifest")
    add.add_argument("manifest", help="the manifest JSON file (created if missing)")
    add.add_argument("files", nargs="+", help="GraphQL files, one document each")

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user; the password is read from standard input")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--admin", action="store_true")
    create.add_argument("--password-stdin", action="store_true", required=True)
    reset = user.add_parser("reset-2fa", help="remove a user's 2FA (lost access), end their sessions, notify them")
    reset.add_argument("email")
    return parser


async def _with_database(settings: Settings) -> None:
    from twofactor.server.database import apply_migrations, tortoise_config

    await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))


async def _create_user(settings: Settings, email: str, name: str, admin: bool, password: str) -> str:
    from twofactor.models import User
    from twofactor.security.passwords import hash_password, password_problem

    address = email.strip().lower()
    if not _EMAIL.fullmatch(address) or len(address) > 254:
        raise CommandError(f"not an email address: {email!r}")
    if not name.strip():
        raise CommandError("the name must not be empty")
    problem = password_problem(password)
    if problem:
        raise CommandError(problem)
    await _with_database(settings)
    try:
        if await User.exists(email=address):
            raise CommandError(f"a user with the email {address} already exists")
        user = await User.create(
            email=address, name=name.strip(), is_admin=admin, password_hash=await hash_password(password)
        )
    except IntegrityError:
        raise CommandError(f"a user with the email {address} already exists") from None
    finally:
        await Tortoise.close_connections()
    return f"created {'administrator' if admin else 'user'} {address} (id {user.id})"


async def _reset_user(settings: Settings, email: str) -> str:
    from twofactor.models import User
    from twofactor.resolvers.admin import reset_two_factor
    from twofactor.security.keyring import Keyring

    await _with_database(settings)
    try:
        user = await User.get_or_none(email=email.strip().lower())
        if user is None:
            raise CommandError(f"no user with the email {email}")
        ended = await reset_two_factor(user, keyring=Keyring(settings.secret_keys), context=None, actor_id=None)
    finally:
        await Tortoise.close_connections()
    return f"reset the 2FA of {user.email}; ended {len(ended)} session(s); a notice is queued"


async def _rotate(settings: Settings) -> str:
    from twofactor.resolvers.admin import rotate_secrets
    from twofactor.security.keyring import DecryptionError, Keyring

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


def _serve(settings: Settings, host: str, port: int, workers: int, migrate: bool) -> None:
    import uvicorn

    from twofactor.server.app import MAX_BODY_BYTES

    if migrate:
        from twofactor.server.database import apply_migrations

        asyncio.run(apply_migrations(settings.database_url))
    # Each worker builds its own app; migrations already ran once above.
    uvicorn.run(
        "twofactor.server.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.trusted_proxies,
        # An access log line holds the query string: a GET with variables could carry a code.
        access_log=False,
        log_level="info",
        # A WebSocket message may be as large as an HTTP body, not uvicorn's 16 MiB.
        ws_max_size=MAX_BODY_BYTES,
    )


def _add_trusted(manifest_path: Path, files: list[Path]) -> str:
    """Add each file's text to the manifest; the lines name each document's hash and file."""
    from twofactor.schema.trusted import document_hash, read_manifest, with_documents

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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        if args.command == "export-schema":
            from twofactor.schema.root import build_schema

            print(build_schema(introspection=True).as_str())
            return 0
        if args.command == "trusted-documents":
            print(_add_trusted(Path(args.manifest), [Path(f) for f in args.files]))
            return 0
        settings = load_settings()
        if args.command == "serve":
            _serve(settings, args.host, args.port, args.workers, not args.no_migrate)
            return 0
        if args.command == "migrate":
            from twofactor.server.database import apply_migrations

            asyncio.run(apply_migrations(settings.database_url))
            print("migrations applied")
            return 0
        if args.command == "rotate-secrets":
            print(asyncio.run(_rotate(settings)))
            return 0
        if args.user_command == "create":
            password = sys.stdin.readline().rstrip("\r\n")
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
