"""Evaluation results as the training package's evaluators write them, for the tests of
the reports and model cards built from them."""

from __future__ import annotations

from typing import Any


def eval_set(group: str, n: int, positives: int, **scores: Any) -> dict[str, Any]:
    """One evaluation set's entry in ``per_set``: its group, size, number of positives and
    ``scores`` (accuracy, tpr, fpr, by_lang, by_family, ...)."""
    return {"group": group, "n": n, "positives": positives, **scores}


def attacks(n: int, tpr: float) -> dict[str, Any]:
    """A ``by_lang`` or ``by_family`` entry of attacks only: ``n`` texts, all positive,
    recalled at ``tpr``."""
    return {"n": n, "positives": n, "tpr": tpr}


def promptmap_attacks(**scores: Any) -> dict[str, Any]:
    """The promptmap set: 20 attacks, half extraction (recall 0.6), half distraction (0.4),
    so the extraction pool and the other-attacks pool each get one family of it."""
    families = {"extraction:promptmap": attacks(10, 0.6), "distraction:promptmap": attacks(10, 0.4)}
    return eval_set("extraction", 20, 20, **scores, tpr=0.5, by_family=families)
