"""System-prompt data (soft extraction, long system prompts, prompt talk) and the mining round."""

from __future__ import annotations

import pandas as pd
import pytest
from bastion_training.injection.mine import sample_pool
from bastion_training.injection.multilingual import LANGS
from bastion_training.injection.sysprompts import (
    _SOFT,
    long_system_prompt_rows,
    prompt_talk_rows,
    soft_extraction_rows,
)


def test_soft_extraction_covers_every_attack_language_with_val_templates():
    df = soft_extraction_rows(13, 3000, 0.15)
    assert set(df["label"]) == {1}
    assert set(_SOFT) == set(LANGS)
    for lang, g in df.groupby("lang"):
        assert set(g["split"]) == {"train", "val"}, lang
        # a request template is on one side only
        sides = g.groupby("group")["split"].nunique()
        assert (sides == 1).all(), lang


@pytest.mark.parametrize(
    "gen", [soft_extraction_rows, long_system_prompt_rows, prompt_talk_rows], ids=lambda f: f.__name__
)
def test_generators_are_deterministic_and_template_split(gen):
    a, b = gen(5, 300, 0.2), gen(5, 300, 0.2)
    pd.testing.assert_frame_equal(a, b)
    assert a["text"].is_unique
    assert (a.groupby("group")["split"].nunique() == 1).all()
    assert gen(6, 300, 0.2)["text"].tolist() != a["text"].tolist()


def test_long_system_prompts_are_long_benign_and_defensive():
    df = long_system_prompt_rows(13, 400, 0.15)
    assert set(df["label"]) == {0}
    assert df["text"].str.len().median() > 1200
    assert set(df["split"]) == {"train", "val"}
    en = df[df["lang"] == "en"]["text"].str.lower()
    # every English prompt carries a security section that names what it forbids
    assert en.str.contains("never|refuse|confidential|do not").all()
    assert not df["text"].str.contains(r"\{[a-z_]+\}", regex=True).any(), "unfilled slot"


def test_soft_extraction_sentences_start_capitalised_after_a_full_stop():
    df = soft_extraction_rows(1, 800, 0.15)
    en = df[df["lang"] == "en"]["text"]
    assert not en.str.contains(r"[.!?] [a-z]", regex=True).any()


@pytest.mark.parametrize(
    ("sizes", "cap", "want"),
    [
        ({"a": 100, "b": 100}, 300, {"a": 100, "b": 100}),
        ({"a": 1000, "b": 10}, 100, {"a": 90, "b": 10}),
        ({"a": 60, "b": 60, "c": 5}, 65, {"a": 30, "b": 30, "c": 5}),
    ],
)
def test_sample_pool_keeps_small_sources_whole(sizes, cap, want):
    pool = pd.DataFrame(
        [
            {"text": f"{s}{i}", "source": s, "lang": "en", "group": s}
            for s, n in sizes.items()
            for i in range(n)
        ]
    )
    got = sample_pool(pool, cap, 0)["source"].value_counts().to_dict()
    assert got == want


def _frame(families: dict[str, int], label: int = 0) -> pd.DataFrame:
    rows = [
        {"text": f"{f} {i}", "label": label, "source": "s", "family": f, "split": "train", "lang": "en"}
        for f, n in families.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("extra", "want_rows", "counted", "want_focus"),
    [
        ({}, 200 + 50 + 30, ["new", "also"], 80),  # every row
        ({"mined": True}, 200 + 50 + 30 + 20, ["new", "also", "mined_hard_negative"], 100),
        (
            {"mined": True, "focus_families": ["new"], "replay_rows": 40},
            50 + 20 + 40,
            ["new", "mined_hard_negative"],
            70,
        ),
        ({"focus_families": ["new", "also"], "replay_rows": 500}, 280, ["new", "also"], 80),
    ],
)
def test_continuation_round_frames(tmp_path, extra, want_rows, counted, want_focus):
    from bastion_training.config import TrainInjectionParams
    from bastion_training.train_injection import _frames

    _frame({"old": 200, "new": 50, "also": 30}).to_parquet(tmp_path / "train.parquet")
    _frame({"old": 10}).to_parquet(tmp_path / "val.parquet")
    mined = _frame({"mined_hard_negative": 20}).assign(score=0.9, group="g")
    mined.to_parquet(tmp_path / "mined.parquet")
    base = {"max_val_rows": 100, "batch_size": 4, "epochs": 1, "lr": 1e-4, "max_length": 32}
    p = TrainInjectionParams.from_mapping({**base, **extra})
    train, val = _frames(p, 0, tmp_path)
    assert len(train) == want_rows and len(val) == 10
    assert train["family"].isin(counted).sum() == want_focus
    again, _ = _frames(p, 0, tmp_path)
    pd.testing.assert_frame_equal(train, again)
