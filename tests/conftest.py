"""Shared test fixtures: fake detectors (Guard-level tests never need a model; the classes
are in helpers_guard) and skip-guards for the real recognizers."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest
from bastion.detectors import FACTORIES
from bastion.guard import Guard
from helpers_guard import FakeInjection, FakePII


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
