"""API keys in URLs: detect them (the API refuses such requests) and scrub them from logs.

Keys belong in the ``Authorization`` header; a key in a query string ends up in access
logs, proxy logs and browser history, so the server answers 400 and never logs its value.

>>> scrub_target("/v1/check?api_key=bst_ab_cd&lang=en")
'/v1/check?api_key=REDACTED&lang=en'
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

# query parameters that carry credentials; their values never reach a log line
KEY_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "auth",
        "authorization",
        "bearer",
        "secret",
        "password",
        "x-api-key",
    }
)
# a match starts only where a parameter starts (the string's start or after & / ;): unanchored,
# every position of a long run without "=" was a new start that rescanned the rest of the
# run, quadratic in the query length (16 KiB of "a" took ~10 s). The matches are the same:
# a parameter without "=" cannot hold one starting inside it either.
_PARAM = re.compile(r"(?:^|(?<=[&;]))(?P<name>[^&=;]*)=(?P<value>[^&;]*)")
# a bastion key anywhere in a query string, under any parameter name
_BASTION_KEY = re.compile(r"bst(?:_|%5[Ff])[A-Za-z0-9]+(?:_|%5[Ff])[A-Za-z0-9_\-%]+")


def _is_key_param(name: str) -> bool:
    return unquote_plus(name).strip().lower() in KEY_PARAMS


def has_key_param(query: str) -> bool:
    """Whether a query string carries something that looks like an API key.

    >>> has_key_param("a=1&api_key=bst_x_y"), has_key_param("q=hello")
    (True, False)
    """
    if _BASTION_KEY.search(query) or _BASTION_KEY.search(unquote_plus(query)):
        return True
    return any(_is_key_param(m.group("name")) for m in _PARAM.finditer(query))


def scrub_query(query: str) -> str:
    """The query string with the values of key-like parameters replaced.

    >>> scrub_query("x=1&api_key=bst_ab_cd&token=t")
    'x=1&api_key=REDACTED&token=REDACTED'
    """

    def sub(m: re.Match[str]) -> str:
        return f"{m.group('name')}=REDACTED" if _is_key_param(m.group("name")) else m.group(0)

    scrubbed = _BASTION_KEY.sub("REDACTED", _PARAM.sub(sub, query))
    # a key spelt with other percent-escapes ("%62st_..."): the whole query goes
    return "REDACTED" if _BASTION_KEY.search(unquote_plus(scrubbed)) else scrubbed


def scrub_target(target: str) -> str:
    """A request target (``/path?query``) with key-like query values replaced, and a key
    pasted into the path itself.

    >>> scrub_target("/v1/check/bst_6b4107dd1743_s3cr3t?x=1&token=t")
    '/v1/check/REDACTED?x=1&token=REDACTED'
    """
    path, sep, query = target.partition("?")
    path = _BASTION_KEY.sub("REDACTED", path)
    if _BASTION_KEY.search(unquote_plus(path)):
        path = "REDACTED"
    return path + sep + scrub_query(query) if sep else path


# The only query parameters the server reads (the dashboard's period); every other value,
# and every path segment that is not a plain name, is the client's mistake and may be PII
# ("/v1/check/jane.doe@example.com?ssn=078-05-1120", "?openai_key=sk-...").
LOGGED_PARAMS = frozenset({"period", "since", "until"})
_PLAIN_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")


def _plain(segment: str) -> bool:
    """A path segment that reads as a name ("check", "app.js"), not a value a client pasted
    (an e-mail, a number, a key: "sk-proj-...", "ghp_...", "AKIA...": long and digit-laden)."""
    if not _PLAIN_SEGMENT.fullmatch(segment) or "@" in segment:
        return False
    if len(segment) > 24 or sum(c.isdigit() for c in segment) > 3:
        return False
    # a long name is written in lower case ("playground.html"); upper case that long is an id
    return len(segment) < 16 or not any(c.isupper() for c in segment)


def log_target(target: str) -> str:
    """What a log line shows of a request target: :func:`scrub_target`, then the values of
    parameters the server does not read, and path segments that are not plain names, as
    ``REDACTED``.

    >>> log_target("/v1/check/jane.doe@example.com?ssn=078-05-1120&period=1h")
    '/v1/check/REDACTED?ssn=REDACTED&period=1h'
    >>> log_target("/ui/static/app.js"), log_target("/v1/check?078-05-1120")
    ('/ui/static/app.js', '/v1/check?REDACTED')
    >>> log_target("/v1/sk-proj-abcdefghijklmnop1234/AKIAVOMPZOM7WBBR6QMW")
    '/v1/REDACTED/REDACTED'
    """
    path, sep, query = scrub_target(target).partition("?")
    segments = path.split("/")
    path = "/".join(seg if not seg or seg == "REDACTED" or _plain(seg) else "REDACTED" for seg in segments)
    if not sep:
        return path

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        return m.group(0) if unquote_plus(name).strip().lower() in LOGGED_PARAMS else f"{name}=REDACTED"

    # a bare "?078-05-1120" has no name to keep
    query = "&".join(
        part if "=" in part or not part else "REDACTED" for part in _PARAM.sub(sub, query).split("&")
    )
    return path + sep + query


class ScrubQueryFilter(logging.Filter):
    """Rewrites uvicorn access-log records so a key sent as ``?api_key=`` (or PII pasted into
    a URL) is never logged: see :func:`log_target`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client_addr, method, full_path, http_version, status_code)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], log_target(args[2]), *args[3:])
        return True
