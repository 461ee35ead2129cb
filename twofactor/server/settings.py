"""Configuration from TWOFACTOR_* environment variables and a `.env` file."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from starlette.config import Config

from twofactor.mail.settings import MAX_MAIL_TIMEOUT, MailSettings
from twofactor.schema.trusted import read_manifest
from twofactor.security.keyring import key_weakness
from twofactor.security.rules import FRESH_FACTOR_WINDOW, SECRET_KEY_MIN_LENGTH

log = logging.getLogger("twofactor.settings")

_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "asyncpg", "psycopg"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message says which and why."""


# Every variable load_settings reads, with what it is for: `twofactor --help` lists them.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "TWOFACTOR_ENV": "development (default) or production",
    "TWOFACTOR_DATABASE_URL": "sqlite://path (default sqlite://twofactor.db) or postgres://user:pass@host:5432/db",
    "TWOFACTOR_SECRET_KEY": "at least 32 random characters; generated into the data dir in development",
    "TWOFACTOR_OLD_SECRET_KEYS": "comma-separated earlier keys, still used to decrypt",
    "TWOFACTOR_DATA_DIR": "where the development secret key file is kept (default .)",
    "TWOFACTOR_MAIL_URL": "console:// (default) or smtp://user:pass@host:587?starttls=true",
    "TWOFACTOR_MAIL_FROM": "the sender of every message",
    "TWOFACTOR_REDIS_URL": "redis://host:6379/0 to share live events between processes",
    "TWOFACTOR_REDIS_PREFIX": "prefix of the Redis channels (default twofactor)",
    "TWOFACTOR_ISSUER": "the name authenticator apps show (default twofactor)",
    "TWOFACTOR_CORS_ORIGINS": "comma-separated origins of web apps allowed to call the API",
    "TWOFACTOR_GRAPHIQL": "true or false (default: on in development)",
    "TWOFACTOR_INTROSPECTION": "true or false (default: on in development)",
    "TWOFACTOR_FRESH_FACTOR_MINUTES": "how recent a second factor must be to add or remove one without a code (15)",
    "TWOFACTOR_TRUST_PROXY_HEADERS": "true behind a proxy listed in FORWARDED_ALLOW_IPS (default false)",
    "TWOFACTOR_AUDIT_RETENTION_DAYS": "delete audit rows older than this many days (default: keep them all)",
    "TWOFACTOR_TRUSTED_DOCUMENTS": "a manifest file: run only the documents in it (default: off)",
    "TWOFACTOR_WEB_CLIENT": "true or false: the web client at / (default true)",
    "TWOFACTOR_MAIL_WORKER": "inside (default: serve sends the mail) or external (`twofactor worker` does)",
    "TWOFACTOR_WEBAUTHN_RP_ID": "security keys: the domain keys are bound to, e.g. example.com (default localhost)",
    "TWOFACTOR_WEBAUTHN_ORIGINS": "security keys: comma-separated origins of the pages that use them "
    "(default in development: http://localhost:PORT of `twofactor serve`; none in production)",
}

# The development default of TWOFACTOR_WEBAUTHN_ORIGINS when the server's port is not known.
DEFAULT_PORT = 8000

# Who sends the outbox: every `serve` process (inside), or only `twofactor worker` (external).
MAIL_WORKER_INSIDE = "inside"
MAIL_WORKER_EXTERNAL = "external"


@dataclass(frozen=True)
class Settings:
    """Everything the server reads at start-up. The repr shows no secret."""

    env: str
    database_url: str = field(repr=False)
    secret_keys: tuple[str, ...] = field(repr=False)
    mail: MailSettings
    mail_from: str
    redis_url: str | None = field(repr=False)
    issuer: str
    cors_origins: tuple[str, ...]
    graphiql: bool
    introspection: bool
    fresh_factor_window: timedelta = FRESH_FACTOR_WINDOW
    trusted_proxies: bool = False
    # Channels in Redis start with this, so deployments sharing one Redis stay apart.
    redis_prefix: str = "twofactor:"
    # Audit rows older than this are deleted by the scheduled clean-up; None keeps them forever.
    audit_retention: timedelta | None = None
    # The only documents run (hash -> text), when TWOFACTOR_TRUSTED_DOCUMENTS names a manifest.
    trusted_documents: Mapping[str, str] | None = field(default=None, repr=False)
    # The web client at `/`; off for deployments that want the API alone.
    web_client: bool = True
    # "external": `serve` sends no mail and leaves the outbox to `twofactor worker`.
    mail_worker: str = MAIL_WORKER_INSIDE
    # Security keys (WebAuthn): the relying party id and the origins allowed to use it.
    webauthn_rp_id: str = "localhost"
    webauthn_origins: tuple[str, ...] = (f"http://localhost:{DEFAULT_PORT}",)
    # The origins are the development default, not configured: `serve` puts in its own port.
    webauthn_origins_defaulted: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.production

    @property
    def serve_sends_mail(self) -> bool:
        """Whether each `serve` process runs the outbox worker (not left to `twofactor worker`)."""
        return self.mail_worker == MAIL_WORKER_INSIDE


def _bool(config: Config, name: str, default: bool) -> bool:
    raw = config(name, default=None)
    if raw is None:
        return default
    value = str(raw).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"TWOFACTOR_{name}: expected true or false, got {raw!r}")


def parse_mail_url(url: str) -> MailSettings:
    """`console://` or `smtp://user:pass@host:port?starttls=true` (also `smtps://` for TLS)."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return MailSettings(backend="console")
    if parts.scheme not in {"smtp", "smtps"}:
        raise SettingsError(
            f"TWOFACTOR_MAIL_URL: expected console:// or smtp://user:pass@host:port, got the scheme {parts.scheme!r}"
        )
    try:
        port = parts.port
    except ValueError as error:
        raise SettingsError(f"TWOFACTOR_MAIL_URL: bad port ({error})") from None
    if not parts.hostname:
        raise SettingsError("TWOFACTOR_MAIL_URL: the SMTP host is missing")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"starttls", "tls", "timeout"}
    if unknown:
        raise SettingsError(f"TWOFACTOR_MAIL_URL: unknown options {sorted(unknown)}")

    def flag(name: str) -> bool:
        value = options.get(name, "false").lower()
        if value not in _TRUE | _FALSE:
            raise SettingsError(f"TWOFACTOR_MAIL_URL: {name} must be true or false")
        return value in _TRUE

    tls = parts.scheme == "smtps" or flag("tls")
    try:
        timeout = float(options.get("timeout", "10"))
    except ValueError:
        raise SettingsError("TWOFACTOR_MAIL_URL: timeout must be a number of seconds") from None
    if not 0 < timeout <= MAX_MAIL_TIMEOUT:  # NaN too
        raise SettingsError(f"TWOFACTOR_MAIL_URL: timeout must be more than 0 and at most {MAX_MAIL_TIMEOUT:g} seconds")
    return MailSettings(
        backend="smtp",
        host=parts.hostname,
        port=port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=flag("starttls"),
        tls=tls,
        timeout=timeout,
    )


def _check_database_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in _DB_SCHEMES:
        raise SettingsError(
            f"TWOFACTOR_DATABASE_URL: unsupported scheme {scheme!r}; "
            "use sqlite://path.db or postgres://user@host:port/db"
        )
    if scheme in {"postgresql", "psycopg"}:
        # Tortoise knows PostgreSQL through asyncpg under the "postgres" scheme.
        url = "postgres" + url[len(scheme) :]
    if scheme == "sqlite":
        path = url[len("sqlite://") :].split("?", 1)[0]
        folder = Path(path).parent if path and path != ":memory:" else None
        if folder is not None and not folder.is_dir():
            # SQLite would fail deep inside the migration runner, which then never returns.
            raise SettingsError(f"TWOFACTOR_DATABASE_URL: the folder {folder} does not exist")
    return url


def _check_rp_id(raw: str) -> str:
    rp_id = raw.strip().lower()
    host_like = rp_id and all(part.isascii() and part.replace("-", "").isalnum() for part in rp_id.split("."))
    if not host_like or rp_id.replace(".", "").isdigit():
        raise SettingsError(
            f"TWOFACTOR_WEBAUTHN_RP_ID: expected a domain name such as example.com (no scheme, port or IP address), "
            f"got {raw!r}"
        )
    return rp_id


def _check_origins(raw: str, rp_id: str) -> tuple[str, ...]:
    """The origins, each the RP id or a subdomain of it, over https (http only for localhost)."""
    origins = []
    for origin in (o.strip().rstrip("/") for o in raw.split(",") if o.strip()):
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
        try:
            parts.port  # noqa: B018 (a bad port raises)
        except ValueError:
            host = ""
        local = host == "localhost" and parts.scheme == "http"
        if (parts.scheme != "https" and not local) or parts.path or parts.query or not host:
            raise SettingsError(
                f"TWOFACTOR_WEBAUTHN_ORIGINS: expected origins such as https://example.com, got {origin!r} "
                "(http only for localhost)"
            )
        if host != rp_id and not host.endswith("." + rp_id):
            raise SettingsError(
                f"TWOFACTOR_WEBAUTHN_ORIGINS: {origin} is not on {rp_id} (TWOFACTOR_WEBAUTHN_RP_ID) "
                "or a subdomain of it: a browser would refuse its keys"
            )
        origins.append(origin)
    return tuple(origins)


def require_security_key_origins(settings: Settings, security_key_enabled: bool) -> None:
    """At start-up: production refuses to serve security keys (enabled in the policy) with no origin set."""
    if settings.production and security_key_enabled and not settings.webauthn_origins:
        raise SettingsError(
            "TWOFACTOR_WEBAUTHN_ORIGINS is not set, but the 2FA policy enables security keys: "
            "set the origins of the pages that use them (and TWOFACTOR_WEBAUTHN_RP_ID)"
        )


def _dev_secret_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "TWOFACTOR_SECRET_KEY is not set: generated a development key and kept it in %s. "
        "Set TWOFACTOR_SECRET_KEY in production.",
        path,
    )
    return key


def load_settings(env_file: str | os.PathLike[str] | None = ".env") -> Settings:
    """Read and check the configuration; raise SettingsError with a clear message."""
    path = Path(env_file) if env_file is not None else None
    config = Config(path if path is not None and path.is_file() else None, env_prefix="TWOFACTOR_")
    env = str(config("ENV", default="development")).strip().lower()
    if env not in {"development", "production"}:
        raise SettingsError(f"TWOFACTOR_ENV: expected development or production, got {env!r}")
    production = env == "production"

    database_url = _check_database_url(str(config("DATABASE_URL", default="sqlite://twofactor.db")))

    raw_key = str(config("SECRET_KEY", default="")).strip()
    older = [k.strip() for k in str(config("OLD_SECRET_KEYS", default="")).split(",") if k.strip()]
    if not raw_key:
        if production:
            raise SettingsError("TWOFACTOR_SECRET_KEY is required in production")
        data_dir = Path(str(config("DATA_DIR", default=".")))
        try:
            raw_key = _dev_secret_key(data_dir / ".twofactor-secret-key")
        except OSError as error:
            raise SettingsError(
                f"TWOFACTOR_DATA_DIR: cannot keep the development key in {data_dir} ({error.strerror})"
            ) from None
    if production and len(raw_key) < SECRET_KEY_MIN_LENGTH:
        raise SettingsError(
            f"TWOFACTOR_SECRET_KEY is too short: use at least {SECRET_KEY_MIN_LENGTH} random "
            'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    # Only the current key encrypts: older keys are kept to decrypt, and a weak one is how a
    # deployment rotates away from it (`twofactor rotate-secrets`).
    weakness = key_weakness(raw_key) if production else None
    if weakness is not None:
        raise SettingsError(
            f"TWOFACTOR_SECRET_KEY does not look random ({weakness}): generate one, e.g. "
            'python -c "import secrets; print(secrets.token_urlsafe(48))" or openssl rand -base64 48'
        )

    mail = parse_mail_url(str(config("MAIL_URL", default="console://")))
    if production and mail.backend == "console":
        raise SettingsError(
            "TWOFACTOR_MAIL_URL: the console mail backend prints codes and is refused in production; set an smtp:// URL"
        )
    redis_url = config("REDIS_URL", default=None)
    if redis_url is not None and urlsplit(str(redis_url)).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError("TWOFACTOR_REDIS_URL: expected redis://host:port/db")
    origins = tuple(o.strip().rstrip("/") for o in str(config("CORS_ORIGINS", default="")).split(",") if o.strip())
    if "*" in origins:
        raise SettingsError("TWOFACTOR_CORS_ORIGINS: '*' is refused, since sessions use credentials; list the origins")
    try:
        fresh_minutes = int(config("FRESH_FACTOR_MINUTES", default=FRESH_FACTOR_WINDOW.seconds // 60))
    except ValueError:
        raise SettingsError("TWOFACTOR_FRESH_FACTOR_MINUTES: expected a whole number") from None
    if not 0 <= fresh_minutes <= 7 * 24 * 60:
        raise SettingsError("TWOFACTOR_FRESH_FACTOR_MINUTES: expected 0 to 10080 (a week)")
    raw_retention = str(config("AUDIT_RETENTION_DAYS", default="")).strip()
    audit_retention = None
    if raw_retention:
        if not (raw_retention.isascii() and raw_retention.isdigit()) or not 1 <= int(raw_retention) <= 36500:
            raise SettingsError(
                "TWOFACTOR_AUDIT_RETENTION_DAYS: expected a whole number of days from 1 to 36500, "
                "or nothing to keep the audit log forever"
            )
        audit_retention = timedelta(days=int(raw_retention))
    mail_worker = str(config("MAIL_WORKER", default=MAIL_WORKER_INSIDE)).strip().lower()
    if mail_worker not in {MAIL_WORKER_INSIDE, MAIL_WORKER_EXTERNAL}:
        raise SettingsError(f"TWOFACTOR_MAIL_WORKER: expected inside or external, got {mail_worker!r}")
    rp_id = _check_rp_id(str(config("WEBAUTHN_RP_ID", default="localhost")))
    raw_origins = config("WEBAUTHN_ORIGINS", default=None)
    defaulted = raw_origins is None and not production
    if defaulted and rp_id != "localhost":
        raise SettingsError("TWOFACTOR_WEBAUTHN_ORIGINS: set the origins that go with TWOFACTOR_WEBAUTHN_RP_ID")
    webauthn_origins = (
        _check_origins(str(raw_origins or ""), rp_id) if not defaulted else (f"http://localhost:{DEFAULT_PORT}",)
    )
    manifest = str(config("TRUSTED_DOCUMENTS", default="")).strip()
    try:
        trusted = read_manifest(Path(manifest)) if manifest else None
    except ValueError as error:
        raise SettingsError(f"TWOFACTOR_TRUSTED_DOCUMENTS: {error}") from None
    return Settings(
        env=env,
        database_url=database_url,
        secret_keys=(raw_key, *older),
        mail=mail,
        mail_from=str(config("MAIL_FROM", default="twofactor <no-reply@localhost>")),
        redis_url=str(redis_url) if redis_url else None,
        redis_prefix=str(config("REDIS_PREFIX", default="twofactor")).rstrip(":") + ":",
        issuer=str(config("ISSUER", default="twofactor")),
        cors_origins=origins,
        graphiql=_bool(config, "GRAPHIQL", default=not production),
        introspection=_bool(config, "INTROSPECTION", default=not production),
        fresh_factor_window=timedelta(minutes=fresh_minutes),
        trusted_proxies=_bool(config, "TRUST_PROXY_HEADERS", default=False),
        audit_retention=audit_retention,
        trusted_documents=trusted,
        web_client=_bool(config, "WEB_CLIENT", default=True),
        mail_worker=mail_worker,
        webauthn_rp_id=rp_id,
        webauthn_origins=webauthn_origins,
        webauthn_origins_defaulted=defaulted,
    )
