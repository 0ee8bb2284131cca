"""Span scoring in the training stages: the runtime's matcher
(:func:`bastion.evaluation.span_prf`), so a validation F1 and an evaluation F1 count the
same way.

Spans are the runtime's ``(label, start, end)`` tuples (end-exclusive character offsets)
or any object with ``label``, ``start`` and ``end`` (a ``Finding``, a ``SpanPrediction``).

>>> r = span_scores([[("PERSON", 0, 3)]], [[("PERSON", 0, 3), ("LOCATION", 5, 7)]])
>>> round(r["micro"]["precision"], 2), r["per_label"]["PERSON"]["f1"]
(0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bastion.evaluation import MICRO, PRF, Span, span_prf

__all__ = ["Span", "prf_scores", "span_scores"]


def prf_scores(prf: PRF) -> dict[str, float | int]:
    """Precision, recall, F1 and support of one label (or the micro total).

    >>> prf_scores(PRF(tp=3, fp=1, fn=2))
    {'precision': 0.75, 'recall': 0.6, 'f1': 0.6666666666666665, 'support': 5}
    """
    return {"precision": prf.precision, "recall": prf.recall, "f1": prf.f1, "support": prf.support}


def span_scores(
    gold: Sequence[Iterable[Any]], pred: Sequence[Iterable[Any]], mode: str = "exact"
) -> dict[str, Any]:
    """``{"micro": scores, "per_label": {label: scores}}`` over a corpus (``gold[i]`` and
    ``pred[i]`` are document ``i``'s spans; ``mode`` "exact" or "iou" as in the runtime)."""
    res = span_prf(gold, pred, mode)
    return {
        "micro": prf_scores(res[MICRO]),
        "per_label": {k: prf_scores(v) for k, v in res.items() if k != MICRO},
    }
