"""``bastion proxy``: an OpenAI-compatible guard proxy in front of any OpenAI-compatible API.

Clients point the ``openai`` client's ``base_url`` at the proxy and authenticate with a
bastion API key; the proxy checks the messages, pseudonymises PII on the way up, calls the
upstream with its own key, checks the answer (JSON or SSE stream) and restores the
pseudonyms on the way down. See ``docs/proxy.md``. Needs the ``api`` extra and ``httpx``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ProxyConfig", "create_proxy_app"]


def __getattr__(name: str) -> Any:
    # lazy: importing bastion.proxy (e.g. for the CLI parser) never pulls in FastAPI
    if name in __all__:
        from bastion.proxy import app

        return getattr(app, name)
    raise AttributeError(name)
