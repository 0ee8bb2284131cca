"""Browser playground (``/ui``) and dashboard (``/ui/dashboard``), served from local files.

The pages are static HTML, CSS and JavaScript from ``ui_static/`` (no framework, no CDN,
no build step) under a ``default-src 'self'`` Content-Security-Policy, so they work on an
air-gapped host and cannot send a byte anywhere but this server. The playground calls the
public JSON API (``POST /v1/check``, ``POST /v1/check/messages``) with the API key the user
types in, kept in the tab's ``sessionStorage`` only. The dashboard's numbers come from
``GET /ui/api/dashboard``, behind the same bearer auth as ``/v1``: event counts, a walk over
the period's audit events for actions, labels and injection scores, and the charts, drawn
here as SVG. Any API key may call it, so by default it covers the calling key's rows only;
the whole trail (``PrivacyStore.stats``, the numbers ``bastion audit stats`` prints) and the
chain's ``verify`` report only with ``bastion serve --dashboard-all-keys`` (one tenant per
server). Periods are whole UTC hours. One computation runs at a time per process, with a
deadline checked inside the walk, and each (scope, period) result is reused for
:data:`CACHE_TTL_S` (``verify`` for :data:`VERIFY_TTL_S`), so callers cannot pile up walks
over a large trail.

>>> since, until = parse_period("24h", None, None, now=datetime(2026, 1, 2, tzinfo=UTC))
>>> since.isoformat(), until.isoformat()
('2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00')
>>> bucket_seconds(timedelta(hours=24))
3600
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from bastion.api.edge import STORE_DEADLINE_S, store_call, unavailable
from bastion.errors import BastionError, InputError

log = logging.getLogger("bastion.api")

PREFIX = "/ui"
STATIC_DIR = Path(__file__).with_name("ui_static")
# the only files served from STATIC_DIR, with their types: nothing else is reachable
ASSETS: Mapping[str, str] = {
    "playground.html": "text/html; charset=utf-8",
    "dashboard.html": "text/html; charset=utf-8",
    "ui.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "playground.js": "text/javascript; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# 'self' only: no CDN, no inline script or style, no frames, no form posts elsewhere
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PERIODS: Mapping[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "365d": timedelta(days=365),
}
MAX_SPAN = timedelta(days=3660)
# the dashboard walks the period's events once; past this many it stops and says so
MAX_EVENTS = 200_000
MAX_BUCKETS = 48
_BUCKETS = (60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400)
SCORE_BINS = 10
# the operating points a request may pick (PolicyOverride.injection_operating_point)
OPERATING_POINTS = ("default", "strict", "indirect")
TOP_LABELS = 10
_ENABLED = "bastion_ui"
# since / until are rounded out to whole hours: a window cannot be narrowed to one request
GRANULARITY = timedelta(hours=1)
# a result is reused this long per (scope, period); verify (the whole chain) per process
CACHE_TTL_S = 30.0
VERIFY_TTL_S = 30.0
MAX_CACHED = 256
# the walk stops itself here, before the request's own STORE_DEADLINE_S abandons it: an
# abandoned thread that kept walking held the CPU for a minute after its 503 (s34 H1)
DASHBOARD_DEADLINE_S = STORE_DEADLINE_S * 2 / 3
# how long a second caller waits for the one running computation before it gets a 503
BUSY_WAIT_S = 2.0
BUSY_RETRY_AFTER_S = 5
# shorter than CACHE_TTL_S: the walk a timed-out request left running fills the cache
TOO_SLOW_RETRY_AFTER_S = 10
DASHBOARD_BUSY = "dashboard busy: another dashboard query is running; retry later"
DASHBOARD_TOO_SLOW = "the dashboard query took too long; retry later or pick a shorter period"
_DEADLINE_EVERY = 512  # rows between two deadline checks

Authorize = Callable[[Request], Awaitable[str | None]]


# -- period ------------------------------------------------------------------------------------


def _parse_time(value: str, name: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} must be an ISO 8601 date or time, got {value[:40]!r}") from None
    # a browser's datetime-local has no zone: the page shows and sends UTC
    try:
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except OverflowError:  # "9999-12-31T23:59:59-01:00" is past year 9999 in UTC
        raise InputError(f"{name} is out of range, got {value[:40]!r}") from None


def _floor(ts: datetime, step: timedelta) -> datetime:
    return ts - (ts - datetime.min.replace(tzinfo=ts.tzinfo)) % step


def _ceil(ts: datetime, name: str, step: timedelta) -> datetime:
    down = _floor(ts, step)
    try:
        return down if down == ts else down + step
    except OverflowError:
        raise InputError(f"{name} is out of range") from None


def parse_period(
    period: str | None,
    since: str | None,
    until: str | None,
    *,
    now: datetime,
    granularity: timedelta = GRANULARITY,
) -> tuple[datetime, datetime]:
    """``[since, until)`` from a preset (``1h`` ``24h`` ``7d`` ``30d`` ``365d``) ending now, or
    explicit ISO times (``until`` defaults to now); ``InputError`` names what is wrong.
    ``since`` is rounded down and ``until`` (or now) up to a multiple of ``granularity``, so
    no window is narrower than it (``1h`` is the current clock hour).

    >>> [t.isoformat() for t in parse_period("1h", None, None, now=datetime(2026, 1, 1, 9, 5, tzinfo=UTC))]
    ['2026-01-01T09:00:00+00:00', '2026-01-01T10:00:00+00:00']
    """
    end = _ceil(_parse_time(until, "until") if until else now, "until", granularity)
    if since:
        start = _floor(_parse_time(since, "since"), granularity)
    else:
        key = period or "24h"
        if key not in PERIODS:
            raise InputError(f"period must be one of {', '.join(PERIODS)}, got {key[:20]!r}")
        try:
            start = end - PERIODS[key]
        except OverflowError:
            raise InputError("until is too early for that period") from None
    if start >= end:
        raise InputError("the period is empty: since must be before until")
    if end - start > MAX_SPAN:
        raise InputError(f"the period is over {MAX_SPAN.days} days")
    return start, end


def bucket_seconds(span: timedelta) -> int:
    """The smallest round bucket width giving at most ``MAX_BUCKETS`` buckets."""
    total = span.total_seconds()
    for width in _BUCKETS:
        if total / width <= MAX_BUCKETS:
            return width
    return math.ceil(total / MAX_BUCKETS)


# -- aggregation -------------------------------------------------------------------------------


class DashboardTooSlow(BastionError):
    """The dashboard's computation passed its deadline and stopped there."""


@dataclass(frozen=True, slots=True)
class KeyScope:
    """The audit rows of one API key (``key_id`` ``None``: the rows written with auth off)."""

    key_id: str | None


@dataclass(frozen=True, slots=True)
class _Event:
    """The fields of an audit row the dashboard reads."""

    ts: datetime
    action: str | None
    severity: str
    labels: tuple[str, ...]
    details: Any


@dataclass
class _Tally:
    since: datetime
    until: datetime
    width: int
    checks: int = 0
    events: int = 0
    truncated: bool = False
    malformed: int = 0  # rows edited outside bastion: counted, not read
    by_action: Counter[str] = field(default_factory=Counter)
    by_check_severity: Counter[str] = field(default_factory=Counter)
    label_checks: Counter[str] = field(default_factory=Counter)
    label_findings: Counter[str] = field(default_factory=Counter)
    scores: list[int] = field(default_factory=lambda: [0] * SCORE_BINS)
    scored: int = 0
    series: dict[int, list[int]] = field(default_factory=dict)

    def bucket(self, ts: datetime) -> int:
        return int((ts - self.since).total_seconds() // self.width)

    def add(self, ev: _Event) -> None:
        self.events += 1
        if ev.action is None:  # consent, erasure, purge receipts, seals: not checks
            return
        self.checks += 1
        self.by_action[ev.action] += 1
        self.by_check_severity[ev.severity] += 1
        row = self.series.setdefault(self.bucket(ev.ts), [0, 0, 0])
        row[0] += 1
        row[1] += ev.action == "block"
        row[2] += ev.action == "redact"
        counts = ev.details.get("counts") if isinstance(ev.details, Mapping) else None
        for label in ev.labels:
            self.label_checks[label] += 1
            n = counts.get(label) if isinstance(counts, Mapping) else None
            self.label_findings[label] += n if isinstance(n, int) and n > 0 else 1
        score = ev.details.get("injection_score") if isinstance(ev.details, Mapping) else None
        if isinstance(score, int | float) and 0.0 <= score <= 1.0:
            self.scores[min(SCORE_BINS - 1, int(score * SCORE_BINS))] += 1
            self.scored += 1


def _outage(exc: BaseException) -> bool:
    """Whether a database error says the database is down or busy (connection refused or
    lost, a timeout, SQLite's "database is locked"), not that its tables are damaged. SQLite
    reports a dropped table as an OperationalError too ("no such table")."""
    if unavailable(exc) is None:
        return False
    message = str(getattr(exc, "orig", None) or exc)
    return not message.startswith(("no such table", "no such column"))


def _key_filter(scope: KeyScope) -> Any:
    from bastion.store.schema import audit_events

    c = audit_events.c.key_id
    return c.is_(None) if scope.key_id is None else c == scope.key_id


def _read_event(ts: Any, action: Any, severity: Any, labels: Any, details: Any) -> _Event | None:
    """The row's fields, or ``None`` for a row edited outside bastion (not JSON, a text
    where a timestamp belongs, bytes): the store's own reader calls such rows malformed."""
    try:
        if isinstance(ts, str):
            ts = datetime.fromisoformat(ts)
        if not isinstance(ts, datetime):
            return None
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        names = json.loads(labels)
        info = json.loads(details)
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        return None
    if not isinstance(action, str | None) or not isinstance(severity, str):
        return None
    return _Event(ts, action, severity, tuple(names), info)


def _events(store: Any, since: datetime, until: datetime, scope: KeyScope | None) -> Iterator[_Event | None]:
    """The period's rows in id order (``None`` for a malformed one), only the columns the
    dashboard reads: the store's full decoding of every row took 10 s for 150,000 rows."""
    from sqlalchemy import String, select, type_coerce

    from bastion.store.db import read_tx
    from bastion.store.schema import audit_events

    c = audit_events.c
    # ts as stored, parsed here (as the store's reader does): SQLite's processor raises on a
    # garbled value while iterating, which would end the walk instead of flagging one row
    query = (
        select(type_coerce(c.ts, String), c.action, c.severity, c.labels, c.details)
        .where(c.ts >= since, c.ts < until)
        .order_by(c.id)
    )
    if scope is not None:
        query = query.where(_key_filter(scope))
    with read_tx(store.engine) as conn:
        for row in conn.execution_options(stream_results=True, yield_per=1000).execute(query):
            yield _read_event(*row)


def _scoped_stats(store: Any, since: datetime, until: datetime, scope: KeyScope) -> Any:
    """``store.stats`` over one key's rows (the same shape and counting)."""
    from sqlalchemy import func, select

    from bastion.store.audit import SEVERITIES, SecurityStats
    from bastion.store.db import read_tx
    from bastion.store.schema import audit_events

    c = audit_events.c
    query = (
        select(c.event_type, c.severity, func.count())
        .where(c.ts >= since, c.ts < until, _key_filter(scope))
        .group_by(c.event_type, c.severity)
    )
    with read_tx(store.engine) as conn:
        rows = conn.execute(query).all()
    by_pair: Counter[tuple[str, str]] = Counter()
    for t, s, n in rows:
        by_pair[(t if isinstance(t, str) else repr(t), s if isinstance(s, str) else repr(s))] += int(n)
    by_type: Counter[str] = Counter()
    by_sev: Counter[str] = Counter()
    for (t, s), n in by_pair.items():
        by_type[t] += n
        by_sev[s] += n
    return SecurityStats(
        since,
        until,
        sum(by_pair.values()),
        dict(sorted(by_type.items())),
        {s: by_sev[s] for s in SEVERITIES if s in by_sev},
        dict(sorted(by_pair.items())),
    )


def verify_report(store: Any) -> dict[str, Any]:
    """``store.verify()`` as the dashboard shows it (blocking: it walks the whole chain)."""
    from sqlalchemy.exc import DatabaseError

    try:
        return dict(store.verify().to_dict())
    except BastionError as exc:  # no audit key on this server: the chain cannot be checked
        return {"ok": None, "reason": f"not checked: {exc}"}
    except DatabaseError as exc:
        if _outage(exc):
            raise
        return {"ok": False, "reason": "the store is damaged: unreadable"}


def _not_shown() -> dict[str, Any]:
    return {
        "ok": None,
        "reason": "not shown to an API key: the chain holds every key's events (bastion serve "
        "--dashboard-all-keys shows it, for a server of one tenant; or run bastion audit verify)",
    }


def dashboard_data(
    store: Any,
    since: datetime,
    until: datetime,
    *,
    max_events: int = MAX_EVENTS,
    scope: KeyScope | None = None,
    deadline: float | None = None,
    verify: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the dashboard shows for ``[since, until)`` (blocking: run it in a thread).

    ``scope=None`` is the whole trail: ``stats`` is ``store.stats(since, until).to_dict()``
    unchanged, so the page's event totals are the ones ``bastion audit stats`` prints, and
    ``verify`` the chain's report (``verify()``, default :func:`verify_report`, may give a
    cached one). With a :class:`KeyScope` every number covers that key's rows only and the
    chain, which holds every key's events, is not reported. The rest comes from one walk over
    the period's events (at most ``max_events``; ``truncated`` says when it stopped), which
    raises :class:`DashboardTooSlow` once ``time.monotonic()`` passes ``deadline``.
    """
    from sqlalchemy.exc import DatabaseError

    from bastion.store.audit import SecurityStats

    tally = _Tally(since, until, bucket_seconds(until - since))
    damaged: str | None = None
    try:
        stats = store.stats(since, until) if scope is None else _scoped_stats(store, since, until, scope)
        # a damaged trail is when the board is needed most: an edited row is counted, not fatal
        for ev in _events(store, since, until, scope):
            if tally.events >= max_events:
                tally.truncated = True
                break
            if deadline is not None and tally.events % _DEADLINE_EVERY == 0 and time.monotonic() > deadline:
                raise DashboardTooSlow(f"the dashboard walk passed its deadline after {tally.events} events")
            if ev is None:
                tally.events += 1
                tally.malformed += 1
                continue
            tally.add(ev)
    except DatabaseError as exc:  # a dropped table, a file that is no longer a database
        if _outage(exc):
            raise  # the API answers 503 with Retry-After: a database down is not a damaged trail
        damaged = str(exc.orig or exc).splitlines()[0]
        stats = SecurityStats(since, until, 0)
    if scope is not None:
        report = _not_shown()
    elif damaged is not None:
        report = {"ok": False, "reason": f"the store is damaged: {damaged}"}
    else:
        if deadline is not None and time.monotonic() > deadline:
            raise DashboardTooSlow("the dashboard passed its deadline before verifying the chain")
        report = (verify or (lambda: verify_report(store)))()
    n_buckets = max(1, math.ceil((until - since).total_seconds() / tally.width))
    series = [
        {
            "start": _iso(since + timedelta(seconds=i * tally.width)),
            "checks": tally.series.get(i, [0, 0, 0])[0],
            "blocks": tally.series.get(i, [0, 0, 0])[1],
            "redactions": tally.series.get(i, [0, 0, 0])[2],
        }
        for i in range(n_buckets)
    ]
    labels = [
        {"label": label, "checks": n, "findings": tally.label_findings[label]}
        for label, n in sorted(tally.label_checks.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    bins = [
        {"from": i / SCORE_BINS, "to": (i + 1) / SCORE_BINS, "count": n} for i, n in enumerate(tally.scores)
    ]
    actions = {a: tally.by_action.get(a, 0) for a in ("allow", "redact", "block")}
    actions.update({a: n for a, n in sorted(tally.by_action.items()) if a not in actions})
    return {
        "since": _iso(since),
        "until": _iso(until),
        "scope": "all keys" if scope is None else "this key",
        "stats": stats.to_dict(),
        "checks": tally.checks,
        "blocks": tally.by_action.get("block", 0),
        "events_walked": tally.events,
        "malformed_rows": tally.malformed,
        "truncated": tally.truncated,
        "by_action": actions,
        "by_check_severity": dict(tally.by_check_severity),
        "labels": labels,
        "injection_scores": {"scored": tally.scored, "bins": bins},
        "bucket_seconds": tally.width,
        "series": series,
        "verify": report,
        "charts": {
            "series": svg_series(series, tally.width),
            "actions": svg_bars(list(actions.items()), "Checks by action", kind="action"),
            "severity": svg_bars(list(stats.by_severity.items()), "Events by severity", kind="severity"),
            "labels": svg_bars(
                [(d["label"], d["checks"]) for d in labels[:TOP_LABELS]], "Top labels (checks)", kind="label"
            ),
            "scores": svg_histogram(bins, tally.scored),
        },
    }


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- SVG ---------------------------------------------------------------------------------------
# Drawn here so the page needs no chart library; colours come from classes in ui.css, so
# they follow the light / dark theme. Every chart has a <title> and the page shows the
# same numbers in tables.


def _xml_text(text: str) -> str:
    """``text`` escaped for SVG: control characters (a label the store took as written) are not
    allowed in XML at all, and one made the whole chart fail to parse."""
    return escape("".join(c if c.isprintable() or c == " " else "\ufffd" for c in str(text)))


def _svg(width: int, height: int, title: str, body: Iterable[str]) -> str:
    t = _xml_text(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" preserveAspectRatio="xMinYMin meet"><title>{t}</title>{"".join(body)}</svg>'
    )


def _cls(kind: str, name: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name.lower())[:40]
    return f"bar {kind} {kind}-{safe}"


def svg_bars(items: list[tuple[str, int]], title: str, *, kind: str = "plain") -> str:
    """Horizontal bars, one row per ``(name, count)``.

    >>> "OK" in svg_bars([("OK", 3)], "t")
    True
    """
    if not items:
        return _svg(360, 40, title, ['<text x="8" y="24" class="muted">no data in this period</text>'])
    top = max(n for _, n in items) or 1
    row, label_w, bar_w = 26, 130, 170
    parts = []
    for i, (name, n) in enumerate(items):
        y = 6 + i * row
        w = round(bar_w * n / top, 1)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="lbl">{_xml_text(name[:18])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{row - 8}" rx="2" class="{_cls(kind, name)}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 15}" class="num">{n}</text>'
        )
    return _svg(360, 12 + row * len(items), title, parts)


def svg_series(series: list[dict[str, Any]], width_s: int) -> str:
    """Checks (and blocks, drawn over them) per time bucket."""
    w, h, left, bottom = 360, 160, 34, 22
    top = max((b["checks"] for b in series), default=0)
    title = f"Checks and blocks per {_width_name(width_s)}"
    if top == 0:
        return _svg(w, 40, title, ['<text x="8" y="24" class="muted">no checks in this period</text>'])
    n = len(series)
    step = (w - left - 4) / n
    scale = (h - bottom - 8) / top
    parts = [
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 2}" y2="{h - bottom}" class="axis"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end" class="num">{top}</text>',
        f'<text x="{left - 4}" y="{h - bottom}" text-anchor="end" class="num">0</text>',
        f'<text x="{left}" y="{h - 6}" class="lbl">{escape(series[0]["start"][:16].replace("T", " "))}</text>',
        f'<text x="{w - 2}" y="{h - 6}" text-anchor="end" class="lbl">UTC</text>',
    ]
    bar = max(1.0, step - 1)
    for i, b in enumerate(series):
        x = round(left + i * step, 2)
        for key, cls in (("checks", "bar series-checks"), ("blocks", "bar series-blocks")):
            if b[key]:
                bh = round(b[key] * scale, 2)
                parts.append(
                    f'<rect x="{x}" y="{round(h - bottom - bh, 2)}" width="{round(bar, 2)}" height="{bh}" '
                    f'class="{cls}"><title>{escape(b["start"])}: {b[key]} {key}</title></rect>'
                )
    return _svg(w, h, title, parts)


def svg_histogram(bins: list[dict[str, Any]], scored: int) -> str:
    """Checks per injection-score tenth."""
    w, h, left, bottom = 360, 150, 34, 22
    title = "Injection score distribution"
    top = max((b["count"] for b in bins), default=0)
    if top == 0:
        return _svg(w, 40, title, ['<text x="8" y="24" class="muted">no scored checks in this period</text>'])
    step = (w - left - 4) / len(bins)
    scale = (h - bottom - 8) / top
    parts = [
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 2}" y2="{h - bottom}" class="axis"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end" class="num">{top}</text>',
    ]
    for i, b in enumerate(bins):
        x = round(left + i * step, 2)
        bh = round(b["count"] * scale, 2)
        parts.append(
            f'<rect x="{x + 1}" y="{round(h - bottom - bh, 2)}" width="{round(step - 2, 2)}" height="{bh}" '
            f'class="bar score"><title>{b["from"]:.1f}-{b["to"]:.1f}: {b["count"]}</title></rect>'
        )
        if i % 2 == 0:
            parts.append(f'<text x="{x}" y="{h - 6}" class="lbl">{b["from"]:.1f}</text>')
    parts.append(f'<text x="{w - 2}" y="{h - 6}" text-anchor="end" class="lbl">1.0</text>')
    return _svg(w, h, title, parts)


def _width_name(seconds: int) -> str:
    for unit, n in (("week", 7 * 86_400), ("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % n == 0:
            k = seconds // n
            return unit if k == 1 else f"{k} {unit}s"
    return f"{seconds} s"


# -- one computation at a time ----------------------------------------------------------------


class DashboardGate:
    """At most one dashboard computation at a time (per app, so per process), results reused
    for :data:`CACHE_TTL_S` per (scope, window) and ``verify`` for :data:`VERIFY_TTL_S`.

    The running computation holds a :class:`threading.Lock` that its worker thread releases
    when it really ends: a request that gave up at ``STORE_DEADLINE_S`` does not free the
    slot for another walk while its thread still runs (anyio releases its own thread limiter
    on abandonment, and abandoned walks piled up). A second caller waits up to
    :data:`BUSY_WAIT_S` for the slot, then gets 503 "dashboard busy".
    """

    def __init__(self) -> None:
        self._busy = threading.Lock()
        self._clock = time.monotonic  # the walk's deadline is on this clock too
        self._results: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}
        self._verified: tuple[float, dict[str, Any]] | None = None

    def _cached(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        hit = self._results.get(key)
        return hit[1] if hit is not None and hit[0] > self._clock() else None

    def _verify(self, store: Any) -> dict[str, Any]:
        # the chain is the same whatever the period: one walk of it serves every caller
        if self._verified is not None and self._verified[0] > self._clock():
            return self._verified[1]
        report = verify_report(store)
        self._verified = (self._clock() + VERIFY_TTL_S, report)
        return report

    def _store(self, key: tuple[Any, ...], data: dict[str, Any]) -> None:
        now = self._clock()
        for k in [k for k, (exp, _) in self._results.items() if exp <= now]:
            del self._results[k]
        while len(self._results) >= MAX_CACHED:
            del self._results[next(iter(self._results))]
        self._results[key] = (now + CACHE_TTL_S, data)

    async def get(
        self, store: Any, scope: KeyScope | None, since: datetime, until: datetime
    ) -> dict[str, Any]:
        """The dashboard data for ``scope`` over ``[since, until)``; :class:`~fastapi.HTTPException`
        503 when busy or too slow."""
        import anyio

        key = ("all" if scope is None else ("key", scope.key_id), since, until)
        data = self._cached(key)
        if data is not None:
            return data
        waited = 0.0
        while not self._busy.acquire(blocking=False):
            if waited >= BUSY_WAIT_S:
                raise HTTPException(
                    status_code=503, detail=DASHBOARD_BUSY, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)}
                )
            await anyio.sleep(0.05)
            waited += 0.05
        # whoever takes `claim` first releases `busy`: the worker thread once it ends, or
        # this request if the thread never started (cancelled before it ran)
        claim = threading.Lock()

        def work() -> dict[str, Any] | None:
            if not claim.acquire(blocking=False):
                return None
            try:
                hit = self._cached(key)  # filled by the computation this caller waited for
                if hit is not None:
                    return hit
                deadline = self._clock() + DASHBOARD_DEADLINE_S
                out = dashboard_data(
                    store, since, until, scope=scope, deadline=deadline, verify=lambda: self._verify(store)
                )
                self._store(key, out)
                return out
            finally:
                self._busy.release()

        try:
            result = await store_call(work)
        except (TimeoutError, DashboardTooSlow):
            raise HTTPException(
                status_code=503,
                detail=DASHBOARD_TOO_SLOW,
                headers={"Retry-After": str(TOO_SLOW_RETRY_AFTER_S)},
            ) from None
        finally:
            if claim.acquire(blocking=False):
                self._busy.release()
        assert result is not None
        return result


# -- routes ------------------------------------------------------------------------------------


def _asset(name: str) -> Response:
    media = ASSETS.get(name)
    if media is None:
        raise HTTPException(status_code=404, detail="not found")
    return Response((STATIC_DIR / name).read_bytes(), media_type=media, headers=dict(SECURITY_HEADERS))


def _relative_redirect(location: str, request: Request) -> Response:
    query = request.url.query
    # 308 rather than 301, which lets a client turn a POST into a GET
    return Response(
        status_code=308,
        headers={"Location": location + (f"?{query}" if query else ""), **SECURITY_HEADERS},
    )


def set_enabled(app: FastAPI, enabled: bool) -> None:
    """Turn the ``/ui`` pages on or off on an app built by ``create_app`` (``bastion serve
    --ui/--no-ui``); off, every ``/ui`` path answers 404."""
    setattr(app.state, _ENABLED, bool(enabled))


def _enabled(request: Request) -> None:
    if not getattr(request.app.state, _ENABLED, True):
        raise HTTPException(
            status_code=404, detail="the browser UI is off on this server (bastion serve --ui)"
        )


def ui_router(authorize: Authorize, state: Any) -> APIRouter:
    """The ``/ui`` routes. ``authorize`` is the app's bearer-key dependency (the same 401 /
    403 / 429 answers as ``/v1``); ``state`` the app's state (``guard``, ``settings`` and
    ``audit.store`` are read per request, as they appear after startup)."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_enabled)])

    @router.get("")
    async def playground() -> Response:
        return _asset("playground.html")

    # The app does not redirect slashes by itself (its redirect would build an absolute URL
    # from the client's Host header). Served as is, "/ui/" broke every relative URL of the
    # page (s32 qa_ui M1), so the two slash forms redirect, with a Location relative to the
    # request: no Host is read and a reverse proxy's path prefix is kept.
    @router.get("/")
    async def playground_slash(request: Request) -> Response:
        return _relative_redirect("../ui", request)

    @router.get("/dashboard")
    async def dashboard() -> Response:
        return _asset("dashboard.html")

    @router.get("/dashboard/")
    async def dashboard_slash(request: Request) -> Response:
        return _relative_redirect("../dashboard", request)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        return _asset(name)

    @router.get("/api/config")
    async def config() -> JSONResponse:
        """What the playground needs before a check: limits, whether a key is needed, and
        the injection thresholds of each operating point (no secrets: ``/readyz`` says as much)."""
        settings = state.settings
        body: dict[str, Any] = {
            "auth": settings.auth_enabled,
            "max_text_chars": settings.max_text_chars,
            "max_body_bytes": settings.max_body_bytes,
            "store": getattr(state.audit, "store", None) is not None,
            "ready": state.guard is not None,
        }
        g = state.guard
        if g is not None:
            points: dict[str, dict[str, float]] = {}
            labels: set[str] = set()
            for det in g.detectors:
                if det.category == "injection":
                    for point in OPERATING_POINTS:
                        at = g.policy.with_overrides({"injection_operating_point": point})
                        points.setdefault(point, {})[det.name] = at.injection_threshold_for(det.name)
                else:
                    labels.update(str(x) for x in getattr(det, "labels", ()) or ())
            body |= {
                "operating_points": points,
                "injection_threshold": g.policy.injection_threshold,
                "labels": sorted(labels),
                "disabled_labels": sorted(getattr(g.policy, "disabled_labels", ()) or ()),
                "model_versions": dict(g.model_versions),
                "degraded": g.degraded,
            }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    gate = DashboardGate()

    # the dependency is passed by value: annotations here are strings (PEP 563) that
    # FastAPI could not resolve to this closure's ``authorize``; it leaves the key id in
    # request.state
    @router.get("/api/dashboard", dependencies=[Depends(authorize)])
    async def dashboard_api(
        request: Request,
        period: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> JSONResponse:
        store = getattr(state.audit, "store", None)
        if store is None:
            raise HTTPException(
                status_code=404,
                detail="no audit store on this server: start bastion serve with --audit-store "
                "(env BASTION_AUDIT_STORE=1) to record checks for the dashboard",
            )
        try:
            start, end = parse_period(period, since, until, now=datetime.now(UTC))
        except InputError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        # any key may call this: unless the operator opted in, it sees its own rows only
        scope = (
            None if state.settings.dashboard_all_keys else KeyScope(getattr(request.state, "key_id", None))
        )
        # whole hours: a preset ending now is one window (and one cache entry) for the hour
        data = await gate.get(store, scope, start, end)
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    return router


__all__ = [
    "ASSETS",
    "CSP",
    "PERIODS",
    "DashboardGate",
    "DashboardTooSlow",
    "KeyScope",
    "bucket_seconds",
    "dashboard_data",
    "parse_period",
    "set_enabled",
    "svg_bars",
    "svg_histogram",
    "svg_series",
    "ui_router",
    "verify_report",
]
