"""Prometheus metrics, on a registry owned by one app (no global default registry, so
several apps, e.g. in tests, never collide)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bastion.results import metric_labels
from bastion.types import CheckResult

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The API's counters and histograms.

    >>> m = Metrics(); m.rate_limited.inc(); b"bastion_rate_limited_total 1.0" in m.render()
    True
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = self._counter(
            "bastion_http_requests", "HTTP requests by route and status", ["route", "method", "status"]
        )
        self.latency = self._histogram(
            "bastion_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            _LATENCY_BUCKETS,
        )
        self.decisions = self._counter("bastion_decisions", "Guard decisions by action", ["action"])
        self.findings = self._counter(
            "bastion_findings", "PII findings and injection verdicts by label", ["label"]
        )
        # found is not redacted: LOCATION / ORGANIZATION (allowed by default) and allow-listed
        # values are counted in bastion_findings only
        self.redactions = self._counter(
            "bastion_redactions", "PII findings replaced in the redacted text, by label", ["label"]
        )
        self.degraded = self._counter("bastion_degraded_results", "Results produced by a degraded Guard")
        self.rate_limited = self._counter("bastion_rate_limited", "Requests rejected by the rate limiter")
        self.auth_failures = self._counter(
            "bastion_auth_failures", "Requests with a missing, unknown or revoked API key"
        )
        self.batch_size = self._histogram(
            "bastion_inference_batch_size", "Texts per Guard.check_many call", (), (1, 2, 4, 8, 16, 32, 64)
        )
        self.audit_errors = self._counter("bastion_audit_store_errors", "Failed audit-store writes")

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter on this app's registry (subclasses add their own with it too)."""
        return Counter(name, documentation, labels, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def observe_result(self, result: CheckResult) -> None:
        m = metric_labels(result)
        self.decisions.labels(m.action).inc()
        for label in m.found:
            self.findings.labels(label).inc()
        for label in m.redacted:
            self.redactions.labels(label).inc()
        if m.degraded:
            self.degraded.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
