"""The per-text compute budget, ``Policy.max_tokens`` (issue 10).

A text over the budget is refused whole, before any model runs: it is never checked in part
and never allowed unchecked. ``check`` raises :class:`InputError` naming the budget;
``check_many(errors="return")`` puts that error in the text's place.
"""

from __future__ import annotations

import pytest
from bastion import Action, Guard, InputError, Policy
from bastion.guard import default_models_dir
from bastion.types import INJECTION


def _shipped(sub: str):
    folder = default_models_dir() / sub
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"shipped model not present at {folder}")
    return folder


class _Counting:
    """A model-kind fake detector with a token counter (one token per word)."""

    name, category, version, kind = "counted", "injection", "1", "model"
    thresholds = {"default": 0.5}

    def __init__(self):
        self.seen: list[str] = []

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def detect(self, texts):
        from bastion.types import Finding

        self.seen += texts
        return [
            [Finding("INJECTION", 0, len(t), 0.9 if "attack" in t else 0.1, self.name, INJECTION)]
            for t in texts
        ]


@pytest.mark.parametrize(
    ("words", "budget", "refused"),
    [(5, None, False), (5, 5, False), (6, 5, True), (1000, 999, True), (1000, 1000, False)],
)
def test_token_budget(words, budget, refused):
    det = _Counting()
    guard = Guard([det], Policy(max_tokens=budget))
    text = " ".join(["attack"] + ["w"] * (words - 1))
    if refused:
        with pytest.raises(InputError, match=r"policy\.max_tokens") as exc:
            guard.check(text)
        assert f"budget of {budget}" in str(exc.value)
        assert det.seen == []  # refused before any model ran: never partially checked
    else:
        assert guard.check(text).action is Action.BLOCK


def test_token_budget_per_text_with_errors_return():
    det = _Counting()
    guard = Guard([det])
    pol = Policy(max_tokens=3)
    out = guard.check_many(["attack now", "a b c d attack", "fine"], policy=pol, errors="return")
    assert [type(r).__name__ for r in out] == ["CheckResult", "InputError", "CheckResult"]
    assert out[0].action is Action.BLOCK and out[2].action is Action.ALLOW
    assert det.seen == ["attack now", "fine"]
    # the budget comes from the policy per call, also through with_overrides (the API's path)
    assert guard.check("a b c d attack", policy=pol.with_overrides({"max_tokens": 10})).is_injection


def test_shipped_models_count_tokens_for_the_budget():
    _shipped("pii")
    _shipped("injection")
    guard = Guard.default(threads=1)
    text = "Jane Doe lives in London. " * 40
    n = max(d.count_tokens([text])[0] for d in guard.detectors if hasattr(d, "count_tokens"))
    assert guard.check(text, policy=Policy(max_tokens=n)).pii
    with pytest.raises(InputError, match="max_tokens"):
        guard.check(text, policy=Policy(max_tokens=n - 1))
