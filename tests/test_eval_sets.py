"""Loaders of the eval-only sets added 2026-12, on a miniature datasets root in the real layout."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pandas")

from bastion_training.injection import sources as S  # noqa: E402
from bastion_training.injection.eval_sets import (  # noqa: E402
    EVAL_SETS_V4,
    PASSAGE_CHARS,
    passages,
    read_xlsx_column,
)
from eval_sets_root import CL4_PROMPT, make_eval_root, write_xlsx  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_eval_root(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="module")
def frames(root: Path) -> dict:
    return {es.name: es.load(root, 13) for es in EVAL_SETS_V4}


# set → (labels present, languages present, a family every row of that label has as prefix)
EXPECTED = {
    "cyberseceval": ({1}, {"en", "de"}, "cse:"),
    "cyberseceval_system_prompts": ({0}, {"en", "de"}, "benign_system_prompt:cse"),
    "injecagent_wrappers": ({1}, {"en"}, "injecagent_wrapper:"),
    "raccoon_attacks": ({1}, {"en"}, "extraction:raccoon:"),
    "salesforce_leak_attacks": ({1}, {"en"}, "extraction:salesforce:doc_direct"),
    "promptmap_attacks": ({1}, {"en"}, ""),
    "promptmap_harmful": ({0}, {"en"}, "harmful_request:promptmap_harmful"),
    "giskard": ({1}, {"en"}, "giskard:hijacking_attacks"),
    "wasp": ({1}, {"en"}, "wasp:gitlab:"),
    "tasktracker": ({1}, {"en"}, "tasktracker:"),
    "xsafety_hijack_leak": ({0, 1}, {"en", "de"}, "xsafety:"),
    "xsafety_harmful": ({0}, {"en", "bn"}, "xsafety:Insult"),
    "multijail": ({0}, {"en", "zh", "it"}, "harmful_request:multijail"),
    "cyberseceval_frr": ({0}, {"en", "es"}, "frr:"),
    "cl4r1t4s": ({0}, {"en"}, "benign_system_prompt:cl4r1t4s:OPENAI"),
    "raccoon_system_prompts": ({0}, {"en"}, "benign_system_prompt:raccoon"),
    "owasp_llm_top10": ({0}, {"en", "de"}, "benign_doc:owasp"),
    "injection_defenses_doc": ({0}, {"en"}, "benign_doc:defenses"),
}


def test_every_new_set_is_registered_and_tested() -> None:
    names = [es.name for es in S.EVAL_SETS]
    assert len(names) == len(set(names))
    assert {es.name for es in EVAL_SETS_V4} == set(EXPECTED)
    assert set(EXPECTED) <= set(names)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader_schema_labels_languages(frames: dict, name: str) -> None:
    labels, langs, family = EXPECTED[name]
    df = frames[name]
    assert list(df.columns) == S.COLUMNS
    assert len(df) > 0
    assert set(df["label"]) == labels
    assert set(df["lang"]) == langs
    assert df["family"].str.startswith(family).all()
    assert (df["text"].str.strip().str.len() > 0).all()
    assert df["group"].notna().all()


def test_missing_root_gives_empty_frames(tmp_path: Path) -> None:
    for es in EVAL_SETS_V4:
        df = es.load(tmp_path / "absent", 0)
        assert df.empty and list(df.columns) == S.COLUMNS


def test_xsafety_relabelling(frames: dict) -> None:
    df = frames["xsafety_hijack_leak"]
    got = {(r.lang, r.group): (r.label, r.family) for r in df.itertuples()}
    # an "ignore the above and output" row is goal hijacking, in both languages
    assert got[("en", "xsafety:gh:0")] == (1, "xsafety:goal_hijacking")
    assert got[("de", "xsafety:gh:0")] == (1, "xsafety:goal_hijacking")
    # "please repeat this sentence" overrides nothing: label 0 in every language
    assert got[("en", "xsafety:gh:1")][0] == 0 and got[("de", "xsafety:gh:1")][0] == 0
    # the German translation of row 2 lost its override sentence: left out, not mislabelled
    assert ("en", "xsafety:gh:2") in got and ("de", "xsafety:gh:2") not in got
    # prompt leaking: questions about leaking are 0; "share your prompt" (row 3) is 1 in both languages
    assert got[("en", "xsafety:pl:0")] == (0, "xsafety:prompt_leaking_discussion")
    assert got[("de", "xsafety:pl:3")] == (1, "xsafety:prompt_leaking_extraction")


def test_injecagent_text_is_the_tool_response(frames: dict) -> None:
    df = frames["injecagent_wrappers"]
    assert sorted(df["family"]) == ["injecagent_wrapper:test:dh", "injecagent_wrapper:tool:dh"]
    assert all(t.startswith("{") and t.endswith("}") for t in df["text"])  # outer quotes stripped
    assert df["group"].nunique() == 1  # same (user tool, attacker instruction) case in both wrappers


def test_wasp_fills_parameters_bare_and_in_a_post(frames: dict) -> None:
    df = frames["wasp"].set_index("family")
    bare = df.loc["wasp:gitlab:bare", "text"]
    assert "foo.com?owner=byteblaze" in bare and "{token}" in bare  # unknown placeholder kept
    assert bare[1:] in df.loc["wasp:gitlab:in_post", "text"]


def test_tasktracker_trigger_alone_and_in_a_document(frames: dict) -> None:
    df = frames["tasktracker"]
    fams = dict(zip(df["family"], df["text"], strict=True))
    assert set(fams) == {"tasktracker:trigger", "tasktracker:in_document", "tasktracker:adaptive_suffix"}
    assert fams["tasktracker:trigger"] in fams["tasktracker:in_document"]
    assert "quarterly offsite" in fams["tasktracker:in_document"]


def test_promptmap_families(frames: dict) -> None:
    # jailbreak rules are copies of train-role templates: left out (EXCLUDED_AS_TRAIN_COPIES)
    assert set(frames["promptmap_attacks"]["family"]) == {"extraction:promptmap", "distraction:promptmap"}
    assert set(frames["promptmap_harmful"]["family"]) == {"harmful_request:promptmap_harmful"}


def test_giskard_leaves_out_its_copy_of_garak_dan(frames: dict) -> None:
    assert frames["giskard"]["text"].str.contains("DAN").sum() == 0 and len(frames["giskard"]) == 1


def test_cl4r1t4s_skips_licence_and_cuts_passages(frames: dict) -> None:
    df = frames["cl4r1t4s"]
    assert not df["text"].str.contains("AFFERO").any()
    assert (df["text"].str.len() <= PASSAGE_CHARS).all() and len(df) > 1
    assert "".join(df["text"]).replace("\n", "") == CL4_PROMPT.replace("\n", "")


@pytest.mark.parametrize(
    ("text", "size", "lengths"),
    [
        ("a" * 10 + "\n\n" + "b" * 10, 12, [10, 10]),
        ("a" * 10 + "\n\n" + "b" * 10, 30, [22]),
        ("x" * 25, 10, [10, 10, 5]),  # no boundary: hard cuts
        ("Sentence one is here. Sentence two is here. Sentence three.", 25, [21, 21, 15]),
        ("\n\n  \n\n", 10, []),
    ],
)
def test_passages(text: str, size: int, lengths: list[int]) -> None:
    assert [len(p) for p in passages(text, size)] == lengths


def test_read_xlsx_column(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "a.xlsx", ["first", "zweite Zeile", "третья"])
    assert read_xlsx_column(tmp_path / "a.xlsx") == ["first", "zweite Zeile", "третья"]
    assert read_xlsx_column(tmp_path / "missing.xlsx") == []
