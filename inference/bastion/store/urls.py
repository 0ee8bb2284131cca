"""Database and Redis URLs as they may be shown: in error messages, logs and JSON output.

Standard library only, so the API's Redis code and the CLI can use it before (or without)
SQLAlchemy parsing anything: the URLs that most need masking are the ones no parser
accepts, and a parse error must not be what prints the password.

>>> safe_url("postgresql://app:s3cret@db:5432/bastion")
'postgresql://app:***@db:5432/bastion'
>>> safe_url("postgresql://app@db/bastion?sslmode=require&password=s3cret")
'postgresql://app@db/bastion?sslmode=require&password=***'
>>> safe_url("redis//:s3cret@cache:6379/0")
'redis//:***@cache:6379/0'
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

MASK = "***"
# libpq takes the password as ``password`` or ``sslpassword``; anything else named like a
# credential (an access token, an API key) is hidden too: over-masking costs nothing here.
_SECRET_PARAM = re.compile(r"pass|secret|token|key", re.IGNORECASE)


def _text(url: Any) -> str:
    # a SQLAlchemy URL renders its password masked or not: unmasked, so that one function
    # decides what is hidden, for query parameters too
    render = getattr(url, "render_as_string", None)
    return render(hide_password=False) if callable(render) else str(url)


def _userinfo_end(rest: str) -> int:
    """Where the ``user:password@`` part of ``rest`` (the URL after its ``//``) ends: the
    index of its ``@``, or -1. A password may hold an unescaped ``?`` or ``/`` (libpq and
    SQLAlchemy read up to the ``@``), so an ``@`` after the first ``?`` still counts when
    no ``=`` or ``&`` comes before it: that is userinfo, not a query value."""
    q = rest.find("?")
    at = rest.rfind("@", 0, q if q >= 0 else len(rest))
    if at >= 0 or q < 0:
        return at
    tail = rest[q:]
    later = tail.find("@")
    if later >= 0 and not re.search(r"[=&]", tail[:later]):
        return q + later
    return -1


def _mask_query(query: str) -> str:
    parts = []
    for item in query.split("&"):
        name, eq, _value = item.partition("=")
        parts.append(f"{name}={MASK}" if eq and _SECRET_PARAM.search(name) else item)
    return "&".join(parts)


def safe_url(url: Any) -> str:
    """``url`` (a string or a SQLAlchemy ``URL``) with its password and any credential-like
    query parameter (``password``, ``sslpassword``, ``...token``, ``...key``, ...) replaced
    by ``***``; malformed URLs too (a missing ``:`` after the scheme, a bad port).

    >>> safe_url("postgresql+psycopg://u:p%40ss@h/db?options=-csearch_path%3Dx")
    'postgresql+psycopg://u:***@h/db?options=-csearch_path%3Dx'
    >>> safe_url("redis://:pw@127.0.0.1:notaport/0"), safe_url("sqlite:///tmp/a.db")
    ('redis://:***@127.0.0.1:notaport/0', 'sqlite:///tmp/a.db')
    """
    text = _text(url)
    start = text.find("//")
    head, rest = (text[: start + 2], text[start + 2 :]) if start >= 0 else ("", text)
    at = _userinfo_end(rest)
    if at >= 0:
        user, colon, _password = rest[:at].partition(":")
        rest = (f"{user}:{MASK}" if colon else user) + rest[at:]
    path, q, query = rest.partition("?")
    if q:
        fragment_at = query.find("#")
        fragment = "" if fragment_at < 0 else query[fragment_at:]
        query = _mask_query(query if fragment_at < 0 else query[:fragment_at]) + fragment
    return head + path + q + query


def url_secrets(url: Any) -> list[str]:
    """The secret values :func:`safe_url` hides, as written in the URL and decoded, longest
    first: to cut them from a driver's message that quotes them.

    >>> url_secrets("postgresql://u:pw1@h/db?sslpassword=p%24w&sslmode=require")
    ['p%24w', 'p$w', 'pw1']
    """
    text = _text(url)
    start = text.find("//")
    rest = text[start + 2 :] if start >= 0 else text
    found = []
    at = _userinfo_end(rest)
    if at >= 0:
        found.append(rest[:at].partition(":")[2])
        rest = rest[at:]
    for item in rest.partition("?")[2].split("#")[0].split("&"):
        name, eq, value = item.partition("=")
        if eq and _SECRET_PARAM.search(name):
            found.append(value)
    return sorted({v for s in found for v in (s, unquote(s)) if v}, key=lambda v: (-len(v), v))


__all__ = ["MASK", "safe_url", "url_secrets"]
