"""OpenTelemetry spans for guard calls: off by default, attributes only, never text.

``Guard(..., telemetry=True)`` (or a tracer) wraps ``check`` / ``check_many`` /
``check_output`` in a span named ``bastion.check_many`` with:

- ``bastion.texts``: how many texts; ``bastion.action.<allow|redact|block>``: counts;
- ``bastion.labels``: sorted distinct PII labels; ``bastion.label.<LABEL>``: counts;
- ``bastion.injection.max_score``, ``bastion.injection.flagged``: the injection side;
- ``bastion.model.<name>``: model versions; ``bastion.degraded``; ``bastion.latency_ms``.

Only ``opentelemetry-api`` is needed (``pip install 'bastion[otel]'``); without an SDK
configured the spans are no-ops, as OpenTelemetry intends.

>>> Telemetry.disabled().enabled
False
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from bastion.errors import ConfigError
from bastion.results import span_attributes
from bastion.types import CheckResult


class Telemetry:
    """A tracer plus the attribute schema above; ``Telemetry.disabled()`` does nothing."""

    def __init__(self, tracer: Any = None) -> None:
        self._tracer = tracer

    @classmethod
    def disabled(cls) -> Telemetry:
        return cls(None)

    @classmethod
    def from_option(cls, option: Any) -> Telemetry:
        """``False``/``None`` → disabled; ``True`` → the global tracer provider's
        ``bastion`` tracer; anything else is taken as a tracer."""
        if option is None or option is False:
            return cls.disabled()
        if option is True:
            try:
                from opentelemetry import trace
            except ImportError as exc:
                raise ConfigError("telemetry needs opentelemetry-api: pip install 'bastion[otel]'") from exc
            from bastion import __version__

            return cls(trace.get_tracer("bastion", __version__))
        if not hasattr(option, "start_as_current_span"):
            raise ConfigError("telemetry must be True, False or an OpenTelemetry tracer")
        return cls(option)

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[Any]:
        if self._tracer is None:
            yield None
            return
        # OpenTelemetry records an escaping exception with its whole chained traceback,
        # and a detector's original error may quote the text it was given: the span gets
        # the error type only.
        with self._tracer.start_as_current_span(
            name, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield span
            except BaseException as exc:
                from opentelemetry.trace import Status, StatusCode

                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    @staticmethod
    def record(span: Any, results: Sequence[CheckResult], started: float) -> None:
        """Set the attributes of one guard call on ``span`` (a no-op for ``None``)."""
        if span is None:
            return
        attrs = span_attributes(results)
        attrs["bastion.latency_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
        span.set_attributes(attrs)


__all__ = ["Telemetry"]
