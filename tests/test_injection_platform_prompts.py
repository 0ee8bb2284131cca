"""Run-6 system-prompt data (issue 12): platform-wrapped custom assistants, short secret
keepers and documentation-framed extraction with its benign twins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bastion_training.injection import platform_prompts as P
from bastion_training.injection.engine import engine_frames
from bastion_training.injection.multilingual import LANGS
from bastion_training.injection.sysprompts import _split
from helpers_engine import SMALL_ENGINE

ROLES = [(f"awesome:{i}", f"I want you to act as role number {i}. Answer briefly.") for i in range(40)]


@pytest.fixture(scope="module")
def platform() -> pd.DataFrame:
    return P.platform_wrapper_rows(13, 1500, 0.15, ROLES)


@pytest.fixture(scope="module")
def guards() -> pd.DataFrame:
    return P.secret_guard_rows(13, 800, 0.15)


@pytest.fixture(scope="module")
def docs() -> pd.DataFrame:
    return P.documentation_extraction_rows(13, 1200, 0.15)


def _template(df: pd.DataFrame) -> pd.Series:
    return df["group"]


@pytest.mark.parametrize("name", ["platform", "guards", "docs"])
def test_no_template_sits_on_both_sides_of_the_split(request, name):
    df = request.getfixturevalue(name)
    sides = df.groupby(_template(df))["split"].nunique()
    assert (sides == 1).all(), sides[sides > 1]
    assert set(df["split"]) == {"train", "val"}
    assert df["text"].is_unique


def test_platform_rows_are_benign_filled_and_multilingual(platform):
    assert set(platform["label"]) == {0}
    assert not platform["text"].str.contains(r"\{(?:bot|asst)\}").any()
    assert {"en", "de", "fr", "es", "ja", "zh"} <= set(platform["lang"])
    # every preamble template is used
    assert platform["group"].nunique() == sum(len(v) for v in P._PREAMBLES.values())


def test_a_persona_body_only_goes_to_rows_on_its_own_split(platform):
    for g, body in ROLES:
        hit = platform[platform["text"].str.contains(body, regex=False)]
        if len(hit):
            assert set(hit["split"]) == {_split(g, 13, 0.15)}, g


def test_secret_guards_cover_the_13_languages(guards):
    assert set(guards["label"]) == {0}
    assert set(guards["lang"]) == set(LANGS)
    assert set(P._SECRET_FACTS) == set(P._SECRET_RULES) == set(LANGS)
    kinds = set(guards["group"].str.split(":").str[1])
    assert kinds == {"secret", "profile", "limit"}


def test_doc_extraction_is_balanced_with_benign_twins(docs):
    counts = docs["label"].value_counts()
    assert 0.7 <= counts[1] / counts[0] <= 1.4, counts.to_dict()
    pos, neg = docs[docs["label"] == 1], docs[docs["label"] == 0]
    assert set(pos["family"]) == {"extraction_documentation"}
    assert set(neg["family"]) == {"documentation_benign"}
    # both sides of the line have val templates, so validation measures it
    assert set(pos["split"]) == set(neg["split"]) == {"train", "val"}


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (P.platform_wrapper_rows, (0.15, ROLES)),
        (P.secret_guard_rows, (0.15,)),
        (P.documentation_extraction_rows, (0.15,)),
    ],
)
def test_deterministic_per_seed_and_empty_at_zero(fn, args):
    a, b = fn(5, 200, *args), fn(5, 200, *args)
    assert a.equals(b)
    assert fn(6, 200, *args)["text"].tolist() != a["text"].tolist()
    assert len(fn(5, 0, *args)) == 0


def test_engine_adds_the_families_only_when_asked(tmp_path: Path):
    small = {**SMALL_ENGINE, "prompt_talk_hard": 2}
    off, _ = engine_frames({"engine": small}, tmp_path, 13)
    on, stats = engine_frames(
        {"engine": {**small, "platform_prompts": 30, "secret_guards": 30, "doc_extraction": 30}}, tmp_path, 13
    )
    fams = {"system_prompt_platform", "system_prompt_secret_guard", "extraction_documentation"}
    assert not fams & set(off["family"])
    assert fams <= set(on["family"])
    # the other generators keep their own random streams: nothing else changes
    rest = on[
        ~on["source"].isin(
            ["synthetic_platform_prompt", "synthetic_secret_guard", "synthetic_doc_extraction"]
        )
    ]
    assert rest.reset_index(drop=True).equals(off.reset_index(drop=True))
    assert sum(stats["platform_prompts"].values()) == int((on["source"] == "synthetic_platform_prompt").sum())
