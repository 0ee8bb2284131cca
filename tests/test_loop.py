"""The shared fine-tuning loop (bastion_training.loop.fit) on a tiny linear model: when it
evaluates, which checkpoint it keeps, and why it stops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from bastion_training.config import TrainInjectionParams  # noqa: E402
from bastion_training.loop import (  # noqa: E402
    Evaluation,
    fit,
    length_bucketed_batches,
    schedule_steps,
)

ROWS = 40  # 5 batches of 8 per epoch


def _params(**kw) -> TrainInjectionParams:
    base = {"max_length": 8, "batch_size": 8, "epochs": 3, "lr": 0.1, "patience": 100, "track": False}
    return TrainInjectionParams.from_mapping({**base, **kw})


class _Tracker:
    def __init__(self) -> None:
        self.points: list[tuple[str, float, int]] = []

    def log_metric(self, key, value, step):
        self.points.append((key, value, step))

    def log_metrics(self, values, step):
        self.points += [(k, v, step) for k, v in values.items()]


def _run(p: TrainInjectionParams, scores, clock=None, tracker=None):
    """fit() on a linear model; ``scores`` are the successive evaluation scores. Returns
    (result, what save_best got, batch sizes seen, the model)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x = torch.randn(ROWS, 2)
    y = x.sum(1, keepdim=True)
    evals, saved = iter(scores), []
    steps_seen = []

    def batch_loss(batch):
        steps_seen.append(len(batch))
        return torch.nn.functional.mse_loss(model(x[batch]), y[batch])

    def evaluate():
        s = next(evals)
        return Evaluation((s,), {"score": s}, {"score": s}, outputs=s)

    kw = {"clock": clock} if clock else {}
    res = fit(
        model, p, [1] * ROWS, batch_loss, evaluate, lambda ev: saved.append(ev.outputs),
        rng=np.random.default_rng(0), tracker=tracker, **kw,
    )  # fmt: skip
    return res, saved, steps_seen, model


@pytest.mark.parametrize(
    ("kw", "scores", "steps", "stopped_by", "best_step", "saved"),
    [
        # every epoch evaluated (eval_every unset), improving each time: runs all 15 steps
        ({}, [0.1, 0.2, 0.3], 15, "epochs", 15, [0.1, 0.2, 0.3]),
        # two evaluations without a better score after the first: patience 2 stops at step 6
        ({"eval_every": 2, "patience": 2}, [0.5, 0.4, 0.5], 6, "early stopping", 2, [0.5]),
        # a tie is not an improvement
        ({"eval_every": 5, "patience": 1}, [0.5, 0.5], 10, "early stopping", 5, [0.5]),
        # max_steps ends the run (and the schedule) early, with a last evaluation
        ({"eval_every": 4, "max_steps": 7}, [0.1, 0.2], 7, "max_steps", 7, [0.1, 0.2]),
    ],
)
def test_fit_evaluates_keeps_the_best_and_stops(kw, scores, steps, stopped_by, best_step, saved):
    res, got_saved, seen, _ = _run(_params(**kw), scores)
    assert (res.steps, res.stopped_by, res.best["step"]) == (steps, stopped_by, best_step)
    assert got_saved == saved
    assert res.best["score"] == got_saved[-1]
    assert len(seen) == steps and all(n == 8 for n in seen)


def test_fit_stops_when_the_budget_is_spent():
    ticks = itertools.count(0, 30.0)  # each clock read is 30 s later: a 1-minute budget ends at once
    res, saved, _, _ = _run(_params(max_minutes=1, eval_every=100), [0.3], clock=lambda: next(ticks))
    assert res.stopped_by == "budget" and res.steps < 15 and saved == [0.3]
    assert res.seconds > 60


def test_fit_logs_train_loss_and_val_metrics():
    tracker = _Tracker()
    _run(_params(epochs=12, eval_every=25), [0.1, 0.2, 0.3], tracker=tracker)
    assert [(v, s) for k, v, s in tracker.points if k == "val_score"] == [(0.1, 25), (0.2, 50), (0.3, 60)]
    assert [s for k, _, s in tracker.points if k == "train_loss"] == [50]


def test_fit_steps_the_optimiser_to_a_fit():
    res, _, _, model = _run(_params(epochs=40, lr=0.05, warmup=0.0), [float(i) for i in range(40)])
    assert res.steps == 200 and res.stopped_by == "epochs"
    # y = x1 + x2: the weights move from their random start to about (1, 1)
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, 1.0]], atol=0.15)


@pytest.mark.parametrize(
    ("rows", "kw", "expected"),
    [(40, {}, (5, 15)), (41, {}, (6, 18)), (40, {"max_steps": 7}, (5, 7)), (3, {}, (1, 3)), (0, {}, (1, 3))],
)
def test_schedule_steps(rows, kw, expected):
    assert schedule_steps(rows, _params(**kw)) == expected


def test_length_bucketed_batches_cover_every_row_once_in_similar_lengths():
    lengths = list(np.random.default_rng(1).integers(1, 200, 1000))
    batches = length_bucketed_batches(lengths, 16, np.random.default_rng(0))
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    # within a batch, lengths come from one sorted chunk: the spread is far below the overall one
    assert np.median([np.ptp([lengths[i] for i in b]) for b in batches]) < 20
    again = length_bucketed_batches(lengths, 16, np.random.default_rng(0))
    assert again == batches
