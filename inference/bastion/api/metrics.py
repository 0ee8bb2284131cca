"""Prometheus metrics, on a registry owned by one app (no global default registry, so
several apps, e.g. in tests, never collide)."""

from __future__ import annotations

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
        r = self.registry
        self.requests = Counter(
            "bastion_http_requests",
            "HTTP requests by route and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "bastion_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.decisions = Counter("bastion_decisions", "Guard decisions by action", ["action"], registry=r)
        self.findings = Counter(
            "bastion_findings", "PII findings and injection verdicts by label", ["label"], registry=r
        )
        # found is not redacted: LOCATION / ORGANIZATION (allowed by default) and allow-listed
        # values are counted in bastion_findings only
        self.redactions = Counter(
            "bastion_redactions",
            "PII findings replaced in the redacted text, by label",
            ["label"],
            registry=r,
        )
        self.degraded = Counter(
            "bastion_degraded_results", "Results produced by a degraded Guard", registry=r
        )
        self.rate_limited = Counter(
            "bastion_rate_limited", "Requests rejected by the rate limiter", registry=r
        )
        self.auth_failures = Counter(
            "bastion_auth_failures", "Requests with a missing, unknown or revoked API key", registry=r
        )
        self.batch_size = Histogram(
            "bastion_inference_batch_size",
            "Texts per Guard.check_many call",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.audit_errors = Counter("bastion_audit_store_errors", "Failed audit-store writes", registry=r)

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
