"""Fake detectors for Guard-level tests (they never need a model), and what every form
of a check result promises. A module of its own, not conftest.py: worker processes and
``bastion scan`` subprocesses import the guard factories of test modules, and there the
name ``conftest`` finds the repository root's conftest.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bastion.types import INJECTION, Finding

# The keys a check result has in each of its forms (``CheckResult.to_dict()``,
# ``bastion check --json``, the HTTP API's ``/v1/check``), at least.
CHECK_RESULT_KEYS = frozenset(
    {"action", "injection", "pii", "redacted_text", "degraded", "model_versions", "latency_ms"}
)


class FakePII:
    """Regex stand-in for a PII detector: ``patterns`` maps labels to regexes (default:
    ``PATTERNS``). ASCII-only patterns, so a match on full-width or homoglyph input proves
    the Guard normalised it. Records every batch it gets."""

    PATTERNS = {
        "EMAIL_ADDRESS": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        # word boundaries: digits inside hex ids (UUIDs, hashes) are not phones
        "PHONE_NUMBER": r"(?<![\w-])[0-9]{3}-[0-9]{4}(?![\w-])",
        "API_KEY": r"\bsk-[A-Za-z0-9]{16,}\b",
    }

    def __init__(
        self,
        name: str = "fake_pii",
        kind: str = "rules",
        score: float = 0.9,
        version: str = "1",
        patterns: Mapping[str, str] | None = None,
    ):
        self.name, self.kind, self.score, self.version = name, kind, score, version
        self.category = "pii"
        self.calls: list[list[str]] = []
        self._res = {label: re.compile(p) for label, p in (patterns or self.PATTERNS).items()}

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.calls.append(list(texts))
        return [
            [
                Finding(label, m.start(), m.end(), self.score, self.name)
                for label, rx in self._res.items()
                for m in rx.finditer(t)
            ]
            for t in texts
        ]


class FakeInjection:
    """Injection stand-in: ``hit`` score when the normalised text contains the trigger."""

    def __init__(
        self,
        name: str = "fake_inj",
        kind: str = "model",
        hit: float = 0.9,
        miss: float = 0.05,
        thresholds: dict[str, float] | None = None,
        trigger: str = "ignore previous",
        version: str = "inj-1",
    ):
        self.name, self.kind, self.hit, self.miss, self.trigger = name, kind, hit, miss, trigger
        self.category, self.version = INJECTION, version
        if thresholds is not None:
            self.thresholds = thresholds
        self.calls: list[list[str]] = []

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.calls.append(list(texts))
        return [
            [
                Finding(
                    "INJECTION",
                    0,
                    len(t),
                    self.hit if self.trigger in t.lower() else self.miss,
                    self.name,
                    INJECTION,
                )
            ]
            for t in texts
        ]


class FailingPII:
    """A PII detector with a bug: the whole batch raises ``error(message)`` when any of its
    texts contains ``trigger``."""

    def __init__(self, trigger: str, error: type[Exception], message: str, name: str = "boom"):
        self.trigger, self.error, self.message = trigger, error, message
        self.name, self.category, self.version, self.kind = name, "pii", "1", "rules"

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        if any(self.trigger in t for t in texts):
            raise self.error(self.message)
        return [[] for _ in texts]
