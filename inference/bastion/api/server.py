"""``bastion serve``: run the HTTP API with uvicorn.

bastion keys create --name my-service        # prints the key once
bastion serve --host 127.0.0.1 --port 8000
curl -H "Authorization: Bearer $KEY" -d '{"text": "hi"}' localhost:8000/v1/check
"""

from __future__ import annotations

import argparse
from typing import Any

from bastion.api.settings import MODES


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from bastion.api.app import create_app
    from bastion.api.serving import uvicorn_config
    from bastion.api.settings import Settings
    from bastion.guard import Guard

    settings = Settings.from_env(
        auth_enabled=False if args.no_auth else None,
        db_url=args.db,
        rate_limit=args.rate_limit,
        auth_failure_limit=args.auth_failure_limit,
        redis_url=args.redis_url,
        mode=args.mode,
        inference_threads=args.threads,
        store_url=args.store_url,
        max_text_chars=args.max_text_chars,
        max_body_bytes=args.max_body_bytes,
        large_request_chars=args.large_request_chars,
        session_ttl_s=args.session_ttl_s,
        otel=True if args.otel else None,
    )
    for name in ("rate_limit", "auth_failure_limit"):
        value = getattr(settings, name)
        if value and value.lower() in ("none", "off", "0"):
            settings = settings.with_(**{name: None})
    guard_config = args.config

    def factory() -> Guard:
        return Guard.from_config(guard_config) if guard_config else Guard.default()

    app = create_app(settings=settings, guard_factory=factory)
    config = uvicorn_config(
        app, settings, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log
    )
    uvicorn.Server(config).run()
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``bastion serve``."""
    p = subparsers.add_parser("serve", help="run the HTTP API (needs the 'api' extra)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--config", help="Guard YAML config (default: shipped models, degraded if missing)")
    p.add_argument("--db", help="API-key database URL (default: $BASTION_DB_URL or a SQLite file)")
    p.add_argument("--no-auth", action="store_true", help="disable API keys (local development only)")
    p.add_argument(
        "--rate-limit", help="per-key limit such as '600/minute', or 'none' (env BASTION_RATE_LIMIT)"
    )
    p.add_argument(
        "--auth-failure-limit",
        help="failed authentications allowed per client IP, e.g. '30/minute' (the default), or 'none' "
        "(env BASTION_AUTH_FAILURE_LIMIT)",
    )
    p.add_argument("--redis-url", help="share rate-limit budgets through Redis (env BASTION_REDIS_URL)")
    p.add_argument("--mode", choices=MODES, help="how inference runs off the event loop (default: batcher)")
    p.add_argument("--threads", type=int, help="inference worker threads")
    p.add_argument("--max-text-chars", type=int, help="longest text accepted (default 100000)")
    p.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default 1 MiB)")
    p.add_argument(
        "--large-request-chars",
        type=int,
        help="requests over this many characters run in their own lane (default 20000)",
    )
    p.add_argument(
        "--store-url",
        help="privacy store database URL: records checks in its audit trail and, with BASTION_VAULT_KEY, "
        "enables pseudonymisation sessions and /v1/restore (env BASTION_STORE_URL)",
    )
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
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(func=_run)
