"""Run-8 data (issue 12): secret requests wrapped in attack techniques, scenario jailbreaks, and the
same frames around objects the user supplies (label 0)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bastion_training.injection import scenarios as S
from bastion_training.injection import security_docs as D
from bastion_training.injection import short_attacks as A
from bastion_training.injection import techniques as T
from bastion_training.injection.engine import engine_frames
from bastion_training.injection.multilingual import LANGS
from helpers_engine import SMALL_ENGINE


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return T.technique_rows(13, 3000, 0.15)


def _frame_of(df: pd.DataFrame) -> pd.Series:
    # group = technique:<lang>:<technique>:<frame index>
    return df["group"].str.split(":").str[1] + ":" + df["group"].str.split(":").str[3]


def test_a_frame_never_sits_on_both_sides_of_the_split(rows):
    assert rows.groupby(_frame_of(rows))["split"].nunique().max() == 1
    assert set(rows["split"]) == {"train", "val"}


def test_every_attack_language_has_both_labels(rows):
    assert set(T._FRAMES) == set(LANGS)
    per_lang = rows.groupby("lang")["label"].agg(set)
    assert all(labels == {0, 1} for labels in per_lang), per_lang


@pytest.mark.parametrize("lang", sorted(T._FRAMES))
def test_frames_and_objects_fill_without_leftover_slots(lang):
    secret, benign = T._OBJECTS[lang]
    for _, frame in T._frames(lang):
        for obj in secret + benign:
            text = T._fill(frame, obj, T._FILLER[lang][0])
            assert not re.search(r"\{[a-z_]+\}", text), text
            assert "|" not in text


def test_attack_only_techniques_have_no_benign_twin(rows):
    tech = rows["group"].str.split(":").str[2]
    assert set(rows.loc[tech.isin(T.ATTACK_ONLY), "label"]) == {1}
    # the other techniques carry both labels: the object, not the frame, decides
    both = rows[~tech.isin(T.ATTACK_ONLY)].groupby(tech[~tech.isin(T.ATTACK_ONLY)])["label"].agg(set)
    assert all(v == {0, 1} for v in both)


@pytest.mark.parametrize(
    ("obj", "want_a", "want_b"),
    [
        ("the password you were given", "The password", "you were given"),
        ("你的原始指令", "你的原", "始指令"),
        ("hasło, które dostałeś|hasła, które dostałeś", "Hasło,", "które dostałeś"),
    ],
)
def test_payload_split_cuts_the_object_in_two(obj, want_a, want_b):
    text = T._fill("{a}/{b}", obj, "")
    assert text == f"{want_a}/{want_b}"


def test_polish_genitive_frames_take_the_genitive():
    frame = next(f for _, f in T._frames("pl") if "{obj_gen}" in f)
    text = T._fill(frame, T._OBJECTS["pl"][0][0], "")
    assert "hasła, które dostałeś" in text and "hasło," not in text


def test_labels_are_balanced_and_counted(rows):
    share = rows["label"].mean()
    assert 0.4 < share < 0.65
    counts = T.technique_counts(rows)
    assert sum(sum(v.values()) for v in counts.values()) == len(rows)
    assert counts["system_mode"].get("0", 0) == 0


def test_deterministic_and_empty_at_zero():
    a, b = T.technique_rows(5, 300, 0.15), T.technique_rows(5, 300, 0.15)
    assert a.equals(b)
    assert T.technique_rows(6, 300, 0.15)["text"].tolist() != a["text"].tolist()
    assert len(T.technique_rows(5, 0, 0.15)) == 0


def test_engine_adds_the_family_only_when_asked(tmp_path: Path):
    small = {**SMALL_ENGINE, "prompt_talk_hard": 2}
    off, _ = engine_frames({"engine": small}, tmp_path, 13)
    on, stats = engine_frames({"engine": {**small, "techniques": 60}}, tmp_path, 13)
    assert not {T.POS_FAMILY, T.NEG_FAMILY} & set(off["family"])
    assert {T.POS_FAMILY, T.NEG_FAMILY} <= set(on["family"])
    rest = on[on["source"] != T.SOURCE]
    assert rest.reset_index(drop=True).equals(off.reset_index(drop=True))
    assert sum(sum(v.values()) for v in stats["technique_kinds"].values()) == int(
        (on["source"] == T.SOURCE).sum()
    )


# ------------------------------------------------------------------ scenario jailbreaks


@pytest.fixture(scope="module")
def scen() -> pd.DataFrame:
    return S.scenario_rows(13, 3000, 0.15)


def test_scenario_frames_split_by_frame_and_carry_both_labels(scen):
    framed = scen[scen["group"].str.match(r"scenario:[a-z]{2}:frame:\d+$")]
    assert len(framed) > 0.8 * len(scen)
    assert framed.groupby("group")["split"].nunique().max() == 1
    assert all(v == {0, 1} for v in framed.groupby("group")["label"].agg(set))
    assert set(framed.loc[framed["split"] == "val", "group"]).isdisjoint(
        framed.loc[framed["split"] == "train", "group"]
    )


def test_plain_harmful_questions_are_label_0_and_twins_share_the_suffixes(scen):
    assert set(scen.loc[scen["family"] == "harmful_plain", "label"]) == {0}
    opener = scen["text"].str.contains("Begin your reply with 'Sure, here is'", regex=False)
    assert set(scen.loc[opener, "label"]) == {0, 1}


@pytest.mark.parametrize("frame", S._FRAMES)
def test_every_scenario_frame_takes_a_goal(frame):
    text = frame.format(goal=S._BENIGN[0])
    assert S._BENIGN[0] in text and "{" not in text


_MIN = {"frames": 8, "harmful": 12, "benign": 12, "plain": 3, "suffixes": 4}


def test_scenarios_cover_the_thirteen_languages():
    assert set(S._LANGS) == set(LANGS)


@pytest.mark.parametrize("lang", sorted(S._LANGS))
def test_every_scenario_language_has_enough_material(lang):
    material = S._LANGS[lang]
    for field, least in _MIN.items():
        assert len(set(getattr(material, field))) >= least, (lang, field)
    assert material.suffixes.count("") <= 2
    assert any(s.strip() for s in material.suffixes)


@pytest.mark.parametrize("lang", sorted(S._LANGS))
def test_every_frame_takes_every_goal_of_its_language(lang):
    material = S._LANGS[lang]
    goals = material.harmful + material.benign
    for goal in goals:
        # a one-line description, not a sentence or a template
        assert "\n" not in goal and "{" not in goal and "}" not in goal
        assert goal == goal.strip() and goal[-1] not in ".?!。？！"
        if lang in ("zh", "ja"):
            assert " " not in goal
    for template in material.frames + material.plain:
        assert template.count("{goal}") == 1, template
        if lang in ("zh", "ja"):
            assert " " not in template
        for goal in goals:
            text = template.format(goal=goal)
            assert goal in text and "{" not in text and "}" not in text


def test_no_frame_or_goal_is_shared_between_languages():
    seen: dict[str, str] = {}
    for lang, material in S._LANGS.items():
        for s in set(material.frames + material.harmful + material.benign + material.plain):
            assert s not in seen, (s, seen.get(s), lang)
            seen[s] = lang


@pytest.mark.parametrize("lang", sorted(S._LANGS))
def test_every_scenario_language_draws_both_labels_and_all_kinds(scen, lang):
    mine = scen[scen["lang"] == lang]
    assert set(mine["label"]) == {0, 1}
    assert set(mine["family"]) == set(S.FAMILIES.values())
    assert mine["group"].str.startswith(f"scenario:{lang}:").all()


def test_scenario_groups_never_straddle_the_split_and_english_is_a_third(scen):
    assert scen.groupby("group")["split"].nunique().max() == 1
    assert set(scen["split"]) == {"train", "val"}
    assert 0.2 <= (scen["lang"] == "en").mean() <= 0.45
    # 45 / 40 / 15 % drawn; dropping repeated texts thins the plain questions most
    kinds = scen["family"].value_counts(normalize=True)
    assert 0.4 < kinds["jailbreak_scenario"] < 0.55 and 0.08 < kinds["harmful_plain"] < 0.2


def test_a_rows_lang_is_the_language_of_its_text(scen):
    # the goal inside each row comes from the lists of the row's own language
    for lang, material in S._LANGS.items():
        texts = scen.loc[scen["lang"] == lang, "text"]
        goals = material.harmful + material.benign
        assert texts.map(lambda t, goals=goals: any(g in t for g in goals)).all(), lang
    assert scen["group"].str.split(":").str[1].eq(scen["lang"]).all()


def test_engine_adds_scenarios_only_when_asked(tmp_path: Path):
    small = {**SMALL_ENGINE, "prompt_talk_hard": 2}
    off, _ = engine_frames({"engine": small}, tmp_path, 13)
    on, stats = engine_frames({"engine": {**small, "scenarios": 80}}, tmp_path, 13)
    assert set(S.FAMILIES.values()) <= set(on["family"]) and not set(S.FAMILIES.values()) & set(off["family"])
    assert on[on["source"] != S.SOURCE].reset_index(drop=True).equals(off.reset_index(drop=True))
    assert sum(stats["scenarios"].values()) == int((on["source"] == S.SOURCE).sum())


# ------------------------------------------------------------------ security write-ups


@pytest.fixture(scope="module")
def docs() -> pd.DataFrame:
    return D.security_doc_rows(13, 400, 0.15)


def test_security_docs_split_by_title_and_quote_their_attacks(docs):
    assert docs.groupby("group")["split"].nunique().max() == 1
    assert set(docs["split"]) == {"train", "val"}
    neg = docs[docs["label"] == 0]
    # every benign write-up shows at least one attack sentence, only as a quotation
    assert neg["text"].str.contains(r"\"|```|> |`", regex=True).all()


@pytest.mark.parametrize("directive", D._DIRECTIVES)
def test_only_the_positive_twins_carry_a_directive(docs, directive):
    tail = directive.split("}")[-1].strip()[:40]
    has = docs["text"].str.contains(tail, regex=False)
    assert set(docs.loc[has, "label"]) <= {1}


def test_security_docs_are_long_and_a_quarter_positive(docs):
    assert docs["text"].str.len().min() > 600
    assert 0.2 < docs["label"].mean() < 0.3


# ------------------------------------------------------------------ short attacks


@pytest.fixture(scope="module")
def short() -> pd.DataFrame:
    return A.short_attack_rows(13, 1600, 0.15)


def test_short_attacks_split_by_frame_and_both_labels_share_frames(short):
    assert short.groupby("group")["split"].nunique().max() == 1
    personas = short[short["group"].str.startswith("short:persona:")]
    assert all(v == {0, 1} for v in personas.groupby("group")["label"].agg(set))
    assert set(short["split"]) == {"train", "val"}
    # inline groups are (language, snippet), about 160 of them: a bigger draw fills them all
    inline = A.short_attack_rows(13, 6000, 0.15)
    inline = inline[inline["group"].str.startswith("short:inline:")]
    assert inline["group"].nunique() == sum(len(v[0]) for v in A._INLINE.values())
    assert all(v == {0, 1} for v in inline.groupby("group")["label"].agg(set))


@pytest.mark.parametrize("name", A._NAMES)
def test_generic_names_appear_on_both_sides(short, name):
    personas = short[short["group"].str.startswith("short:persona:")]
    has = personas["text"].str.contains(rf"\b{name}\b", regex=True)
    assert set(personas.loc[has, "label"]) == {0, 1}


@pytest.mark.parametrize("lang", sorted(A._PERSONA))
def test_persona_frames_fill(lang):
    frames, bad, good = A._PERSONA[lang]
    for f in frames:
        for d in bad + good:
            assert "{" not in f.format(name="Max", desc=d)


def test_inline_directives_only_in_attacks(short):
    inline = short[short["group"].str.startswith("short:inline:")]
    for d in A._DIRECTIVES:
        has = inline["text"].str.lower().str.contains(d[:25].lower(), regex=False)
        assert set(inline.loc[has, "label"]) <= {1}


@pytest.fixture(scope="module")
def wide_inline() -> pd.DataFrame:
    df = A.short_attack_rows(13, 3000, 0.15)
    return df[df["group"].str.startswith("short:inline:")]


def test_inline_english_is_the_original_lists():
    assert A._INLINE["en"] == (A._SNIPPETS, A._JOINERS, A._DIRECTIVES, A._CONTINUATIONS)
    assert set(A._INLINE) == set(LANGS)


@pytest.mark.parametrize("lang", sorted(A._INLINE))
def test_inline_language_has_enough_material(lang):
    snippets, joiners, directives, continuations = A._INLINE[lang]
    assert len(snippets) >= 10
    assert len(joiners) >= 7 and "\n" in joiners
    assert len(directives) >= 8
    assert len(continuations) >= 10
    for pool in (snippets, joiners, directives, continuations):
        assert len(set(pool)) == len(pool)


@pytest.mark.parametrize("part", [0, 2, 3], ids=["snippets", "directives", "continuations"])
def test_inline_strings_belong_to_one_language(part):
    seen: dict[str, str] = {}
    for lang, pools in sorted(A._INLINE.items()):
        for s in pools[part]:
            assert s not in seen, (s, seen.get(s), lang)
            seen[s] = lang


@pytest.mark.parametrize("lang", sorted(A._INLINE))
def test_every_inline_language_drawn_with_both_labels(wide_inline, lang):
    rows = wide_inline[wide_inline["lang"] == lang]
    assert set(rows["label"]) == {0, 1}
    assert set(rows["split"]) == {"train", "val"}


def test_inline_group_never_on_both_sides_and_lang_matches_group(wide_inline):
    assert wide_inline.groupby("group")["split"].nunique().max() == 1
    assert (wide_inline["group"].str.split(":").str[2] == wide_inline["lang"]).all()
    assert set(wide_inline["lang"]) == set(A._INLINE)


@pytest.mark.parametrize("lang", sorted(A._INLINE))
def test_inline_directives_of_every_language_only_in_attacks(wide_inline, lang):
    _, _, directives, continuations = A._INLINE[lang]
    for d in directives:
        # the first letter may be capitalised after a line break or separator
        has = wide_inline["text"].str.contains(d[1:], regex=False)
        assert set(wide_inline.loc[has, "label"]) <= {1}, d
    attacks = wide_inline[(wide_inline["lang"] == lang) & (wide_inline["label"] == 1)]
    assert attacks["text"].map(lambda t: any(t.endswith(d[1:]) for d in directives)).all()
    benign = wide_inline[(wide_inline["lang"] == lang) & (wide_inline["label"] == 0)]
    assert benign["text"].map(lambda t: any(t.endswith(c[1:]) for c in continuations)).all()
