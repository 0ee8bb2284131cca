"""Metrics and threshold calibration (numpy only, shared by training and evaluation)."""

from __future__ import annotations

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


def threshold_at_fpr(y: np.ndarray, probs: np.ndarray, target_fpr: float) -> float:
    """Smallest threshold whose FPR on the negatives is ≤ target_fpr."""
    neg = np.sort(np.asarray(probs)[np.asarray(y) == 0])[::-1]
    if len(neg) == 0:
        return 0.5
    k = int(np.floor(target_fpr * len(neg)))  # negatives allowed above the threshold
    if k >= len(neg):
        return float(neg[-1])
    return float(np.nextafter(np.float32(neg[k]), np.float32(1.0)))


def tpr_at_fpr(y: np.ndarray, probs: np.ndarray, target_fpr: float) -> float:
    y = np.asarray(y).astype(int)
    thr = threshold_at_fpr(y, probs, target_fpr)
    p = np.asarray(probs)[y == 1]
    return float((p >= thr).mean()) if len(p) else float("nan")


def calibrate_thresholds(
    y: np.ndarray, probs: np.ndarray, *, target_fpr: float = 0.01, default_max_fpr: float = 0.03
) -> dict[str, float]:
    """Validation-only operating points.

    ``default``: the best-F1 threshold among those keeping validation FPR ≤ default_max_fpr;
    ``strict``: the threshold giving ``target_fpr`` on validation benign rows.
    """
    y = np.asarray(y).astype(int)
    strict = threshold_at_fpr(y, probs, target_fpr)
    floor = threshold_at_fpr(y, probs, default_max_fpr)
    best_t, best_f1 = max(floor, 0.5), -1.0
    for t in np.unique(np.clip(np.concatenate([np.linspace(0.05, 0.99, 95), [floor]]), floor, 1.0)):
        f1 = binary_metrics(y, probs, float(t))["f1"]
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return {"default": round(best_t, 6), "strict": round(max(strict, best_t), 6)}
