"""Shared test fixtures: fake detectors (Guard-level tests never need a model),
skip-guards for the real recognizers, and what every face of a check result promises."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import pytest
from bastion.detectors import FACTORIES
from bastion.guard import Guard
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


@pytest.fixture
def fakes() -> SimpleNamespace:
    """The fake detector classes, to build guards with specific settings."""
    return SimpleNamespace(PII=FakePII, Injection=FakeInjection)


@pytest.fixture
def fake_guard() -> Guard:
    """A Guard with a fake PII detector and a fake injection model (thresholds 0.5 / 0.8)."""
    return Guard([FakePII(), FakeInjection(thresholds={"default": 0.5, "strict": 0.8})])


@pytest.fixture
def fake_factories(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register ``fake_pii`` and ``fake_injection`` in the detector table (for config files)."""
    monkeypatch.setitem(FACTORIES, "fake_pii", lambda **kw: FakePII(**kw))
    monkeypatch.setitem(
        FACTORIES,
        "fake_injection",
        lambda **kw: FakeInjection(**{"thresholds": {"default": 0.5, "strict": 0.8}, **kw}),
    )


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


@pytest.fixture
def need_regex() -> None:
    """Skip unless the real regex recognizers (detectors/pii_regex.py) exist."""
    if not _have("bastion.detectors.pii_regex"):
        pytest.skip("bastion.detectors.pii_regex not written yet")


@pytest.fixture
def need_default(need_regex: None) -> None:
    """Skip unless Guard.default() can be built (regex recognizers + heuristic injection)."""
    if not _have("bastion.detectors.heuristic"):
        pytest.skip("bastion.detectors.heuristic not written yet")
