"""Property tests: offsets stay in bounds, redaction removes what was found, and no
unicode input crashes the Guard. Fake detectors always; the real regex recognizers too
once they exist."""

from __future__ import annotations

import pytest
from bastion import Guard
from bastion.normalize import normalize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that make detections likely, and the characters normalisation rewrites.
PII_PIECES = [
    "jane@example.com",
    "ｊａｎｅ@example.com",
    "ja\u200bne@exa\u200dmple.com",
    "j\u0430ne@ex\u0430mple.com",
    "555-1234",
    "５５５-１２３４",
    "sk-abcdefghijklmnop1234",
    "4111 1111 1111 1111",
    "+1 415 555 0100",
    "DE89 3704 0044 0532 0130 00",
]
TRICKY = [
    "\u200b",
    "\ufeff",
    "\u0301",
    "\ufb01",
    "\u2167",
    "\U0001f469\u200d\U0001f4bb",
    "\u202e",
    "中",
    " ",
    "@",
    ".",
]

texts = st.lists(
    st.one_of(st.text(max_size=8), st.sampled_from(PII_PIECES), st.sampled_from(TRICKY)), max_size=8
).map("".join)


def _occurs_outside(text: str, value: str, spans: list[tuple[int, int]]) -> bool:
    i = text.find(value)
    while i >= 0:
        if not any(s <= i and i + len(value) <= e for s, e in spans):
            return True
        i = text.find(value, i + 1)
    return False


@pytest.fixture(params=["fake", "regex", "default-no-models"])
def guard(request, fakes):
    """Each property runs against fake detectors, and against the real recognizers
    (alone, and as the model-less default Guard with heuristics) when present."""
    if request.param == "fake":
        return Guard([fakes.PII(), fakes.Injection(thresholds={"default": 0.5})])
    if request.param == "default-no-models":
        request.getfixturevalue("need_default")
        return Guard.default(models_dir=request.getfixturevalue("tmp_path"))
    request.getfixturevalue("need_regex")
    from bastion import build_detector

    return Guard([build_detector("pii_regex")])


def test_findings_in_bounds(guard):

    @SETTINGS
    @given(texts)
    def check(text):
        result = guard.check(text)
        for f in result.findings:
            assert 0 <= f.start <= f.end <= len(text)
        for f in result.pii:
            assert f.start < f.end
        starts = [(f.start, f.end) for f in result.pii]
        assert starts == sorted(starts)
        assert all(a[1] <= b[0] for a, b in zip(starts, starts[1:], strict=False))  # merged: no overlap

    check()


def test_redaction_leaves_no_detected_value(guard):

    @SETTINGS
    @given(texts)
    def check(text):
        result = guard.check(text)
        spans = [(f.start, f.end) for f in result.pii]
        # A value that ALSO occurs somewhere the detector missed (context-dependent
        # recognizers, e.g. an IBAN glued to preceding digits) is a miss, not a leak.
        values = {text[s:e] for s, e in spans if not _occurs_outside(text, text[s:e], spans)}
        again = guard.check(result.redacted_text)
        found_again = {result.redacted_text[f.start : f.end] for f in again.pii}
        assert not values & found_again
        for f in result.pii:
            # Nothing of the original span survives next to its replacement.
            assert f"[REDACTED_{f.label}]" in result.redacted_text

    check()


def test_check_never_crashes_on_arbitrary_unicode(guard):

    @SETTINGS
    @given(st.text(max_size=200))
    def check(text):
        result = guard.check(text)
        assert result.action.value in ("allow", "redact", "block")
        assert isinstance(result.redacted_text, str)
        assert guard.check(text.encode("utf-8")).to_dict() | {"latency_ms": 0} == result.to_dict() | {
            "latency_ms": 0
        }

    check()


@SETTINGS
@given(st.text(max_size=100))
def test_normalize_map_is_consistent(text):
    n = normalize(text)
    if n.identity:
        assert n.text == text
        return
    assert len(n.starts) == len(n.ends) == len(n.text)
    for s, e in zip(n.starts, n.ends, strict=True):
        assert 0 <= s < e <= len(text)
    s, e = n.to_original(0, len(n.text))
    assert 0 <= s <= e <= len(text)
