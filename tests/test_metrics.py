"""Threshold calibration: validation-only operating points with a margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bastion_training.metrics import binary_metrics, calibrate_thresholds, threshold_at_fpr, tpr_at_fpr


def _scores(seed: int, n_neg: int = 2000, n_pos: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_neg), np.ones(n_pos)].astype(int)
    return y, np.r_[rng.beta(1, 30, n_neg), rng.beta(30, 1, n_pos)]


@pytest.mark.parametrize("target", [0.0, 0.01, 0.03, 0.1])
@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_at_fpr_keeps_the_validation_fpr(target, seed):
    y, p = _scores(seed)
    t = threshold_at_fpr(y, p, target)
    assert binary_metrics(y, p, t)["fpr"] <= target
    # and it is the lowest such cut: no validation score lies between it and the next negative
    neg = np.sort(p[y == 0])[::-1]
    k = int(np.floor(target * len(neg)))
    assert neg[k] < t and not np.any((p > neg[k]) & (p < t))


def test_separable_scores_get_a_cut_with_a_margin_on_both_sides():
    # all benign below 0.05, all attacks above 0.995: the old grid stopped at 0.99 and the
    # old strict cut sat one float above the top benign score
    y = np.array([0] * 5 + [1] * 5)
    p = np.array([0.001, 0.01, 0.02, 0.03, 0.05, 0.995, 0.996, 0.997, 0.998, 0.999])
    th = calibrate_thresholds(y, p, target_fpr=0.0, default_max_fpr=0.0)
    for name in ("default", "strict"):
        t = th[name]
        assert binary_metrics(y, p, t)["f1"] == 1.0
        logit = np.log(t / (1 - t))
        assert abs(logit - (np.log(0.05 / 0.95) + np.log(0.995 / 0.005)) / 2) < 1e-3


def test_best_cut_above_099_is_reachable():
    # benign scores up to 0.992 (most of them low); attacks 0.993–0.9999: the best cut is above 0.99
    y = np.array([0] * 50 + [1] * 20)
    p = np.r_[np.linspace(0.01, 0.5, 45), [0.97, 0.98, 0.985, 0.99, 0.992], np.linspace(0.993, 0.9999, 20)]
    th = calibrate_thresholds(y, p, target_fpr=0.0, default_max_fpr=0.1)
    assert 0.992 < th["default"] <= 0.993
    assert binary_metrics(y, p, th["default"])["f1"] == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_default_is_the_best_f1_cut_within_the_fpr_budget(seed):
    y, p = _scores(seed)
    p = np.clip(p + np.random.default_rng(seed).normal(0, 0.15, len(p)), 0, 1)  # overlapping classes
    th = calibrate_thresholds(y, p, target_fpr=0.01, default_max_fpr=0.03)
    best = binary_metrics(y, p, th["default"])
    assert best["fpr"] <= 0.03
    assert th["strict"] >= th["default"]
    assert binary_metrics(y, p, th["strict"])["fpr"] <= 0.01
    # no cut on a fine grid does better under the same FPR budget
    for t in np.linspace(0, 1, 401):
        m = binary_metrics(y, p, float(t))
        if m["fpr"] <= 0.03:
            assert m["f1"] <= best["f1"] + 1e-9


def test_no_negatives_and_tpr():
    assert threshold_at_fpr(np.array([1, 1]), np.array([0.2, 0.9]), 0.01) == 0.5
    y, p = _scores(0)
    assert 0.9 < tpr_at_fpr(y, p, 0.01) <= 1.0


# --- per-label span thresholds (PII export) -----------------------------------------------
choose = pytest.importorskip("bastion_training.export_pii").choose_label_thresholds


@pytest.mark.parametrize(
    ("gold", "scored", "expected"),
    [
        # low-score false positives of one label: its threshold rises just past them
        (
            [[("ORGANIZATION", 0, 3)], [], []],
            [[("ORGANIZATION", 0, 3, 0.95)], [("ORGANIZATION", 4, 9, 0.6)], [("ORGANIZATION", 1, 2, 0.55)]],
            {"default": 0.5, "ORGANIZATION": 0.65},
        ),
        # true spans with low scores: raising would lose them, so the default stays
        (
            [[("PERSON", 0, 3)], [("PERSON", 2, 5)]],
            [[("PERSON", 0, 3, 0.55)], [("PERSON", 2, 5, 0.6)]],
            {"default": 0.5},
        ),
        # a span that only overlaps (IoU >= 0.5) still counts as found
        ([[("ADDRESS", 0, 10)]], [[("ADDRESS", 0, 8, 0.7)]], {"default": 0.5}),
        # nothing predicted, nothing gold
        ([[], []], [[], []], {"default": 0.5}),
    ],
)
def test_choose_label_thresholds_table(gold, scored, expected):
    thresholds, report = choose(gold, scored)
    assert thresholds == expected
    assert set(report) == {row[0] for doc in gold for row in doc} | {r[0] for doc in scored for r in doc}


def test_choose_label_thresholds_takes_runtime_predictions():
    from bastion.detectors.onnx_ner import SpanPrediction

    gold = [[("ORGANIZATION", 0, 3)], [], []]
    tuples = [[("ORGANIZATION", 0, 3, 0.95)], [("ORGANIZATION", 4, 9, 0.6)], [("ORGANIZATION", 1, 2, 0.55)]]
    preds = [[SpanPrediction(start=s, end=e, label=lab, score=sc) for lab, s, e, sc in row] for row in tuples]
    assert choose(gold, preds) == choose(gold, tuples)


def test_small_gains_do_not_move_a_label():
    # one FP in 300 true spans: F1 gain from dropping it is < 0.005
    gold = [[("PERSON", 0, 3)] for _ in range(300)] + [[]]
    scored = [[("PERSON", 0, 3, 0.9)] for _ in range(300)] + [[("PERSON", 0, 3, 0.55)]]
    assert choose(gold, scored)[0] == {"default": 0.5}
    assert choose(gold, scored, min_gain=0.0)[0] == {"default": 0.5, "PERSON": 0.6}


@pytest.mark.parametrize("true_t", [0.5, 1.0, 3.0])
def test_fit_temperature_recovers_the_generating_temperature(true_t: float) -> None:
    """Labels drawn from softmax(z / T): the NLL fit finds T and ECE does not get worse."""
    from bastion_training.metrics import expected_calibration_error, fit_temperature, temperature_report

    rng = np.random.default_rng(0)
    z = rng.normal(0, 4, (20000, 3))
    p = np.exp(z / true_t)
    p /= p.sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    t = fit_temperature(z, y)
    assert t == pytest.approx(true_t, rel=0.05)
    rep = temperature_report(z, y)
    assert rep["nll_after"] <= rep["nll_before"] + 1e-12
    assert rep["ece_after"] < 0.02
    if true_t != 1.0:
        assert rep["ece_before"] > 2 * rep["ece_after"]
    assert expected_calibration_error(p, y) < 0.02  # the generating probabilities are calibrated


@pytest.mark.parametrize(
    ("probs", "y", "expected"),
    [
        (np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 1, 0, 0]), 0.1),  # under-confident by 0.1
        (np.array([0.75, 0.75, 0.75, 0.75]), np.array([1, 1, 1, 0]), 0.0),
        (np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 1]), 0.5 * 0.2 + 0.5 * 0.6),
    ],
)
def test_expected_calibration_error(probs, y, expected: float) -> None:
    from bastion_training.metrics import expected_calibration_error

    assert expected_calibration_error(probs, y) == pytest.approx(expected)


def test_fit_temperature_rejects_bad_shapes() -> None:
    from bastion_training.metrics import fit_temperature

    with pytest.raises(ValueError):
        fit_temperature(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((0, 2)), np.zeros(0))


def _val_with_generator_family(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Validation where 'real' rows separate cleanly and a generator family's positives
    score low (a family the model finds hard and that real traffic rarely holds)."""

    y, p = _scores(seed, 1000, 300)
    gen = np.r_[np.zeros(100), np.ones(300)].astype(int)
    rng = np.random.default_rng(seed + 10)
    gp = np.r_[rng.beta(1, 30, 100), rng.beta(2, 8, 300)]
    fam = ["real"] * len(y) + ["gen_doc"] * len(gen)
    return pd.DataFrame({"label": np.r_[y, gen], "family": fam}), np.r_[p, gp]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_operating_points_leave_out_excluded_families(seed):
    operating_points = pytest.importorskip("bastion_training.export").operating_points
    val, s = _val_with_generator_family(seed)
    everything = operating_points(val, s)
    real_only = operating_points(val, s, exclude=("gen_doc",))
    # the hard generator positives drag the best-F1 cut down; left out, the cut is the one
    # the real rows alone give
    assert real_only["default"] > everything["default"]
    real = val["family"].eq("real").to_numpy()
    assert real_only == calibrate_thresholds(val["label"].to_numpy()[real], s[real])
    assert operating_points(val, s, exclude=("no_such_family",)) == everything


@pytest.mark.parametrize(
    ("sources", "want_real", "want_generated"),
    [
        # other people's rows rank perfectly, the generator's rows backwards
        (["bipia", "sep", "synthetic_carrier", "pii_generator_docs"], (1.0, 1.0), (0.0, 0.0)),
        # every row from a real source: the generated side has no rows
        (["bipia", "sep", "garak", "tau_bench"], (0.75, 0.5), (None, None)),
        # one label per side: AUC and TPR are undefined there
        (["bipia", "synthetic_x", "bipia", "synthetic_x"], (None, None), (None, None)),
    ],
)
def test_by_origin_reads_real_and_generated_validation_rows_apart(sources, want_real, want_generated):
    from bastion_training.metrics import by_origin

    y = np.array([1, 0, 1, 0])
    probs = np.array([0.9, 0.1, 0.2, 0.8])
    got = by_origin(y, probs, sources)
    for side, want in (("real", want_real), ("generated", want_generated)):
        for key, value in zip((f"auc_{side}", f"tpr1_{side}"), want, strict=True):
            if value is None:
                assert key not in got, (key, got)
            else:
                assert got[key] == pytest.approx(value), (key, got)
