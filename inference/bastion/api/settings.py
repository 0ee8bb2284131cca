"""Server settings: one frozen object, built from the environment and CLI flags.

Where the database is and which audit key fingerprints texts come from
:mod:`bastion.home`, as for every other command: ``--db`` / ``$BASTION_DB_URL`` /
``$BASTION_HOME/bastion.db`` holds the API keys and, with ``audit_store`` on, the audit
trail and pseudonymisation sessions.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from bastion.errors import ConfigError
from bastion.home import LEGACY_STORE_URL_ENV, configured_audit_key, ensure_home, resolve_db_url

MODES = ("batcher", "threadpool")
AUDIT_STORE_ENV = "BASTION_AUDIT_STORE"


def default_db_url(explicit: str | None = None) -> str:
    """The one database URL (:func:`bastion.home.resolve_db_url`): ``explicit``, else
    ``$BASTION_DB_URL`` (or the deprecated ``$BASTION_STORE_URL``), else
    ``$BASTION_HOME/bastion.db``, whose directory is created (0700) here."""
    loc = resolve_db_url(explicit)
    if loc.is_default:
        ensure_home()
    return loc.url


_T = TypeVar("_T", int, float)
MAX_SESSION_TTL_S = 10 * 365 * 86_400.0


def _positive(default: _T) -> _T:
    """A field that must be > 0 (``Settings.__post_init__`` checks every one)."""
    return field(default=default, metadata={"positive": True})


def _env_bool(name: str, default: bool) -> bool:
    """A yes/no variable; unset or empty is ``default``. Anything else is a ConfigError: a
    typo must not switch a protection off (``BASTION_AUTH=enabled`` once meant "no auth")."""
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"${name} must be one of 1/true/yes/on or 0/false/no/off, got {os.environ[name]!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the API server can be tuned with.

    ``audit_hmac_key`` keys the text fingerprint written to audit logs. ``from_env`` takes
    the configured audit key (:func:`bastion.home.configured_audit_key`: the one the audit
    trail uses, so log lines and audit rows fingerprint a text alike); with none configured
    a random per-process key is used, so fingerprints only correlate within one process.

    ``audit_store``: record every check in the audit trail of ``db_url`` (and enable
    pseudonymisation sessions when a vault key is set). ``store_url`` is the older way to
    name that database apart; it wins over ``db_url`` for the audit trail when set.

    >>> s = Settings(auth_enabled=False, rate_limit="5/second")
    >>> s.mode, s.max_batch
    ('batcher', 64)
    """

    auth_enabled: bool = True
    db_url: str | None = None
    rate_limit: str | None = "600/minute"
    redis_url: str | None = None
    # benchmarks/bench_api.py with the shipped ONNX models (2 cores): the micro-batcher gave
    # 42.8 req/s at concurrency 32 (p50 733 ms) vs 29.1 (p50 1093 ms) for the thread pool,
    # and was level at concurrency 1; on the model-less degraded Guard the two were even.
    mode: str = "batcher"
    batch_max_size: int = _positive(32)
    batch_max_wait_ms: float = 1.0
    inference_threads: int = _positive(1)
    max_body_bytes: int = _positive(1_048_576)
    max_text_chars: int = _positive(100_000)
    max_batch: int = _positive(64)
    # a request whose texts total more characters than this runs in its own lane (one
    # worker), so a few huge requests never queue small ones behind them
    large_request_chars: int = _positive(20_000)
    # texts per check_many call are also bounded by their total size, so one batch stays short
    batch_max_chars: int = _positive(50_000)
    # failed authentications allowed per client IP before 429 (None: unlimited)
    auth_failure_limit: str | None = "30/minute"
    # connection timeouts (seconds): request head, request body, idle keep-alive
    header_timeout_s: float = _positive(10.0)
    body_timeout_s: float = _positive(30.0)
    keep_alive_timeout_s: float = _positive(5.0)
    max_header_bytes: int = _positive(16_384)
    audit_hmac_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    audit_store: bool = False
    store_url: str | None = None
    # pseudonymisation sessions (need the audit store and a vault key): absolute lifetime of a
    # session from its first stored value
    session_ttl_s: float = _positive(86_400.0)
    # OpenTelemetry spans around requests (attributes only, never text)
    otel: bool = False
    # addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, "*"
    # for any). None: the header is ignored, so a client cannot choose the address its
    # per-IP limits are counted under
    forwarded_allow_ips: str | None = None
    # /docs and /redoc from local assets (the fastapi-offline package)
    docs: bool = True
    # /ui/api/dashboard shows every key's rows and the chain's verify report to any key: only
    # for a server of one tenant (by default each key sees its own rows)
    dashboard_all_keys: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        for f in fields(self):
            if f.metadata.get("positive") and not getattr(self, f.name) > 0:
                raise ConfigError(f"{f.name} must be positive")
        if self.batch_max_wait_ms < 0:
            raise ConfigError("batch_max_wait_ms must be >= 0")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{f.name} must be a finite number")
        if self.session_ttl_s > MAX_SESSION_TTL_S:
            raise ConfigError(f"session_ttl_s must be at most {MAX_SESSION_TTL_S:.0f} s (ten years)")

    @property
    def audit_store_url(self) -> str | None:
        """The database the audit trail (and sessions) use, or ``None`` when off."""
        if self.store_url:
            return self.store_url
        if self.audit_store:
            return self.db_url or default_db_url()
        return None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from ``BASTION_*`` environment variables, then explicit overrides
        (``None`` overrides are ignored so unset CLI flags keep the environment's value).

        ``$BASTION_AUDIT_STORE=1`` turns the audit store on; so does the deprecated
        ``$BASTION_STORE_URL``, which named the audit database (it is now an alias of
        ``$BASTION_DB_URL``, see :mod:`bastion.home`)."""
        env = os.environ
        values: dict[str, Any] = {
            "auth_enabled": _env_bool("BASTION_AUTH", True),
            # resolved once, with the explicit --db first: a flag must win over (and not
            # trip on) the environment
            "db_url": default_db_url(overrides.pop("db_url", None)),
            "rate_limit": env.get("BASTION_RATE_LIMIT", cls.rate_limit) or None,
            "auth_failure_limit": env.get("BASTION_AUTH_FAILURE_LIMIT", cls.auth_failure_limit) or None,
            "redis_url": env.get("BASTION_REDIS_URL") or None,
            "mode": env.get("BASTION_API_MODE", cls.mode),
            "audit_store": _env_bool(AUDIT_STORE_ENV, False) or bool(env.get(LEGACY_STORE_URL_ENV)),
            "otel": _env_bool("BASTION_OTEL", False),
            "forwarded_allow_ips": env.get("BASTION_FORWARDED_ALLOW_IPS") or None,
            "dashboard_all_keys": _env_bool("BASTION_DASHBOARD_ALL_KEYS", False),
        }
        for name, var in (
            ("header_timeout_s", "BASTION_HEADER_TIMEOUT_S"),
            ("body_timeout_s", "BASTION_BODY_TIMEOUT_S"),
            ("keep_alive_timeout_s", "BASTION_KEEP_ALIVE_TIMEOUT_S"),
            ("session_ttl_s", "BASTION_SESSION_TTL_S"),
        ):
            if env.get(var):
                try:
                    values[name] = float(env[var])
                except ValueError:
                    raise ConfigError(f"{var} must be a number of seconds, got {env[var]!r}") from None
        key = configured_audit_key()
        if key is not None:
            values["audit_hmac_key"] = key
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_cli(cls, args: argparse.Namespace, **overrides: Any) -> Settings:
        """:meth:`from_env` under the flags ``bastion serve`` and ``bastion proxy`` share
        (``--no-auth``, ``--rate-limit``, ``--auth-failure-limit``, ``--redis-url``,
        ``--threads``, ``--max-text-chars``, ``--max-body-bytes``) and the command's own
        ``overrides``; a limit of ``none``, ``off`` or ``0`` (flag or environment) is no limit.

        >>> flags = dict(no_auth=True, rate_limit="off", auth_failure_limit=None, redis_url=None)
        >>> flags |= dict(threads=2, max_text_chars=None, max_body_bytes=None)
        >>> s = Settings.from_cli(argparse.Namespace(**flags), db_url="sqlite://")
        >>> s.auth_enabled, s.rate_limit, s.inference_threads
        (False, None, 2)
        """
        settings = cls.from_env(
            auth_enabled=False if args.no_auth else None,
            rate_limit=args.rate_limit,
            auth_failure_limit=args.auth_failure_limit,
            redis_url=args.redis_url,
            inference_threads=args.threads,
            max_text_chars=args.max_text_chars,
            max_body_bytes=args.max_body_bytes,
            **overrides,
        )
        for name in ("rate_limit", "auth_failure_limit"):
            value = getattr(settings, name)
            if value and value.lower() in ("none", "off", "0"):
                settings = settings.with_(**{name: None})
        return settings

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
