"""Hard negatives that answer the soft-extraction positives (issue 12, run 3's false positives)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bastion_training.injection.engine import ENGINE_DEFAULTS, engine_frames
from bastion_training.injection.multilingual import LANGS
from bastion_training.injection.negatives_prompt_talk import (
    _HARD,
    FAMILY,
    KINDS,
    kind_counts,
    prompt_talk_hard_rows,
)
from bastion_training.injection.sysprompts import _SOFT, soft_extraction_rows
from helpers_engine import SMALL_ENGINE

N = 1500  # params.yaml's extraction_soft


@pytest.fixture(scope="module")
def neg() -> pd.DataFrame:
    return prompt_talk_hard_rows(13, N, 0.15)


@pytest.fixture(scope="module")
def pos() -> pd.DataFrame:
    return soft_extraction_rows(13, N, 0.15)


def _kind(df: pd.DataFrame) -> pd.Series:
    return df["group"].str.split(":").str[1]


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_kind_with_a_val_template(lang):
    assert set(_HARD[lang]) == set(KINDS)
    for kind, items in _HARD[lang].items():
        # one item would put the whole kind on the train side
        assert len(items) >= 2, (lang, kind)
        assert len(set(items)) == len(items), (lang, kind)


@pytest.mark.parametrize("lang", LANGS)
def test_rows_per_language_are_benign_split_and_match_the_positives(neg, pos, lang):
    g = neg[neg["lang"] == lang]
    assert set(g["label"]) == {0}
    assert set(g["family"]) == {FAMILY}
    assert set(g["split"]) == {"train", "val"}
    assert set(_kind(g)) == set(KINDS)
    # about as many twins as positives in every language (not just in total)
    n_pos = int((pos["lang"] == lang).sum())
    assert 0.5 * n_pos <= len(g) <= 2.0 * n_pos, (len(g), n_pos)


def test_exactly_n_unique_rows_with_filled_slots(neg):
    assert len(neg) == N and neg["text"].is_unique
    assert not neg["text"].str.contains(r"\{(?:text|tl|snippet|ph)\}", regex=True).any()
    assert (neg["text"].str.strip() == neg["text"]).all()


def test_no_text_of_a_positive_and_no_extraction_request_inside(neg, pos):
    assert not set(neg["text"]) & set(pos["text"])
    # stronger than exact texts: a negative never carries a positive's request, in any case
    low = neg["text"].str.lower()
    for lang, (_, requests, _) in _SOFT.items():
        for req in requests:
            hit = low.str.contains(re.escape(req.lower()[:-1]), regex=True)
            assert not hit.any(), (lang, req, neg["text"][hit].tolist()[:2])


def _frame_shares(df: pd.DataFrame) -> tuple[float, float]:
    """Share of rows that open with a positive's pretext, and that close with its suffix."""

    def opens(row) -> bool:
        return any(row["text"].startswith(p + " ") for p in _SOFT[row["lang"]][0])

    def closes(row) -> bool:
        return any(s and row["text"].endswith(" " + s) for s in _SOFT[row["lang"]][2])

    return df.apply(opens, axis=1).mean(), df.apply(closes, axis=1).mean()


def test_minimal_pairs_share_the_positives_frame(neg, pos):
    mp = neg[_kind(neg) == "minimal_pair"]
    assert len(mp) >= 0.2 * len(neg)
    # the same pretexts and suffixes as often as the positives: only the request differs
    for got, want in zip(_frame_shares(mp), _frame_shares(pos), strict=True):
        assert abs(got - want) < 0.1, (got, want)


@pytest.mark.parametrize("seed", [0, 13])
def test_deterministic_under_a_seed_and_template_split(seed):
    a, b = prompt_talk_hard_rows(seed, 400, 0.2), prompt_talk_hard_rows(seed, 400, 0.2)
    pd.testing.assert_frame_equal(a, b)
    assert (a.groupby("group")["split"].nunique() == 1).all()
    assert prompt_talk_hard_rows(seed + 1, 400, 0.2)["text"].tolist() != a["text"].tolist()


@pytest.mark.parametrize(("n", "want"), [(0, 0), (1, 1), (37, 37)])
def test_row_count(n, want):
    assert len(prompt_talk_hard_rows(3, n, 0.15)) == want


def test_kind_counts_add_up(neg):
    counts = kind_counts(neg)
    assert set(counts) == set(KINDS)
    assert sum(sum(v.values()) for v in counts.values()) == len(neg)
    assert kind_counts(neg.iloc[:0]) == {}


def test_engine_builds_the_family_with_its_default_count(tmp_path: Path):
    small = SMALL_ENGINE
    # an empty datasets root: only the generated parts, and no prompt_talk_hard key given
    df, stats = engine_frames({"engine": small}, tmp_path, 13)
    fam = df[df["family"] == FAMILY]
    assert len(fam) == ENGINE_DEFAULTS["prompt_talk_hard"] > 0
    assert set(fam["split"]) == {"train", "val"}
    assert sum(stats["prompt_talk_hard"].values()) == len(fam)
    assert set(stats["prompt_talk_hard_kinds"]) == set(KINDS)
