"""s34 qa_training: templates that copied eval-only text (M1), template twins across splits and
val/test rows repeating train rows (M2), hub labels (L1), and the injection summary rewrite (L2)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bastion.errors import ConfigError
from bastion_training import evaluate_injection, prepare
from bastion_training.leakage import canonical, find_leaks
from bastion_training.pii import build as pii_build
from bastion_training.pii import generator
from bastion_training.pii.blocks import Template
from bastion_training.pii.generator import TEMPLATES, split_templates

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("BASTION_DATASETS_ROOT", REPO / ".." / "shared" / "datasets"))
_WORD = re.compile(r"\w+")
_SLOT = re.compile(r"\{[A-Z][A-Z0-9_]*\}")


def _words(text: str) -> str:
    """Word characters only, casefolded: CoNLL-2003 is tokenised ("Standings ( tabulate under
    played , won"), so punctuation and spacing must not hide a copied phrase."""
    return " ".join(_WORD.findall(text.casefold()))


def _conll_text(path: Path) -> str:
    words = [line.split()[0] for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return " " + _words(" ".join(w for w in words if w != "-DOCSTART-")) + " "


def _eval_text(rel: str) -> str:
    path = DATASETS / rel
    if not path.is_file():
        pytest.skip(f"eval-only file absent: {path}")
    if rel.endswith("id.text"):
        return " " + _words(path.read_text(errors="replace")) + " "
    return _conll_text(path)


# ----------------------------------------------------------------------------- M1


@pytest.mark.parametrize(
    "rel",
    [
        "pii/BERT-NER/data/test.txt",
        "pii/BERT-NER/data/train.txt",
        "pii/BERT-NER/data/dev.txt",
        "pii/DEID-2023/id.text",
    ],
)
def test_no_template_chunk_occurs_in_eval_only_text(rel: str) -> None:
    """A template's text between slots (and lines) of >= 20 characters is not in an eval-only file."""
    corpus = _eval_text(rel)
    copied = [
        (t.template_id, chunk.strip())
        for t in TEMPLATES
        for piece in _SLOT.split(t.text)
        for chunk in piece.split("\n")
        if len(chunk.strip(" \t.,:;()-'\"")) >= 20 and _words(chunk) and f" {_words(chunk)} " in corpus
    ]
    assert not copied, copied


def test_clinical_note_templates_do_not_repeat_deid_phrases() -> None:
    """Stricter for the notes written by counting errors on DEID: no sentence chunk of >= 4 words
    (or >= 12 characters, qa_training's deidtpl.py) occurs verbatim in DEID."""
    corpus = _eval_text("pii/DEID-2023/id.text")
    raw = re.sub(r"\s+", " ", (DATASETS / "pii/DEID-2023/id.text").read_text(errors="replace").upper())
    notes = [t for t in TEMPLATES if t.format == "clinical_note"]
    assert len(notes) == 15  # reworded in place: ids (and splits) unchanged
    copied = []
    for t in notes:
        for chunk in re.split(r"\{[^}]*\}|[.\n]", t.text):
            bare = re.sub(r"\s+", " ", chunk.strip(" .,:;\n").upper())
            if (len(bare) >= 12 and bare in raw) or (
                len(_words(chunk).split()) >= 4 and f" {_words(chunk)} " in corpus
            ):
                copied.append((t.template_id, bare))
    assert not copied, copied


@pytest.mark.parametrize(
    "phrase",
    [
        "tabulate under",  # CoNLL-2003 test/train standings line
        "ENGLISH LEAGUE RESULTS",
        "MAJOR LEAGUE STANDINGS",
        "prefix number denotes seeding",
        "NPN 7A-7P",  # DEID: 16 times
        "A+OX3, MAE, FOLLOWS COMMANDS",
        "FOLEY DRAINING CLEAR YELLOW URINE",
        "MICU NURSING ADMIT NOTE",
        "GI: NPO EXCEPT MEDS",
    ],
)
def test_reported_copied_phrases_are_gone(phrase: str) -> None:
    """Runs without the shared datasets: the phrases qa_training found copied."""
    assert not [t.template_id for t in TEMPLATES if phrase.casefold() in t.text.casefold()]


# ----------------------------------------------------------------------------- M2


def _where(by_split: dict[str, list[Template]]) -> dict[str, str]:
    return {t.template_id: split for split, ts in by_split.items() for t in ts}


def test_template_twins_never_straddle_splits() -> None:
    """qa_training repro: 3 identical-text groups across splits, and (slots removed) 13 more
    near-identical ones -> 0."""
    where = _where(split_templates(TEMPLATES, (0.7, 0.15, 0.15)))
    assert len(where) == len(TEMPLATES)
    ids = [t.template_id for t in TEMPLATES]
    raw = pd.Series([canonical(t.text) for t in TEMPLATES])
    for same in raw[raw.duplicated(keep=False)].groupby(raw).groups.values():
        assert len({where[ids[i]] for i in same}) == 1, [ids[i] for i in same]
    bare = [_SLOT.sub(" ", t.text) for t in TEMPLATES]
    pairs = find_leaks(bare, bare)
    across = [
        (ids[a], ids[b])
        for a, b in zip(pairs["cand_idx"], pairs["ref_idx"], strict=True)
        # a template that is mostly slots has no telling bare text (", ." is no twin of ", .")
        if min(len(canonical(bare[a])), len(canonical(bare[b]))) >= generator._TWIN_MIN_CHARS
        and where[ids[a]] != where[ids[b]]
    ]
    assert not across, across[:10]
    for a, b in (("hr-v3gchat-006", "sr-v3gchat-006"), ("hr-v3hnegative-012", "sr-v3hnegative-012")):
        assert where[a] == where[b]


def test_only_twins_move() -> None:
    """A template without a twin keeps the split its id hashes to."""
    fractions = (0.7, 0.15, 0.15)
    twins = generator.template_twins(TEMPLATES)
    grouped = pd.Series(twins).value_counts()
    has_twin = {tid for tid, root in twins.items() if grouped[root] > 1}
    hashed = _where(generator._split_by_id(TEMPLATES, fractions))
    now = _where(split_templates(TEMPLATES, fractions))
    moved = {tid for tid in now if now[tid] != hashed[tid]}
    assert moved and moved <= has_twin
    assert len(moved) < 30  # 13 of 1,488 when written


def _twin_pair(text_a: str, text_b: str) -> list[Template]:
    """Twenty unrelated templates and a twin pair whose ids hash to different splits."""
    base = [
        Template(f"xx-chat-{i:03d}", "chat", "hr", f"Poruka broj {i}: {word} {{PERSON}}", stratum="t-hr")
        for i, word in enumerate(["alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"])
    ]  # fmt: skip
    for i in range(200):
        pair = [
            Template(f"hr-twin-{i:03d}", "chat", "hr", text_a, stratum="t-hr"),
            Template(f"sr-twin-{i:03d}", "chat", "hr", text_b, stratum="t-hr"),
        ]
        hashed = _where(generator._split_by_id([*base, *pair], (0.7, 0.15, 0.15)))
        if hashed[pair[0].template_id] != hashed[pair[1].template_id]:
            return [*base, *pair]
    raise AssertionError("no id pair hashes apart")


@pytest.mark.parametrize(
    ("text_a", "text_b"),
    [
        (
            "Pitaj {PERSON} za broj telefona {PHONE_NUMBER}.",
            "Pitaj {PERSON} za broj telefona {PHONE_NUMBER}.",
        ),
        ("Pitaj {PERSON} za broj telefona.", "pitaj   {PERSON} ZA broj telefona."),  # case, spacing
        (
            "Datum rođenja: {DATE_OF_BIRTH}, mjesto rođenja: {CITY}",
            "Datum rođenja: {DATE}, mjesto rođenja: {PLACE}",
        ),
        (
            "{PLACE} i {PLACE_2} potpisali su sporazum o suradnji, javlja {SL_ORG}.",
            "{PLACE} i {PLACE_2} potpisali su sporazum o saradnji, javlja {SL_ORG}.",
        ),
    ],
    ids=["identical", "case-space", "other-slots", "near"],
)
def test_twins_join_one_split(text_a: str, text_b: str) -> None:
    templates = _twin_pair(text_a, text_b)
    hashed = _where(generator._split_by_id(templates, (0.7, 0.15, 0.15)))
    where = _where(split_templates(templates, (0.7, 0.15, 0.15)))
    assert where[templates[-2].template_id] == where[templates[-1].template_id]
    assert all(where[t.template_id] == hashed[t.template_id] for t in templates[:-2])


def _frame(texts: list[str], split: str, source: str = "synthetic") -> pd.DataFrame:
    return pd.DataFrame({"text": texts, "source": source, "split": split})


def test_drop_train_repeats_counts_per_split_source_kind() -> None:
    train = "Prijava, Registracija, Zaboravljena lozinka, Odjava"
    near_train = "Vice-Procurador-Geral Eleitoral em exercício: Luciano Mariz Maia e outros."
    frames = {
        "train": _frame([train, near_train, "Berlim é a capital de Alemanha."], "train"),
        "val": pd.concat(
            [
                _frame([train.upper(), "A completely different sentence about the weather."], "val"),
                _frame(
                    ["Vice-Procurador-Geral Eleitoral em exercício: Luciano Mariz Maia e outro."],
                    "val",
                    "lener",
                ),
            ],
            ignore_index=True,
        ),
        "test": _frame(
            ["Berlim e a capital de Alemanha.", "Nothing like any train row at all, really."], "test"
        ),
    }
    removed = pii_build.drop_train_repeats(frames)
    assert removed == {"val/synthetic/exact": 1, "val/lener/near": 1, "test/synthetic/near": 1}
    assert frames["val"]["text"].tolist() == ["A completely different sentence about the weather."]
    assert frames["test"]["text"].tolist() == ["Nothing like any train row at all, really."]
    assert len(frames["train"]) == 3


def test_build_keeps_no_val_or_test_row_that_repeats_train(tmp_path: Path) -> None:
    """qa_training repro 2: leNER-Br dev (val) repeated leNER train sentences, exactly or with
    one word changed; the build now drops them from val and says so in ``stats``."""
    sentences = {
        "same": "O Ministro Luciano Mariz Maia votou em Brasília .",
        "near": "O Tribunal de Contas da União julgou o recurso de Maria Souza em Recife .",
        "near_dev": "O Tribunal de Contas da União julgou o recurso de Maria Souza em Olinda .",
        "dev_only": "A audiência foi adiada para março .",
    }

    def conll(*keys: str) -> str:
        return "".join("".join(f"{w} O\n" for w in sentences[k].split()) + "\n" for k in keys)

    for rel, body in (
        (pii_build.TRAIN_CORPORA["lener_train"](tmp_path)[0].rel, conll("same", "near")),
        (pii_build.LENER_VAL.rel, conll("same", "near_dev", "dev_only")),
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body, encoding="utf-8")
    stats: dict = {}
    params = {"n_train": 30, "n_val": 10, "n_test": 10, "pool_size": 80, "eval_sets": [], "gazetteers": False}
    frames = pii_build.build_pii_frames(params, tmp_path, seed=5, stats=stats)
    assert stats["train_repeats_removed"] == {"val/lener_dev/exact": 1, "val/lener_dev/near": 1}
    assert frames["val"].loc[frames["val"]["source"] == "lener_dev", "text"].tolist() == [
        "A audiência foi adiada para março."  # the loader detokenises
    ]
    assert "eval_repeats_removed" in stats
    for key in ("val", "test"):
        assert not len(find_leaks(frames[key]["text"].tolist(), frames["train"]["text"].tolist()))


def test_data_cards_print_the_removed_counts(tmp_path: Path) -> None:
    stats = {"eval_repeats_removed": {"train/lener": 3}, "train_repeats_removed": {"val/synthetic/near": 17}}
    section = prepare.pii_repeats_md(stats)
    assert "| val | synthetic | near | train row | 17 |" in section
    assert "| train | lener | exact or near | eval-only row | 3 |" in section
    pii = {"train": pd.DataFrame({"text": ["a"], "spans": [[]], "source": ["synthetic"], "split": ["train"],
                                  "lang": ["en"]})}  # fmt: skip
    assert section in prepare.pii_card(pii, tmp_path, stats)
    assert section in prepare.data_card({}, {}, pii, "", tmp_path, stats)


# ----------------------------------------------------------------------------- L1


@pytest.fixture
def hub_file(tmp_path: Path):
    pytest.importorskip("datasets")

    def write(labels: list, texts: list[str] | None = None) -> str:
        texts = texts or [f"text number {i}" for i in range(len(labels))]
        path = tmp_path / f"set{len(list(tmp_path.glob('*.parquet')))}.parquet"
        pd.DataFrame({"text": texts, "label": labels}).to_parquet(path)
        return str(path)

    return write


@pytest.mark.parametrize(
    ("labels", "extra", "message"),
    [
        ([1, 0, 2, -1], {}, "2 labels are not 0 or 1"),  # qa repro: kept as 2 and -1
        ([0.9, 0.2], {}, "look like scores"),  # qa repro: the attack became 0
        (["injection", "benign"], {}, "label_map"),
        (["jailbreak", "other"], {"label_map": {"jailbreak": 1}}, "add them to label_map"),
        ([0, 1], {"label_map": {0: 0, 1: 2}}, "label_map values must be 0 or 1"),
        ([0, 1], {"label_value": 0.5}, "not 0 or 1"),
    ],
)
def test_hub_labels_must_be_binary(hub_file, labels, extra, message) -> None:
    from bastion_training.hub import HubDataError, load_hub_set

    with pytest.raises(HubDataError, match=message):
        load_hub_set({"name": hub_file(labels), **extra})


@pytest.mark.parametrize(
    ("labels", "extra", "expected"),
    [
        ([1, 0], {}, [1, 0]),
        ([1.0, 0.0], {}, [1, 0]),
        ([True, False], {}, [1, 0]),
        (
            ["jailbreak", "injection", "benign"],
            {"label_map": {"jailbreak": 1, "injection": 1, "benign": 0}},
            [1, 1, 0],
        ),
        ([2, 1, 0], {"label_map": {"2": 1, "1": 1, "0": 0}}, [1, 1, 0]),  # YAML keys as text
        ([5, 7], {"label_value": 1}, [1, 1]),
    ],
)
def test_hub_labels_mapped(hub_file, labels, extra, expected) -> None:
    from bastion_training.hub import load_hub_set

    assert load_hub_set({"name": hub_file(labels), **extra})["label"].tolist() == expected


def test_use_hub_build_fails_on_a_set_it_cannot_load(hub_file, tmp_path: Path) -> None:
    from bastion_training.hub import HubDataError, load_hub_sets
    from bastion_training.injection.build import build_injection_frames

    bad = {"name": hub_file([1, 0, 2])}
    with pytest.raises(HubDataError, match="use_hub is true"):
        build_injection_frames({"injection": {"use_hub": True, "hub": [bad]}}, tmp_path, 13)
    missing = {"name": str(tmp_path / "missing-dir-xyz"), "cache_dir": str(tmp_path / "cache")}
    with pytest.raises(HubDataError, match="missing-dir-xyz"):
        load_hub_sets([missing], skip_failed=False)


# ----------------------------------------------------------------------------- L2

REPORT = REPO / "reports" / "injection"


@pytest.mark.parametrize("stored_order", [True, False], ids=["meta-order", "summary-order"])
def test_rewrite_summary_reproduces_the_shipped_summary(tmp_path: Path, stored_order: bool) -> None:
    """Same system columns, set rows and obfuscation columns, and the erratum kept; without the
    order keys in meta the order comes from the summary being rewritten."""
    out = tmp_path / "injection"
    shutil.copytree(REPORT, out, ignore=shutil.ignore_patterns("*.png", "experiments"))
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["meta"]["errata"] and metrics["meta"]["errata"][0].startswith("Erratum (2026-12-05)")
    if not stored_order:
        for key in ("system_order", "set_order", "obfuscation_order"):
            metrics["meta"].pop(key, None)
        (out / "metrics.json").write_text(
            json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert evaluate_injection.rewrite_summary(out) == 0
    assert (out / "summary.md").read_text(encoding="utf-8") == (REPORT / "summary.md").read_text(
        encoding="utf-8"
    )
    meta = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["meta"]
    assert meta["system_order"][-1] == "metatronnanoguard" and meta["errata"] == metrics["meta"]["errata"]


@pytest.mark.parametrize("errata", ["one string", [""], [3]])
def test_errata_must_be_a_list_of_paragraphs(errata) -> None:
    with pytest.raises(ConfigError, match="errata"):
        evaluate_injection.report_errata({"errata": errata})
