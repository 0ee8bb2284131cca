"""What the Guard does with a detector that breaks the documented contract (QA round s31):
a clear BastionError naming the detector, never a silent allow, a dropped finding or a
result whose offsets point outside the text."""

from __future__ import annotations

import math
import re

import pytest
from bastion import BastionError, ConfigError, DetectorError, Guard, Policy
from bastion.detectors import build_detector
from bastion.types import Finding


class Custom:
    name, category, version, kind = "custom", "pii", "1", "rules"

    def __init__(self, fn, **attrs):
        self.fn = fn
        for k, v in attrs.items():
            setattr(self, k, v)

    def detect(self, texts):
        return self.fn(texts)


def _inj(score):
    return Custom(
        lambda ts: [[Finding("INJECTION", 0, len(t), score, "custom", category="injection")] for t in ts],
        category="injection",
    )


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda ts: [[]], "returned 1 results for 2 texts"),
        (lambda ts: None, "returned a NoneType"),
        (lambda ts: ([] for _ in ts), "returned a generator"),
        (lambda ts: [None for _ in ts], "returned a NoneType for a text"),
        (
            lambda ts: [[{"label": "PERSON", "start": 0, "end": 5}] for _ in ts],
            "returned a dict, not a Finding",
        ),
        (lambda ts: [[Finding("PERSON", 0.5, 3.7, 0.9, "custom")] for _ in ts], "are not integers"),
        (lambda ts: [[Finding("PERSON", 0, 5, "0.9", "custom")] for _ in ts], "is not a number in [0, 1]"),
        (lambda ts: [[Finding("PERSON", 6, 500, 0.9, "custom")] for _ in ts], "is not inside the text"),
        (lambda ts: [[Finding("PERSON", 0, 2, 0.9, "custom", category="PII")] for _ in ts], "category 'PII'"),
    ],
)
def test_a_broken_detector_output_is_a_detector_error(fn, message):
    with pytest.raises(DetectorError, match=r"detector custom") as info:
        Guard([Custom(fn)]).check_many(["hello world", "second text here"])
    assert message in str(info.value)


@pytest.mark.parametrize("score", [math.nan, 1.7, -0.1, math.inf])
def test_an_injection_score_outside_0_1_never_allows(score):
    # a NaN compared false against every cut: the text was allowed, not degraded
    with pytest.raises(DetectorError, match="not a number in"):
        Guard([_inj(score)]).check("hi there")


def test_an_exception_in_a_detector_names_it_and_not_the_text():
    def boom(texts):
        raise ValueError(f"cannot parse {texts[0]!r}")

    with pytest.raises(DetectorError) as info:
        Guard([Custom(boom)]).check("jane@example.com")
    assert str(info.value) == "detector custom failed: ValueError" and "jane" not in str(info.value)
    assert isinstance(info.value.__cause__, ValueError) and isinstance(info.value, BastionError)


@pytest.mark.parametrize(
    ("detectors", "message"),
    [
        ([Custom(lambda ts: [[] for _ in ts], category="PII")], "category must be 'pii' or 'injection'"),
        ([Custom(lambda ts: [[] for _ in ts], kind="fallbak")], "kind must be one of"),
        ([object()], "detector 0 is a object"),
        (["pii_regex"], "pass build_detector('pii_regex')"),
        ([build_detector("pii_regex"), build_detector("pii_regex")], "two detectors are named 'regex'"),
    ],
)
def test_a_misconfigured_detector_is_refused_at_construction(detectors, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Guard(detectors)


def test_a_good_custom_detector_still_works():
    g = Guard([Custom(lambda ts: [[Finding("PERSON", 0, 2, 0.9, "custom")] for _ in ts])], Policy())
    assert g.check("Jo here").redacted_text == "[REDACTED_PERSON] here"


def test_numpy_scalars_are_numbers():
    # s31 verify R2: the first boundary check refused np.int64 offsets and np.float32 scores
    np = pytest.importorskip("numpy")
    det = Custom(
        lambda ts: [[Finding("PERSON", np.int64(0), np.int64(2), np.float32(0.9), "custom")] for _ in ts]
    )
    assert Guard([det]).check("Jo here").redacted_text == "[REDACTED_PERSON] here"
