"""``bastion proxy --upstream URL``: run the guard proxy with uvicorn.

bastion keys create --name my-app                       # the clients' key
export OPENAI_API_KEY=sk-...                           # the proxy's own upstream key
bastion proxy --upstream https://api.openai.com/v1 --port 8080
# clients: OpenAI(base_url="http://127.0.0.1:8080/v1", api_key="<bastion key>")
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from typing import Any

from bastion.api.server import add_guard_flags
from bastion.api.settings import Settings
from bastion.stream import DEFAULT_CHECK_EVERY, DEFAULT_HOLDBACK

log = logging.getLogger("bastion.proxy")


def _run(args: argparse.Namespace) -> int:

    from bastion.api.serving import run_until_loaded_or_failed, uvicorn_config
    from bastion.guard import Guard
    from bastion.proxy.app import ProxyConfig, create_proxy_app

    key = os.environ.get(args.upstream_key_env) or None
    if key is None:
        # local upstreams (vLLM, Ollama, a test server) often need no key
        log.warning("%s is not set: calling the upstream without an API key", args.upstream_key_env)
    config = ProxyConfig(
        args.upstream,
        upstream_key=key,
        upstream_timeout_s=args.upstream_timeout_s,
        holdback=args.holdback,
        check_every=args.check_every,
        canary=args.canary,
    )
    from bastion.api.server import guard_spec, no_keys_notice, store_flags

    # one database for keys and the audit trail, as bastion serve: --store-url is its alias
    db_url, audit_store, notice = store_flags(args)
    settings = Settings.from_cli(args, db_url=db_url, audit_store=audit_store)
    if notice:
        print(notice.replace("bastion serve:", "bastion proxy:"), file=sys.stderr)
    factory = functools.partial(Guard.from_spec, guard_spec(args))

    app = create_proxy_app(config, settings=settings, guard_factory=factory)
    no_keys = no_keys_notice(settings, "proxy")
    if no_keys:
        print(no_keys, file=sys.stderr)
    cfg = uvicorn_config(
        app, settings, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log
    )
    return run_until_loaded_or_failed(app, cfg, "proxy")


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def add_parser(subparsers: Any) -> None:
    """Register ``bastion proxy``."""
    p = subparsers.add_parser(
        "proxy", help="OpenAI-compatible guard proxy in front of an LLM API (needs the 'proxy' extra)"
    )
    p.add_argument(
        "--upstream", required=True, help="upstream OpenAI base URL, e.g. https://api.openai.com/v1"
    )
    p.add_argument(
        "--upstream-key-env",
        default="OPENAI_API_KEY",
        help="environment variable holding the proxy's upstream API key (default OPENAI_API_KEY)",
    )
    p.add_argument(
        "--upstream-timeout-s",
        type=float,
        default=600.0,
        help="read timeout for upstream answers (default 600)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_guard_flags(p)
    p.add_argument(
        "--holdback",
        type=_positive,
        default=DEFAULT_HOLDBACK,
        help=f"characters of a streamed answer held back until they are checked (default {DEFAULT_HOLDBACK})",
    )
    p.add_argument(
        "--check-every",
        type=_positive,
        default=DEFAULT_CHECK_EVERY,
        help=f"new characters of a streamed answer between two checks (default {DEFAULT_CHECK_EVERY})",
    )
    p.add_argument(
        "--canary", action="store_true", help="plant a fresh canary in each request's system prompt"
    )
    p.add_argument(
        "--db",
        help="database URL for API keys and, with --audit-store, the audit trail "
        "(default: $BASTION_DB_URL, else $BASTION_HOME/bastion.db)",
    )
    p.add_argument(
        "--audit-store",
        action="store_true",
        help="record every checked request in the database's hash-chained audit trail (needs the "
        "store extra and an audit key; env BASTION_AUDIT_STORE=1); a trail written before schema "
        "0003 must be sealed first (bastion audit seal)",
    )
    p.add_argument("--no-auth", action="store_true", help="no bastion API keys (local development only)")
    p.add_argument(
        "--rate-limit", help="per-key limit such as '600/minute', or 'none' (env BASTION_RATE_LIMIT)"
    )
    p.add_argument(
        "--auth-failure-limit",
        help="failed authentications allowed per client IP (default '30/minute'), or 'none' "
        "(env BASTION_AUTH_FAILURE_LIMIT)",
    )
    p.add_argument("--redis-url", help="share rate-limit budgets through Redis (env BASTION_REDIS_URL)")
    p.add_argument("--threads", type=int, help="guard worker threads (default 1)")
    p.add_argument("--max-text-chars", type=int, help="longest message accepted (default 100000)")
    p.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default 1 MiB)")
    p.add_argument("--store-url", metavar="URL", help="deprecated: the same as --db URL --audit-store")
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(func=_run)


__all__ = ["add_parser"]
