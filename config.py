"""Configuration read from the environment (and `.env` when present).

`load_config()` picks the class from `TESSERA_ENV`; every value is checked once at start-up
and a bad one raises `ConfigError` with one line naming the variable.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent
EXAMPLE_CERTS = ROOT / "certs" / "example"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {raw!r}") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"DATABASE_URL must be sqlite or postgresql, got {url.get_backend_name()!r}"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database)
        if not path.is_absolute():
            path = Path.cwd() / path
        url = url.set(database=str(path))
    return url.render_as_string(hide_password=False)


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"PUBLIC_URL must be an absolute http(s) URL, got {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError("PUBLIC_URL must not carry a query or a fragment")
    return raw.rstrip("/")


def _file(env: Mapping[str, str], name: str, default: Path | None) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return str(default) if default else None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name} points to {raw!r}, which is not a readable file")
    return str(path.resolve())


def _timezone(env: Mapping[str, str]) -> str:
    name = env.get("TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE must be an IANA time zone such as Europe/Rome, got {name!r}") from None
    return name


def _choice(env: Mapping[str, str], name: str, default: str, allowed: set[str]) -> str:
    value = env.get(name, "").strip() or default
    if value not in allowed:
        choices = ", ".join(sorted(allowed))
        raise ConfigError(f"{name} must be one of {choices}, got {value!r}")
    return value


class Config:
    """Development defaults: SQLite in instance/, the example certificates, http on loopback."""

    ENV_NAME = "development"
    TESTING = False

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        self.PORT = _int(env, "PORT", 5000, 1, 65535)
        self.SECRET_KEY = env.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY
        self.SECRET_KEY_IS_DEFAULT = self.SECRET_KEY == DEV_SECRET_KEY
        default_db = "sqlite:///instance/tessera.db"
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL", "").strip() or default_db)
        self.PUBLIC_URL = _public_url(
            env.get("PUBLIC_URL", "").strip() or f"http://127.0.0.1:{self.PORT}"
        )
        self.PASS_TYPE_IDENTIFIER = env.get("PASS_TYPE_IDENTIFIER", "").strip() or "pass.dev.tessera.example"
        self.TEAM_IDENTIFIER = env.get("TEAM_IDENTIFIER", "").strip() or "TESSERA000"
        self.PASS_CERT_FILE = _file(env, "PASS_CERT_FILE", EXAMPLE_CERTS / "pass.pem")
        self.PASS_KEY_FILE = _file(env, "PASS_KEY_FILE", EXAMPLE_CERTS / "pass.key")
        default_password = "tessera-example" if "PASS_KEY_FILE" not in env else ""
        self.PASS_KEY_PASSWORD = env.get("PASS_KEY_PASSWORD", default_password)
        self.WWDR_CERT_FILE = _file(env, "WWDR_CERT_FILE", EXAMPLE_CERTS / "wwdr.pem")
        self.APNS_URL = _public_url_like(env, "APNS_URL", "https://api.push.apple.com")
        self.APNS_CA_FILE = _file(env, "APNS_CA_FILE", None)
        self.APNS_AUTH = _choice(env, "APNS_AUTH", "certificate", {"certificate", "token"})
        self.APNS_KEY_FILE = _file(env, "APNS_KEY_FILE", None)
        self.APNS_KEY_ID = env.get("APNS_KEY_ID", "").strip() or None
        self.APNS_TEAM_ID = env.get("APNS_TEAM_ID", "").strip() or None
        self.GOOGLE_ISSUER_ID = env.get("GOOGLE_ISSUER_ID", "").strip() or None
        self.GOOGLE_SERVICE_ACCOUNT_FILE = _file(env, "GOOGLE_SERVICE_ACCOUNT_FILE", None)
        self.GOOGLE_WALLET_API_URL = _public_url_like(
            env, "GOOGLE_WALLET_API_URL", "https://walletobjects.googleapis.com/walletobjects/v1"
        )
        self.GOOGLE_TOKEN_URL = _public_url_like(
            env, "GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"
        )
        self.GOOGLE_CALLBACK_KEYS_URL = _public_url_like(
            env, "GOOGLE_CALLBACK_KEYS_URL", "https://pay.google.com/gp/m/issuer/keys"
        )
        _check_google(self.GOOGLE_ISSUER_ID, self.GOOGLE_SERVICE_ACCOUNT_FILE)
        self.PASS_URL_MAX_AGE = _int(env, "PASS_URL_MAX_AGE", 7 * 24 * 3600, 60, 365 * 24 * 3600)
        # The card link in the QR code a new member scans off the till's screen: minutes, not days.
        self.TILL_LINK_MAX_AGE = _int(env, "TILL_LINK_MAX_AGE", 30 * 60, 60, 24 * 3600)
        self.MEMBERS_CSV_MAX_BYTES = _int(env, "MEMBERS_CSV_MAX_BYTES", 5 * 1024 * 1024, 1024, 64 * 1024 * 1024)
        self.MAX_CONTENT_LENGTH = _int(env, "MAX_REQUEST_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024)
        self.EMBEDDED_WORKER = env.get("TESSERA_EMBEDDED_WORKER", "").strip() == "1"
        self.PUSH_MIN_INTERVAL = _float(env, "PUSH_MIN_INTERVAL", 1.0, 0.0, 3600.0)
        self.PUSH_HISTORY_LIMIT = _int(env, "PUSH_HISTORY_LIMIT", 100_000, 100, 100_000_000)
        self.APNS_MAX_STREAMS = _int(env, "APNS_MAX_STREAMS", 100, 1, 1000)
        self.RATELIMIT_STORAGE_URI = _storage_uri(env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://")
        self.JOIN_RATE_LIMIT = _rate_limit(env, "JOIN_RATE_LIMIT", "10 per minute")
        # "Lost your card?" and "send me a fresh link": per connection, then per card (one e-mail at a
        # time, so nobody can flood a member's inbox by typing their address over and over).
        self.CARD_RESEND_RATE_LIMIT = _rate_limit(env, "CARD_RESEND_RATE_LIMIT", "5 per hour")
        self.CARD_MAIL_RATE_LIMIT = _rate_limit(env, "CARD_MAIL_RATE_LIMIT", "1 per 5 minutes")
        # Wallet's log endpoint takes no credential: bounded per address so a flood cannot wipe the real log.
        self.PASSKIT_LOG_RATE_LIMIT = _rate_limit(env, "PASSKIT_LOG_RATE_LIMIT", "30 per minute")
        # An iPhone, a Watch and a few replacements; past it the longest-silent device gives way.
        self.PASSKIT_MAX_DEVICES_PER_CARD = _int(env, "PASSKIT_MAX_DEVICES_PER_CARD", 5, 1, 100)
        # Webhooks to private, loopback, link-local... addresses: fine on a laptop, SSRF in production.
        self.WEBHOOK_ALLOW_PRIVATE = _flag(env, "WEBHOOK_ALLOW_PRIVATE", self.ENV_NAME != "production")
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 believes
        # none, so a client cannot pick the address its rate limits are counted against.
        self.TRUSTED_PROXIES = _int(env, "TRUSTED_PROXIES", 0, 0, 5)
        self._mail_settings(env)
        self.TIMEZONE = _timezone(env)
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE  # times on the pages; figures count its calendar days
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PUBLIC_URL.startswith("https://")
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # a working day, then sign in again
        # A network database may drop idle connections; a local SQLite file never does.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": self.SQLALCHEMY_DATABASE_URI.startswith("postgresql")}
        self.PASSWORD_HASH_COST = "normal"
        self._check_apns_token(env)

    def _mail_settings(self, env: Mapping[str, str]) -> None:
        """SMTP for the card e-mail sent after joining; no SMTP_HOST means no e-mail (logged)."""
        self.SMTP_HOST = env.get("SMTP_HOST", "").strip() or None
        self.SMTP_PORT = _int(env, "SMTP_PORT", 587, 1, 65535)
        self.SMTP_USER = env.get("SMTP_USER", "").strip() or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _flag(env, "SMTP_STARTTLS", True)
        self.SMTP_TIMEOUT = _float(env, "SMTP_TIMEOUT", 5.0, 0.1, 120.0)
        self.MAIL_FROM = env.get("MAIL_FROM", "").strip() or None
        if self.SMTP_HOST and not self.MAIL_FROM:
            raise ConfigError("MAIL_FROM is required when SMTP_HOST is set (e.g. 'Shop <cards@shop.example>')")
        if self.MAIL_FROM and "@" not in self.MAIL_FROM:
            raise ConfigError(f"MAIL_FROM must be an e-mail address, got {self.MAIL_FROM!r}")
        # Without a mail server, development prints every e-mail whole (its links included) to the
        # console, so a demo owner locked out can still reset the password.
        self.MAIL_CONSOLE = _flag(env, "MAIL_CONSOLE", self.ENV_NAME == "development")

    def _check_apns_token(self, env: Mapping[str, str]) -> None:
        if self.APNS_AUTH != "token":
            return
        for name in ("APNS_KEY_FILE", "APNS_KEY_ID", "APNS_TEAM_ID"):
            if not env.get(name, "").strip():
                raise ConfigError(f"{name} is required when APNS_AUTH=token")

    @property
    def google_wallet_enabled(self) -> bool:
        return bool(self.GOOGLE_ISSUER_ID and self.GOOGLE_SERVICE_ACCOUNT_FILE)

    def as_mapping(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _check_google(issuer_id: str | None, account_file: str | None) -> None:
    """A wrong issuer id or key file would only show when the first card is saved: stop now."""
    from passes.google.account import ServiceAccountError, load_service_account

    if issuer_id is not None and not issuer_id.isdigit():
        raise ConfigError(f"GOOGLE_ISSUER_ID must be the number of your Google Wallet issuer, got {issuer_id!r}")
    if account_file is None:
        return
    try:
        load_service_account(Path(account_file).read_text(encoding="utf-8"))
    except (ServiceAccountError, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, ServiceAccountError) else "is not UTF-8 text"
        raise ConfigError(f"GOOGLE_SERVICE_ACCOUNT_FILE {account_file!r} {reason} (a service-account key JSON "
                          "with client_email and private_key)") from None


def _public_url_like(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name} must be an absolute http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"1", "0", "true", "false", "yes", "no"}:
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in {"1", "true", "yes"}


def _storage_uri(raw: str) -> str:
    scheme = urlsplit(raw).scheme
    if scheme not in {"memory", "redis", "rediss", "redis+sentinel", "redis+cluster", "memcached"}:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must be memory:// or a redis:// URL, got {raw!r}")
    return raw


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse

    raw = env.get(name, "").strip() or default
    try:
        parse(raw)
    except ValueError:
        raise ConfigError(f"{name} must read like '10 per minute', got {raw!r}") from None
    return raw


class TestingConfig(Config):
    """Used by the test suite: cheap password hashing, no CSRF in the test client by default."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.PASSWORD_HASH_COST = "cheap"
        self.WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    """Refuses what is only safe on a developer's machine."""

    ENV_NAME = "production"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        super().__init__(env)
        if self.SECRET_KEY_IS_DEFAULT:
            raise ConfigError("SECRET_KEY must be set to a long random value in production")
        if len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        if not self.PUBLIC_URL.startswith("https://"):
            raise ConfigError(f"PUBLIC_URL must be https in production, got {self.PUBLIC_URL!r}")
        for name in ("PASS_CERT_FILE", "PASS_KEY_FILE", "WWDR_CERT_FILE"):
            value = getattr(self, name)
            if value and Path(value).resolve().is_relative_to(EXAMPLE_CERTS.resolve()):
                raise ConfigError(f"{name} is the bundled example certificate, refused in production")
        if "PASS_TYPE_IDENTIFIER" not in env or "TEAM_IDENTIFIER" not in env:
            raise ConfigError("PASS_TYPE_IDENTIFIER and TEAM_IDENTIFIER must be set in production")
        if self.MAIL_CONSOLE:
            raise ConfigError("MAIL_CONSOLE prints sign-in and card links to the console; it is refused in production")


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    name = _choice(env, "TESSERA_ENV", "development", set(CONFIGS))
    return CONFIGS[name](env)
