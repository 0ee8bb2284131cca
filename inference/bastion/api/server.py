"""``bastion serve``: run the HTTP API with uvicorn.

bastion keys create --name my-service        # prints the key once
bastion serve --host 127.0.0.1 --port 8000      # --guard mymodule:make_guard for custom detectors
curl -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d '{"text": "hi"}' localhost:8000/v1/check
"""

from __future__ import annotations

import argparse
import functools
import sys
from typing import TYPE_CHECKING, Any

from bastion.api.settings import MODES
from bastion.errors import ConfigError

if TYPE_CHECKING:
    from bastion.config import GuardSpec

STORE_URL_DEPRECATED = "bastion serve: --store-url is deprecated: use --db URL --audit-store (one database)"


def store_flags(args: argparse.Namespace) -> tuple[str | None, bool | None, str | None]:
    """``(db_url, audit_store, notice)`` from ``--db``, ``--audit-store`` and the deprecated
    ``--store-url URL`` (an alias of ``--db URL --audit-store``; a different ``--db`` is an
    error: keys and audit trail share one database now).

    >>> store_flags(argparse.Namespace(db=None, audit_store=False, store_url="sqlite:///a.db"))[:2]
    ('sqlite:///a.db', True)
    """
    db, audit = args.db, True if args.audit_store else None
    if not args.store_url:
        return db, audit, None
    if db and db != args.store_url:
        from bastion.store.urls import safe_url

        raise ConfigError(
            f"--store-url ({safe_url(args.store_url)}) and --db ({safe_url(db)}) differ: API keys, audit trail and "
            "sessions share one database now; use --db URL --audit-store"
        )
    return args.store_url, True, STORE_URL_DEPRECATED


GUARD_HELP = (
    "the guard as `bastion scan --guard` takes it: a YAML path, 'module:function' returning a Guard "
    "(how custom detectors are served), 'tasks=pii' or 'default'"
)


def guard_spec(args: argparse.Namespace) -> GuardSpec:
    """The :class:`~bastion.config.GuardSpec` of ``--guard SPEC`` (parsed as ``scan`` parses
    it) or ``--config PATH`` (a YAML path only).

    >>> guard_spec(argparse.Namespace(guard="mymodule:make_guard", config=None)).factory
    'mymodule:make_guard'
    """
    from bastion.config import GuardSpec

    if getattr(args, "guard", None):
        return GuardSpec.parse(args.guard)
    return GuardSpec(config=args.config or None)


def add_guard_flags(p: Any) -> None:
    """``--config PATH`` or ``--guard SPEC`` (one of them), for ``serve`` and ``proxy``."""
    which = p.add_mutually_exclusive_group()
    which.add_argument("--config", help="Guard YAML config (default: shipped models, degraded if missing)")
    which.add_argument("--guard", metavar="SPEC", help=GUARD_HELP)


def ui_default(host: str) -> bool:
    """Whether ``/ui`` is on without ``--ui/--no-ui``: only when serving on loopback.

    >>> ui_default("127.0.0.1"), ui_default("::1"), ui_default("localhost"), ui_default("0.0.0.0")
    (True, True, True, False)
    """
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def no_keys_notice(settings: Any, command: str) -> str | None:
    """The stderr line for a server with API keys on and no active key in its database
    (every /v1 request would get 401 "unknown API key" and nothing would say why: a key
    made under another BASTION_HOME, or none made yet); None otherwise."""
    if not settings.auth_enabled:
        return None
    from bastion.api.keys import KeyStore
    from bastion.api.settings import default_db_url
    from bastion.store.urls import safe_url

    url = settings.db_url or default_db_url()
    try:
        store = KeyStore(url)
        active = [k for k in store.list() if not k.revoked]
        store.engine.dispose()
    except Exception:  # the server's own start reports an unusable database
        return None
    if active:
        return None
    return (
        f"bastion {command}: no active API key in {safe_url(url)}: every /v1 request will get 401; "
        "create one with `bastion keys create --name NAME` (same BASTION_HOME or --db)"
    )


def _run(args: argparse.Namespace) -> int:

    from bastion.api.app import create_app
    from bastion.api.serving import run_until_loaded_or_failed, uvicorn_config
    from bastion.api.settings import Settings
    from bastion.api.ui import set_enabled as set_ui_enabled
    from bastion.guard import Guard

    db_url, audit_store, notice = store_flags(args)
    settings = Settings.from_cli(
        args,
        db_url=db_url,
        audit_store=audit_store,
        mode=args.mode,
        large_request_chars=args.large_request_chars,
        session_ttl_s=args.session_ttl_s,
        otel=True if args.otel else None,
        forwarded_allow_ips=args.forwarded_allow_ips,
        dashboard_all_keys=True if args.dashboard_all_keys else None,
    )
    spec = guard_spec(args)  # checked now, built when the app starts
    app = create_app(settings=settings, guard_factory=functools.partial(Guard.from_spec, spec))
    sessions = app.state.bastion.sessions
    if sessions is not None and sessions.key_error is not None:
        # a vault key that is set but malformed, unreadable or not the one the store was
        # written with: serving would turn every session into errors (or, before the key
        # check, mix entries under two keys), so it is a startup error like a bad --rate-limit
        sessions.store.close()
        raise ConfigError(f"{sessions.key_error}; pseudonymisation sessions cannot start")
    set_ui_enabled(app, ui_default(args.host) if args.ui is None else args.ui)
    if notice:
        # after the app (and its store) opened: a failing start shows its one error line only
        print(notice, file=sys.stderr)
    no_keys = no_keys_notice(settings, "serve")
    if no_keys:
        print(no_keys, file=sys.stderr)
    if not settings.auth_enabled:
        print(
            f"bastion serve: API keys are OFF (--no-auth or BASTION_AUTH=0): anyone who can reach "
            f"{args.host}:{args.port} can call the API",
            file=sys.stderr,
        )
    config = uvicorn_config(
        app, settings, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log
    )
    return run_until_loaded_or_failed(app, config, "serve")


def add_parser(subparsers: Any) -> None:
    """Register ``bastion serve``."""
    p = subparsers.add_parser("serve", help="run the HTTP API (needs the 'api' extra)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    add_guard_flags(p)
    p.add_argument(
        "--db",
        help="database URL for API keys and, with --audit-store, the audit trail and sessions "
        "(default: $BASTION_DB_URL, else $BASTION_HOME/bastion.db); command lines are visible to "
        "every local user, so give a password through BASTION_DB_URL or PGPASSFILE instead",
    )
    p.add_argument(
        "--audit-store",
        action="store_true",
        help="record every check in the database's hash-chained audit trail (needs the store extra "
        "and an audit key: BASTION_AUDIT_HMAC_KEY or `bastion audit init`); with BASTION_VAULT_KEY "
        "also enables pseudonymisation sessions and /v1/restore (env BASTION_AUDIT_STORE=1)",
    )
    p.add_argument("--no-auth", action="store_true", help="disable API keys (local development only)")
    p.add_argument(
        "--rate-limit", help="per-key limit such as '600/minute', or 'none' (env BASTION_RATE_LIMIT)"
    )
    p.add_argument(
        "--auth-failure-limit",
        help="failed authentications allowed per client IP, e.g. '30/minute' (the default), or 'none' "
        "(env BASTION_AUTH_FAILURE_LIMIT)",
    )
    p.add_argument(
        "--redis-url",
        help="share rate-limit budgets through Redis (env BASTION_REDIS_URL: prefer it when the URL "
        "holds a password, which a command line shows to every local user)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        help="reverse proxies whose X-Forwarded-For gives the client address, comma-separated or '*' "
        "(env BASTION_FORWARDED_ALLOW_IPS; default: the header is ignored)",
    )
    p.add_argument("--mode", choices=MODES, help="how inference runs off the event loop (default: batcher)")
    p.add_argument("--threads", type=int, help="inference worker threads")
    p.add_argument("--max-text-chars", type=int, help="longest text accepted (default 100000)")
    p.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default 1 MiB)")
    p.add_argument(
        "--large-request-chars",
        type=int,
        help="requests over this many characters run in their own lane (default 20000)",
    )
    p.add_argument("--store-url", metavar="URL", help="deprecated: the same as --db URL --audit-store")
    p.add_argument(
        "--session-ttl-s",
        type=float,
        help="lifetime of a pseudonymisation session from its first value (default 86400; "
        "env BASTION_SESSION_TTL_S)",
    )
    p.add_argument(
        "--otel",
        action="store_true",
        help="OpenTelemetry spans per request, attributes only (env BASTION_OTEL=1; needs the otel extra)",
    )
    p.add_argument(
        "--ui",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the browser playground at /ui and dashboard at /ui/dashboard (default: on when --host "
        "is a loopback address, off otherwise)",
    )
    p.add_argument(
        "--dashboard-all-keys",
        action="store_true",
        help="the dashboard shows every key's audit rows and the chain check to any API key "
        "(one tenant per server only; default: each key sees its own rows; env BASTION_DASHBOARD_ALL_KEYS=1)",
    )
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(func=_run)
