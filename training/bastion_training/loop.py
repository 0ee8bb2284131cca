"""The fine-tuning loop both training stages share.

A stage brings its model, the length of each training row (batches are length-bucketed),
a function giving the loss of a batch of row indices, a validation function and a way to
save the best checkpoint; :func:`fit` owns the rest: AdamW with a linear warmup/decay
schedule, gradient clipping, periodic evaluation, keeping the best checkpoint, patience,
the time budget, ``max_steps`` and MLflow step logging.

>>> result = fit(model, params.train, lengths, batch_loss, evaluate, save_best, rng=rng)  # doctest: +SKIP
>>> result.best["step"], result.stopped_by                                                 # doctest: +SKIP
(600, 'early stopping')
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bastion_training.common import write_json
from bastion_training.config import LoopParams
from bastion_training.timing import TIMING_FILE

log = logging.getLogger("bastion_training.loop")

LOG_EVERY = 50  # steps between train-loss lines (and MLflow points)


@dataclass(frozen=True)
class Evaluation:
    """One validation pass.

    ``score`` ranks checkpoints (higher is better, compared as a tuple); ``metrics`` are
    logged as ``val_<key>`` at the step; ``record`` is what the best checkpoint's summary
    keeps; ``outputs`` is whatever ``save_best`` needs besides the model (e.g. the
    validation logits).
    """

    score: tuple[float, ...]
    metrics: Mapping[str, float]
    record: Mapping[str, Any]
    outputs: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FitResult:
    """How a run ended: the best evaluation's record (plus ``step`` and ``epoch``; empty
    when no evaluation ran), steps taken, wall-clock seconds and why it stopped."""

    best: dict[str, Any]
    steps: int
    seconds: float
    stopped_by: str


def length_bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> list[list[int]]:
    """Shuffled batches of similar-length rows: padding waste dominates CPU cost otherwise.

    >>> b = length_bucketed_batches([5, 1, 4, 2], 2, np.random.default_rng(0))
    >>> sorted(map(sorted, b))
    [[0, 2], [1, 3]]
    """
    idx = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        batches += [[int(i) for i in part[j : j + batch_size]] for j in range(0, len(part), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def schedule_steps(rows: int, p: LoopParams) -> tuple[int, int]:
    """(steps per epoch, total optimiser steps): ``epochs`` passes, capped by ``max_steps``.

    >>> from bastion_training.config import TrainInjectionParams
    >>> schedule_steps(100, TrainInjectionParams.from_mapping(
    ...     {"max_length": 8, "batch_size": 16, "epochs": 3, "lr": 1e-3, "max_steps": 10}))
    (7, 10)
    """
    per_epoch = max(1, math.ceil(rows / p.batch_size))
    total = per_epoch * p.epochs
    return per_epoch, min(total, p.max_steps) if p.max_steps else total


def fit(
    model: Any,
    p: LoopParams,
    lengths: Sequence[int],
    batch_loss: Callable[[list[int]], Any],
    evaluate: Callable[[], Evaluation],
    save_best: Callable[[Evaluation], None],
    *,
    rng: np.random.Generator,
    tracker: Any = None,
    clock: Callable[[], float] = time.monotonic,
) -> FitResult:
    """Train ``model`` on the rows behind ``lengths`` and keep the best validation checkpoint.

    ``batch_loss(indices)`` returns the (differentiable) loss of those rows; the model is in
    train mode when it is called and ``evaluate`` may leave it in eval mode. Evaluation
    runs every ``eval_every`` steps (once per epoch when None), at the last step and when
    the ``max_minutes`` budget is spent; a run stops after ``patience`` evaluations without
    a better ``score``. ``tracker`` is an active MLflow module (or None).
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    per_epoch, total = schedule_steps(len(lengths), p)
    opt = torch.optim.AdamW(model.parameters(), lr=p.lr, weight_decay=p.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(total * p.warmup), total)
    eval_every = p.eval_every or per_epoch
    budget_s = p.max_minutes * 60 if p.max_minutes else math.inf
    best: dict[str, Any] = {}
    best_score: tuple[float, ...] | None = None
    bad_evals = step = 0
    t0 = clock()
    for epoch in range(p.epochs):
        model.train()
        for batch in length_bucketed_batches(lengths, p.batch_size, rng):
            loss = batch_loss(batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % LOG_EVERY == 0:
                value = float(loss.item())
                log.info("epoch %d step %d/%d loss %.4f (%.0fs)", epoch, step, total, value, clock() - t0)
                if tracker:
                    tracker.log_metric("train_loss", value, step=step)
            over_budget = clock() - t0 > budget_s
            if not (step % eval_every == 0 or step >= total or over_budget):
                continue
            ev = evaluate()
            log.info("eval step %d: %s", step, {k: round(float(v), 4) for k, v in ev.metrics.items()})
            if tracker:
                tracker.log_metrics({f"val_{k}": float(v) for k, v in ev.metrics.items()}, step=step)
            if best_score is None or ev.score > best_score:
                best_score, best, bad_evals = ev.score, {**ev.record, "step": step, "epoch": epoch}, 0
                save_best(ev)
            else:
                bad_evals += 1
            model.train()
            why = _stop_reason(p, step, total, bad_evals, over_budget)
            if why:
                log.info("stopping: %s", why)
                return FitResult(best, step, clock() - t0, why)
    return FitResult(best, step, clock() - t0, "epochs")


def _stop_reason(p: LoopParams, step: int, total: int, bad_evals: int, over_budget: bool) -> str:
    """Why to stop after an evaluation ("" to go on)."""
    if over_budget:
        return "budget"
    if step >= total:
        return "max_steps" if p.max_steps and total == p.max_steps else "epochs"
    return "early stopping" if bad_evals >= p.patience else ""


def finish_run(
    out_dir: Path,
    name: str,
    summary: Mapping[str, Any],
    result: FitResult,
    temperature: Mapping[str, Any],
    tracker: Any = None,
) -> dict[str, Any]:
    """Write a run's summary (``out_dir/name``, the stage's metrics file) and its
    ``timing.json``, and close its MLflow record (:func:`log_summary`); the summary is the
    train stage's result."""
    write_json(out_dir / name, dict(summary))
    write_timing(out_dir, result)
    log_summary(tracker, name, summary, temperature)
    return dict(summary)


def log_summary(tracker: Any, name: str, summary: Mapping[str, Any], temperature: Mapping[str, Any]) -> None:
    """The end-of-run MLflow record: the best checkpoint's float metrics, the temperature
    fit and the summary file itself."""
    if not tracker:
        return
    best = summary.get("best") or {}
    tracker.log_metrics({f"best_val_{k}": float(v) for k, v in best.items() if isinstance(v, float)})
    tracker.log_metrics({f"val_{k}": float(v) for k, v in temperature.items()})
    tracker.log_dict(dict(summary), name)


def write_timing(out_dir: Path, result: FitResult) -> None:
    """The run's wall-clock facts, apart from its metrics file (:mod:`bastion_training.timing`)."""
    write_json(
        out_dir / TIMING_FILE, {"train_seconds": round(result.seconds, 1), "stopped_by": result.stopped_by}
    )


def focus_replay(frame: pd.DataFrame, focus: np.ndarray, replay_rows: int, seed: int) -> pd.DataFrame:
    """A continuation round's rows: every ``focus`` row plus a seeded sample of ``replay_rows``
    of the rest (so the checkpoint keeps seeing what it already learnt), in the original order;
    ``replay_rows`` 0 keeps every row.

    >>> df = pd.DataFrame({"x": range(6)})
    >>> focus_replay(df, np.array([1, 0, 0, 0, 0, 1], bool), 2, seed=0)["x"].tolist()
    [0, 3, 4, 5]
    """
    if not replay_rows:
        return frame
    focus = np.asarray(focus, dtype=bool)
    rest = frame[~focus]
    rest = rest.sample(n=min(len(rest), replay_rows), random_state=seed)
    return pd.concat([frame[focus], rest]).sort_index()
