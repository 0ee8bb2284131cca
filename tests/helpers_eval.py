"""Evaluation results as the training package's evaluators write them, for the tests of
the reports and model cards built from them."""

from __future__ import annotations

from typing import Any


def eval_set(group: str, n: int, positives: int, **scores: Any) -> dict[str, Any]:
    """One evaluation set's entry in ``per_set``: its group, size, number of positives and
    ``scores`` (accuracy, tpr, fpr, by_lang, by_family, ...)."""
    return {"group": group, "n": n, "positives": positives, **scores}
