"""Metrics and threshold calibration (numpy only, shared by training and evaluation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Rank-based AUC (ties get average rank); NaN if one class is missing."""
    y = np.asarray(y).astype(int)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def binary_metrics(y: np.ndarray, probs: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    y = np.asarray(y).astype(int)
    pred = (np.asarray(probs) >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {
        "auc": roc_auc(y, probs),
        "accuracy": (tp + tn) / max(1, len(y)),
        "precision": prec,
        "recall": rec,
        "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
    }


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _cut_between(lo: float, hi: float) -> float:
    """A threshold in (lo, hi], halfway in logit space.

    Scores of a fine-tuned classifier crowd near 0 and 1, where a linear midpoint (or the
    next float above ``lo``) leaves no margin: a new benign text scoring a hair above the
    highest validation benign score would flip. Halfway in logit space keeps the same
    validation decisions with the widest margin on both sides.
    """
    mid = float(1.0 / (1.0 + np.exp(-(_logit(lo) + _logit(hi)) / 2)))
    if not lo < mid <= hi:  # scores closer than float precision
        mid = float(np.nextafter(lo, np.inf))
    return mid


def threshold_at_fpr(y: np.ndarray, probs: np.ndarray, target_fpr: float) -> float:
    """The lowest cut (``score >= t`` flags) whose FPR on the negatives is ≤ target_fpr,
    placed halfway (logit space) to the next higher score so it has a margin."""
    probs = np.asarray(probs, dtype=np.float64)
    neg = np.sort(probs[np.asarray(y) == 0])[::-1]
    if len(neg) == 0:
        return 0.5
    k = int(np.floor(target_fpr * len(neg)))  # negatives allowed above the threshold
    if k >= len(neg):
        return float(neg[-1])
    above = probs[probs > neg[k]]
    if len(above) == 0:
        return float(np.nextafter(neg[k], np.inf))
    return _cut_between(float(neg[k]), float(above.min()))


def tpr_at_fpr(y: np.ndarray, probs: np.ndarray, target_fpr: float) -> float:
    y = np.asarray(y).astype(int)
    thr = threshold_at_fpr(y, probs, target_fpr)
    p = np.asarray(probs)[y == 1]
    return float((p >= thr).mean()) if len(p) else float("nan")


# Sources our own generator modules write (``synthetic_*`` families, the PII generator's documents).
GENERATED_SOURCE_PREFIXES = ("synthetic", "pii_generator")


def by_origin(
    y: np.ndarray, probs: np.ndarray, sources: Sequence[str], target_fpr: float = 0.01
) -> dict[str, float]:
    """AUC and TPR at ``target_fpr`` on the validation rows from other people's sources
    (``*_real``) and on the rows our generator wrote (``*_generated``), apart. The template
    split puts the generator's own families in validation too, so a model that learned them
    gains there and nowhere else: a head blended with run 7 (session 24) rose 6 points of TPR
    at 1 % FPR on all validation rows, all of it on generator rows, and nothing on the eval
    sets; the real-source rows had said so. A side without both labels is left out (no NaN
    in the run's JSON summary).

    >>> y = np.array([1, 0, 1, 0]); p = np.array([0.9, 0.1, 0.2, 0.8])
    >>> by_origin(y, p, ["bipia", "bipia", "synthetic_x", "synthetic_x"])
    {'auc_real': 1.0, 'tpr1_real': 1.0, 'auc_generated': 0.0, 'tpr1_generated': 0.0}
    """
    y = np.asarray(y).astype(int)
    probs = np.asarray(probs, dtype=np.float64)
    generated = np.array([str(s).startswith(GENERATED_SOURCE_PREFIXES) for s in sources], dtype=bool)
    out: dict[str, float] = {}
    for name, m in (("real", ~generated), ("generated", generated)):
        if 0 < int(y[m].sum()) < int(m.sum()):
            out[f"auc_{name}"] = roc_auc(y[m], probs[m])
            out[f"tpr1_{name}"] = tpr_at_fpr(y[m], probs[m], target_fpr)
    return out


def calibrate_thresholds(
    y: np.ndarray, probs: np.ndarray, *, target_fpr: float = 0.01, default_max_fpr: float = 0.03
) -> dict[str, float]:
    """Validation-only operating points.

    ``default``: the best-F1 cut among those keeping validation FPR ≤ default_max_fpr;
    ``strict``: the cut giving ``target_fpr`` on validation benign rows. Every cut
    between two adjacent validation scores is a candidate (no fixed grid, so a model whose
    best cut is above 0.99 gets it), placed halfway between them in logit space.

    >>> calibrate_thresholds(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))["default"]
    0.5
    """
    y = np.asarray(y).astype(int)
    probs = np.asarray(probs, dtype=np.float64)
    strict = threshold_at_fpr(y, probs, target_fpr)
    floor = threshold_at_fpr(y, probs, default_max_fpr)
    values = np.unique(probs)  # ascending
    cuts = [floor] + [_cut_between(a, b) for a, b in zip(values[:-1], values[1:], strict=True) if b > floor]
    cuts = np.unique(np.clip(cuts, floor, 1.0))
    pos = np.sort(probs[y == 1])
    n_pos = len(pos)
    # counts of flagged rows per cut, vectorised: rows with score >= cut
    tp = n_pos - np.searchsorted(pos, cuts, side="left")
    flagged = len(probs) - np.searchsorted(np.sort(probs), cuts, side="left")
    prec = np.divide(tp, flagged, out=np.zeros(len(cuts)), where=flagged > 0)
    rec = tp / n_pos if n_pos else np.zeros(len(cuts))
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(len(cuts)), where=(prec + rec) > 0)
    best_t = float(cuts[int(np.argmax(f1))])
    return {"default": round(best_t, 6), "strict": round(max(strict, best_t), 6)}


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def nll(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of labels ``y`` under ``softmax(logits / T)``."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    y = np.asarray(y).astype(int)
    return float(-_log_softmax(z)[np.arange(len(y)), y].mean()) if len(y) else float("nan")


def fit_temperature(logits: np.ndarray, y: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature ``T`` minimising validation NLL of ``softmax(logits / T)``.

    NLL is convex in the inverse temperature, so a golden-section search over it finds the
    optimum; ``T`` is clipped to ``bounds``. Dividing by ``T`` keeps every argmax and
    ranking (so AUC and the chosen decisions are unchanged); it only makes the scores mean
    what they say.

    >>> z = np.array([[0.0, 8.0], [0.0, -8.0], [0.0, 8.0], [0.0, -8.0]])
    >>> fit_temperature(z, np.array([1, 0, 0, 1])) > 5   # confidently wrong half the time
    True
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y).astype(int)
    if z.ndim != 2 or len(z) != len(y) or len(y) == 0:
        raise ValueError("logits must be (n, k) with one label per row")
    lo, hi = 1.0 / bounds[1], 1.0 / bounds[0]
    g = (np.sqrt(5) - 1) / 2
    f = lambda b: nll(z * b, y)  # noqa: E731
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(80):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    beta = (a + b) / 2
    return float(1.0 / beta)


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Top-label ECE with ``bins`` equal-width confidence bins: the bin-size weighted mean
    of |accuracy − mean confidence|. ``probs`` is (n, k) class probabilities, or (n,)
    positive-class probabilities of a binary task.

    >>> round(expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 0, 0, 0])), 3)
    0.15
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = np.stack([1 - p, p], axis=1)
    y = np.asarray(y).astype(int)
    if len(y) == 0:
        return float("nan")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    total = sum(n * gap for n, gap in calibration_gaps(conf, correct, bins))
    return float(total / len(y))


def calibration_gaps(score: np.ndarray, outcome: np.ndarray, bins: int = 10) -> list[tuple[int, float]]:
    """Per non-empty equal-width ``score`` bin on [0, 1] (a score of 1 in the last): its size
    and |mean ``outcome`` − mean ``score``|, the terms of an expected calibration error.

    >>> calibration_gaps(np.array([0.05, 0.15, 0.95]), np.array([0.0, 1.0, 1.0]), bins=10)
    [(1, 0.05), (1, 0.85), (1, 0.050000000000000044)]
    """
    idx = np.minimum((score * bins).astype(int), bins - 1)
    gaps = []
    for b in range(bins):
        m = idx == b
        if m.any():
            gaps.append((int(m.sum()), float(abs(outcome[m].mean() - score[m].mean()))))
    return gaps


def temperature_report(logits: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Fit ``T`` on validation logits and report NLL and ECE before and after it."""
    z = np.asarray(logits, dtype=np.float64)
    t = fit_temperature(z, y)
    soft = lambda x: np.exp(_log_softmax(x))  # noqa: E731
    return {
        "temperature": round(t, 6),
        "nll_before": nll(z, y),
        "nll_after": nll(z, y, t),
        "ece_before": expected_calibration_error(soft(z), y, bins),
        "ece_after": expected_calibration_error(soft(z / t), y, bins),
        "bins": bins,
        "rows": int(len(y)),
    }
