"""Security metrics from the audit trail for Prometheus.

>>> import tempfile, os
>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from bastion.store import PrivacyStore
>>> store = PrivacyStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "m.db"), audit_key=b"k" * 32)
>>> _ = store.audit.append("injection", severity="high")
>>> reg = CollectorRegistry(); _ = register_metrics(store, reg)
>>> b'bastion_audit_events{event_type="injection",severity="high"} 1.0' in generate_latest(reg)
True
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError

from bastion.store.audit import SecurityStats

if TYPE_CHECKING:
    from bastion.store.facade import PrivacyStore

log = logging.getLogger("bastion.store")


class AuditMetricsCollector(Collector):
    """Reads event counts over a trailing window at scrape time, at most once per
    ``min_interval_s`` (scrapes in between reuse the last answer)."""

    def __init__(self, store: PrivacyStore, window: timedelta, min_interval_s: float) -> None:
        self._store = store
        self._window = window
        self._min_interval = min_interval_s
        self._lock = threading.Lock()
        self._cached: tuple[float, SecurityStats | None, int | None] | None = None

    def _snapshot(self) -> tuple[SecurityStats | None, int | None]:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._min_interval:
                return self._cached[1], self._cached[2]
            try:
                until = self._store.audit._clock()
                stats = self._store.audit.stats(until - self._window, until)
                head_id, _ = self._store.audit.head()
            except SQLAlchemyError as exc:
                # A scrape must not fail because the database is briefly away.
                log.warning("audit metrics unavailable: %s", exc)
                stats, head_id = None, None
            self._cached = (now, stats, head_id)
            return stats, head_id

    def describe(self) -> Iterator[Metric]:
        # Explicit so registering does not query the database.
        yield from self._families()

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        secs = int(self._window.total_seconds())
        return (
            GaugeMetricFamily(
                "bastion_audit_events",
                f"Audit events in the trailing {secs}s window, by event type and severity",
                labels=["event_type", "severity"],
            ),
            GaugeMetricFamily("bastion_audit_chain_head_id", "Id of the newest audit event"),
            GaugeMetricFamily("bastion_audit_store_up", "1 if the audit store answered the last query"),
        )

    def collect(self) -> Iterator[Metric]:
        events, head, up = self._families()
        stats, head_id = self._snapshot()
        if stats is not None:
            for (event_type, severity), n in stats.by_type_and_severity.items():
                events.add_metric([event_type, severity], n)
            head.add_metric([], head_id or 0)
        up.add_metric([], 1 if stats is not None else 0)
        yield events
        if stats is not None:
            yield head
        yield up


def register_metrics(
    store: PrivacyStore,
    registry: CollectorRegistry,
    *,
    window: timedelta = timedelta(hours=24),
    min_interval_s: float = 10.0,
) -> AuditMetricsCollector:
    """Register the audit metrics on ``registry`` (call once per registry) and return
    the collector; values refresh at scrape time."""
    collector = AuditMetricsCollector(store, window, min_interval_s)
    registry.register(collector)
    return collector
