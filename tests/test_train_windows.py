"""train_injection's window selection: long rows train on their highest-scoring window."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("torch")  # the train extra, installed by CI

from bastion_training.train_injection import _train_inputs, max_window_logits, text_windows  # noqa: E402


@pytest.mark.parametrize(
    ("n", "size", "cap", "expected"),
    [
        (3, 4, 8, [(0, 3)]),
        (4, 4, 8, [(0, 4)]),
        (10, 4, 8, [(0, 4), (2, 6), (4, 8), (6, 10)]),
        (11, 4, 8, [(0, 4), (2, 6), (4, 8), (6, 10), (7, 11)]),  # the last window ends at the end
        (40, 4, 3, [(0, 4), (18, 22), (36, 40)]),  # capped: first, evenly spaced, last
    ],
)
def test_text_windows(n, size, cap, expected):
    assert text_windows(n, size, cap) == expected


def test_random_capped_windows_keep_first_and_last():
    rng = np.random.default_rng(0)
    w = text_windows(100, 10, 4, rng)
    assert len(w) == 4 and w[0] == (0, 10) and w[-1] == (90, 100) and w == sorted(w)


class _Tok:
    """A tokenizer stand-in: ids are ints, specials 101/102."""

    def num_special_tokens_to_add(self, pair=False):
        return 2

    def build_inputs_with_special_tokens(self, ids):
        return [101, *ids, 102]

    def pad(self, feats, return_tensors="pt"):
        import torch

        width = max(len(r) for r in feats["input_ids"])
        ids = [r + [0] * (width - len(r)) for r in feats["input_ids"]]
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor([[1] * width] * len(ids))}


class _Model:
    """Scores a window by whether it holds token 7 (the 'attack')."""

    training = True

    def eval(self):
        self.training = False

    def train(self):
        self.training = True

    def __call__(self, input_ids, attention_mask):
        import torch

        hit = (input_ids == 7).any(dim=1).float()
        return SimpleNamespace(logits=torch.stack([1 - hit, hit], dim=1) * 4)


def test_long_row_trains_on_the_window_holding_the_attack():
    content = [[1] * 30 + [7] + [1] * 30, [2, 3]]  # the attack sits in the middle of a long row
    rows = _train_inputs(_Model(), _Tok(), content, size=8, cap=64, rng=np.random.default_rng(1))
    assert 7 in rows[0] and len(rows[0]) == 10 and rows[1] == [101, 2, 3, 102]
    first_only = _train_inputs(_Model(), _Tok(), content, size=8, cap=1, rng=None)
    assert 7 not in first_only[0]  # what truncation to the first window would have trained on


def test_model_mode_is_restored_and_max_window_logits():
    m = _Model()
    _train_inputs(m, _Tok(), [[1] * 40], size=8, cap=4, rng=np.random.default_rng(0))
    assert m.training
    logits, which = max_window_logits(m, _Tok(), [[1] * 20 + [7], [1] * 5], max_length=10, cap=8)
    assert logits[0, 1] > logits[0, 0] and logits[1, 1] < logits[1, 0]
    assert which[0] == len(text_windows(21, 8, 8)) - 1 and which[1] == 0


@pytest.mark.parametrize(
    ("labels", "sources", "expected"),
    [
        # no sources: the global class weights (what CrossEntropyLoss(weight=...) used)
        ([1, 0, 0, 0], None, [2.0, 2 / 3, 2 / 3, 2 / 3]),
        # a 3:1 paired source: its total (4.0) split evenly between its labels
        ([1, 1, 1, 0], ["bipia"] * 4, [2 / 3, 2 / 3, 2 / 3, 2.0]),
        # one-label sources keep their class weights; the paired one is rebalanced inside
        (
            [1, 1, 0, 0, 1, 0],
            ["a", "a", "b", "b", "c", "c"],
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        ),
        ([1, 1, 1, 0, 0, 0, 0, 0], ["p", "p", "p", "p", "n", "n", "n", "n"], None),
    ],
)
def test_row_weights_balance_within_source(labels, sources, expected):
    from bastion_training.train_injection import row_weights

    y = np.array(labels)
    w = row_weights(y, sources)
    if expected is not None:
        assert w.tolist() == pytest.approx(expected)
    plain = row_weights(y)
    # a source's total weight never moves, only its split between the labels
    for s in set(sources or ["all"]):
        m = np.array([True] * len(y)) if sources is None else np.array(sources) == s
        assert w[m].sum() == pytest.approx(plain[m].sum())
        if sources is not None and 0 < y[m].sum() < m.sum():
            assert w[m & (y == 1)].sum() == pytest.approx(w[m & (y == 0)].sum())
