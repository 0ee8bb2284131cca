"""Tests for the span-matching metrics in bastion.evaluation."""

from __future__ import annotations

import pytest
from bastion.errors import ConfigError, InputError
from bastion.evaluation import MICRO, PRF, iou, span_prf
from bastion.types import Finding


@pytest.mark.parametrize(
    ("gold", "pred", "mode", "expected"),
    [
        # identical spans
        ([("A", 0, 5)], [("A", 0, 5)], "exact", (1, 0, 0)),
        # off by one: exact misses, IoU 0.8 matches
        ([("A", 0, 5)], [("A", 0, 4)], "exact", (0, 1, 1)),
        ([("A", 0, 5)], [("A", 0, 4)], "iou", (1, 0, 0)),
        # IoU just below 0.5 does not match
        ([("A", 0, 10)], [("A", 0, 4)], "iou", (0, 1, 1)),
        # IoU exactly 0.5 matches
        ([("A", 0, 10)], [("A", 0, 5)], "iou", (1, 0, 0)),
        # right span, wrong label
        ([("A", 0, 5)], [("B", 0, 5)], "exact", (0, 1, 1)),
        # one long prediction cannot claim two gold spans
        ([("A", 0, 4), ("A", 5, 9)], [("A", 0, 9)], "iou", (0, 1, 2)),
        ([("A", 0, 4), ("A", 5, 9)], [("A", 0, 5)], "iou", (1, 0, 1)),
        # duplicate predictions: the second is a false positive
        ([("A", 0, 5)], [("A", 0, 5), ("A", 0, 5)], "exact", (1, 1, 0)),
        # nothing at all
        ([], [], "exact", (0, 0, 0)),
    ],
)
def test_micro_counts(gold: list, pred: list, mode: str, expected: tuple[int, int, int]) -> None:
    m = span_prf([gold], [pred], mode)[MICRO]
    assert (m.tp, m.fp, m.fn) == expected


def test_per_label_and_findings() -> None:
    gold = [[("EMAIL_ADDRESS", 0, 10), ("PHONE_NUMBER", 20, 30)], [("PHONE_NUMBER", 0, 12)]]
    pred = [
        [Finding("EMAIL_ADDRESS", 0, 10, 0.9, "x"), Finding("US_SSN", 40, 51, 0.9, "x")],
        [Finding("PHONE_NUMBER", 0, 12, 0.9, "x")],
    ]
    r = span_prf(gold, pred)
    assert r["EMAIL_ADDRESS"] == PRF(1, 0, 0)
    assert r["PHONE_NUMBER"] == PRF(1, 0, 1)
    assert r["US_SSN"] == PRF(0, 1, 0)
    assert r[MICRO] == PRF(2, 1, 1)
    assert list(r)[-1] == MICRO


def test_labels_filter_ignores_other_labels_and_keeps_empty_ones() -> None:
    r = span_prf([[("A", 0, 1), ("B", 2, 3)]], [[("B", 2, 3), ("C", 5, 6)]], labels=["B", "Z"])
    assert set(r) == {"B", "Z", MICRO}
    assert r["B"] == PRF(1, 0, 0) and r["Z"] == PRF() and r[MICRO] == PRF(1, 0, 0)


@pytest.mark.parametrize(
    ("prf", "p", "r", "f1"),
    [
        (PRF(3, 1, 2), 0.75, 0.6, 2 * 0.75 * 0.6 / 1.35),
        (PRF(0, 0, 0), 0.0, 0.0, 0.0),
        (PRF(0, 4, 0), 0.0, 0.0, 0.0),
    ],
)
def test_scores(prf: PRF, p: float, r: float, f1: float) -> None:
    assert prf.precision == pytest.approx(p)
    assert prf.recall == pytest.approx(r)
    assert prf.f1 == pytest.approx(f1)


def test_fbeta_weighs_recall() -> None:
    high_recall = PRF(tp=9, fp=9, fn=1)
    assert high_recall.fbeta(2.0) > high_recall.f1 > high_recall.fbeta(0.5)


@pytest.mark.parametrize(
    ("a", "b", "v"), [(("X", 0, 10), ("X", 5, 15), 1 / 3), (("X", 0, 5), ("X", 5, 9), 0.0)]
)
def test_iou(a: tuple, b: tuple, v: float) -> None:
    assert iou(a, b) == pytest.approx(v)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        span_prf([[]], [[]], mode="fuzzy")
    with pytest.raises(ConfigError):
        span_prf([[]], [[]], mode="iou", iou_threshold=0)
    with pytest.raises(InputError):
        span_prf([[]], [[], []])
    with pytest.raises(InputError):
        span_prf([["not a span"]], [[]])
