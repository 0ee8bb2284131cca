"""Data engine v4: every new train-role source and composition in one call.

:func:`engine_frames` returns rows with ``COLUMNS + ["split"]``, split already assigned
by each source's own group rule (see :mod:`agent_sources`), in ``train``, ``val`` or
``test_heldout``. ``build.py`` adds train/val rows to its pool and writes the held-out
rows as separate ``eval_*_heldout`` frames.

Benign *units* for the carriers (sentences of the document a payload is planted in)
come from train-role text only: salesforce RAG documents, SEP data texts, xquad contexts,
xSID utterances and our own native sentences; each unit belongs to one split.

>>> sorted(ENGINE_DEFAULTS)[:3]
['agentdojo_copies', 'carrier_neg', 'carrier_pos']
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from bastion_training.injection import agent_sources as A
from bastion_training.injection.carriers import carrier_rows
from bastion_training.injection.io import read_json, read_lines
from bastion_training.injection.multilingual import PHRASES
from bastion_training.injection.negatives import (
    composed_system_prompt_rows,
    discussion_rows,
    native_benign_rows,
    roleplay_fiction_rows,
    secrets_code_rows,
    system_prompt_rows,
)
from bastion_training.injection.negatives_prompt_talk import kind_counts, prompt_talk_hard_rows
from bastion_training.injection.platform_prompts import (
    documentation_extraction_rows,
    platform_wrapper_rows,
    secret_guard_rows,
)
from bastion_training.injection.scenarios import scenario_rows
from bastion_training.injection.secrets_bare import secrets_bare_rows
from bastion_training.injection.security_docs import security_doc_rows
from bastion_training.injection.short_attacks import short_attack_rows
from bastion_training.injection.sources import hash_bucket
from bastion_training.injection.sysprompts import (
    long_system_prompt_rows,
    prompt_talk_rows,
    soft_extraction_rows,
)
from bastion_training.injection.techniques import technique_counts, technique_rows

log = logging.getLogger("bastion_training.injection.engine")

ENGINE_DEFAULTS: dict[str, Any] = {
    "enabled": False,
    "carrier_pos": 3000,
    "carrier_neg": 3000,
    "carrier_val_fraction": 0.12,  # of the carrier rows, drawn from val units and templates
    # attack languages: English about a third, the twelve others share the rest
    "lang_weights": {"en": 6.0},
    "injecagent_synth_per_tool": 40,
    "injecagent_benign_per_tool": 60,
    "injecagent_sim_cap": 900,
    "tool_output_pos_fraction": 0.5,
    "agentdojo_copies": 5,
    "sep_rows_per_subtask": 2,
    "garak_per_context": 24,
    "salesforce_pos_fraction": 0.5,
    "secrets_per_template": 60,
    # v4 run 5: hex-heavy benign formats (git log, digests, lockfiles, hexdumps); 0 = off
    "secrets_hex_per_template": 0,
    # issue 12: a random token alone or in a short frame ("my token is X", "sha256: X") in the
    # 13 languages (secrets_bare.py); the shipped model blocks a bare 40-char token; 0 = off
    "secrets_bare": 0,
    "discussion": 700,
    "system_prompts": 400,
    "system_prompts_composed": 2000,
    "roleplay_fiction": 250,
    "native_benign_per_lang": 80,
    # v4 run 3: polite/indirect extraction (label 1), long defensive system prompts and
    # benign talk about prompts (label 0); 0 keeps a build without them
    "extraction_soft": 0,
    "system_prompts_long": 0,
    "prompt_talk": 0,
    # v4 run 4: benign twins of the soft-extraction positives (talk about prompts, instructions,
    # secrets and leaks in the 13 languages); run 3 without them flagged such talk as attack
    "prompt_talk_hard": 1500,
    # v4 run 6: platform-wrapped custom assistants and short secret keepers (label 0),
    # documentation-framed extraction and its twins (platform_prompts.py); 0 = off
    "platform_prompts": 0,
    "secret_guards": 0,
    "doc_extraction": 0,
    # v4 run 8: secret requests wrapped in techniques (backwards, base64, games, few-shot, fake
    # system markers, split payloads) and their benign twins (techniques.py); 0 = off
    "techniques": 0,
    # v4 run 8: scenario jailbreaks with no rule-breaking words, their benign twins and the
    # plain harmful questions (label 0 by the policy) (scenarios.py); 0 = off
    "scenarios": 0,
    # v4 run 8: long write-ups about prompt injection that quote attacks (label 0) and the same
    # documents with one unquoted directive to the reader AI (label 1) (security_docs.py); 0 = off
    "security_docs": 0,
    # v4 run 8: one-line persona jailbreaks and directives after a harmless snippet, with
    # twins (short_attacks.py); 0 = off
    "short_attacks": 0,
}

_SENT = re.compile(r"(?<=[.!?।؟])\s+|(?<=[。！？])")


def _sentences(text: str, max_len: int = 300) -> list[str]:
    return [s.strip() for s in _SENT.split(str(text)) if 20 <= len(s.strip()) <= max_len]


def benign_units(root: Path, seed: int, val_fraction: float) -> dict[str, dict[str, list[str]]]:
    """split → language → benign sentences. The split of a unit is its source document's
    (xquad contexts use the same key and hash as build.assign_splits, so a context never
    sits on both sides)."""

    out: dict[str, dict[str, list[str]]] = {"train": {}, "val": {}}

    def add(split: str, lang: str, items: list[str]) -> None:
        out[split].setdefault(lang, []).extend(items)

    base = root / "injection/salesforce-prompt-leakage/data"
    for f in sorted(base.glob("*/*_triplets_trunc_200.json")) if base.exists() else []:
        for i, t in enumerate(read_json(f) or []):
            split = A.split_of(f"sf:{f.parent.name}:{i}", seed, val_fraction)
            if split == "test_heldout":
                continue
            add(split, "en", _sentences(t.get("doc1", ""))[:4])
    for st in A._sep_subtasks(root):
        split = A.split_of(st["_key"], seed, val_fraction)
        add(split, "en", [str(d) for d in st["data"][:3] if 20 <= len(str(d)) <= 400])
    for lang in ("de", "es", "ru", "zh", "ar", "hi", "en"):
        data = read_json(root / f"benign/xquad/xquad.{lang}.json") or {}
        for a, art in enumerate(data.get("data", [])):
            for p, para in enumerate(art.get("paragraphs", [])):
                split = "val" if hash_bucket(f"xquadctx:{a}:{p}", seed) < val_fraction else "train"
                add(split, lang, _sentences(para.get("context", ""))[:3])
    xs = root / "benign/xsid/data/xSID-0.7"
    for lang in ("de", "it", "nl", "ja", "zh", "ar"):
        for f in sorted(xs.glob(f"{lang}.*.conll")) if xs.exists() else []:
            for line in read_lines(f):
                if line.startswith("# text ="):
                    t = line.split("=", 1)[1].strip()
                    add("val" if hash_bucket(f"xsidu:{t}", seed) < val_fraction else "train", lang, [t])
    for lang, p in PHRASES.items():
        for j, s in enumerate(p["benign"] + p["benign_imp"]):
            add("val" if hash_bucket(f"own:{lang}:{j}", seed) < val_fraction else "train", lang, [s])
    for split in out:
        for lang in out[split]:
            out[split][lang] = sorted(set(out[split][lang]))
    return out


def engine_frames(cfg: dict[str, Any], root: Path, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """All engine rows (train / val / test_heldout) and per-part counts."""
    e = {**ENGINE_DEFAULTS, **(cfg.get("engine") or {})}
    vf = float(cfg.get("val_fraction", 0.15))
    stats: dict[str, Any] = {}
    attack_fn = A.make_attack_fn(seed, vf, e["lang_weights"])
    units = benign_units(root, seed, vf)
    stats["benign_units"] = {s: {lg: len(v) for lg, v in d.items()} for s, d in units.items()}
    parts: dict[str, pd.DataFrame] = {}

    from bastion_training.injection.attacks import template_split

    cv = float(e["carrier_val_fraction"])
    carrier_stats: list[pd.DataFrame] = []
    for split, frac in (("train", 1 - cv), ("val", cv)):
        want = split

        def ok(t: str, want: str = want) -> bool:
            return template_split(t, seed, vf) == want

        rows = carrier_rows(
            int(e["carrier_pos"] * frac),
            int(e["carrier_neg"] * frac),
            split,
            units[split],
            seed,
            template_ok=ok,
            lang_weights=e["lang_weights"],
        )
        carrier_stats.append(rows)
        parts[f"carriers_{split}"] = rows.drop(columns=["carrier", "position"])
    ia = A.injecagent_rows(
        root,
        seed,
        attack_fn,
        units["train"],
        int(e["injecagent_synth_per_tool"]),
        int(e["injecagent_benign_per_tool"]),
    )
    sim = ia[ia["source"] == "injecagent_sim"]
    sim_train = sim[sim["split"] == "train"]
    if len(sim_train) > e["injecagent_sim_cap"]:
        sim_train = sim_train.sample(n=int(e["injecagent_sim_cap"]), random_state=seed)
    parts["injecagent"] = pd.concat(
        [ia[ia["source"] != "injecagent_sim"], sim[sim["split"] != "train"], sim_train]
    )
    parts["tool_outputs"] = A.tool_output_rows(root, seed, attack_fn, float(e["tool_output_pos_fraction"]))
    parts["agentdojo"] = A.agentdojo_rows(root, seed, attack_fn, int(e["agentdojo_copies"]))
    parts["sep_tasktracker"] = A.sep_tasktracker_rows(
        root, seed, vf, attack_fn, int(e["sep_rows_per_subtask"])
    )
    parts["garak_extra"] = A.garak_extra_rows(root, seed, attack_fn, int(e["garak_per_context"]))
    parts["salesforce"] = A.salesforce_rows(root, seed, vf, attack_fn, float(e["salesforce_pos_fraction"]))
    parts["secrets_code"] = secrets_code_rows(
        seed, int(e["secrets_per_template"]), int(e["secrets_hex_per_template"])
    )
    parts["secrets_bare"] = secrets_bare_rows(seed, int(e["secrets_bare"]), vf)
    parts["discussion"] = discussion_rows(seed, int(e["discussion"]), vf)
    parts["system_prompts"] = system_prompt_rows(seed, int(e["system_prompts"]), vf)
    parts["system_prompts_composed"] = composed_system_prompt_rows(
        seed, int(e["system_prompts_composed"]), vf, _awesome_roles(root)
    )
    parts["extraction_soft"] = soft_extraction_rows(seed, int(e["extraction_soft"]), vf)
    parts["system_prompts_long"] = long_system_prompt_rows(seed, int(e["system_prompts_long"]), vf)
    parts["prompt_talk"] = prompt_talk_rows(seed, int(e["prompt_talk"]), vf)
    parts["prompt_talk_hard"] = prompt_talk_hard_rows(seed, int(e["prompt_talk_hard"]), vf)
    parts["platform_prompts"] = platform_wrapper_rows(
        seed, int(e["platform_prompts"]), vf, _awesome_roles(root)
    )
    parts["secret_guards"] = secret_guard_rows(seed, int(e["secret_guards"]), vf)
    parts["doc_extraction"] = documentation_extraction_rows(seed, int(e["doc_extraction"]), vf)
    parts["techniques"] = technique_rows(seed, int(e["techniques"]), vf)
    parts["scenarios"] = scenario_rows(seed, int(e["scenarios"]), vf)
    parts["security_docs"] = security_doc_rows(seed, int(e["security_docs"]), vf)
    parts["short_attacks"] = short_attack_rows(seed, int(e["short_attacks"]), vf)
    parts["roleplay_fiction"] = roleplay_fiction_rows(seed, int(e["roleplay_fiction"]))
    parts["native_benign"] = native_benign_rows(seed, int(e["native_benign_per_lang"]), vf)
    for k, v in parts.items():
        stats[k] = v.groupby(["split", "label"]).size().to_dict() if len(v) else {}
    stats["prompt_talk_hard_kinds"] = kind_counts(parts["prompt_talk_hard"])
    if len(parts["techniques"]):
        stats["technique_kinds"] = technique_counts(parts["techniques"])
    out = pd.concat([p for p in parts.values() if len(p)], ignore_index=True)
    crs = pd.concat(carrier_stats, ignore_index=True)
    # a leading blank line lets the table render inside prepare's "Other build steps" list
    stats["carrier_table"] = "\n\n" + carrier_table(crs) + "\n"
    return out, stats


def _awesome_roles(root: Path) -> list[tuple[str, str]]:
    """awesome-chatgpt-prompts role rows (not the relabelled jailbreaks) as system-prompt personas."""
    from bastion_training.injection.sources import load_awesome

    try:
        df = load_awesome(root)
    except FileNotFoundError:
        return []
    df = df[(df["label"] == 0) & (df["text"].str.len() < 1500)]
    return list(zip(df["group"], df["text"], strict=True))


def _md(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def carrier_table(rows: pd.DataFrame) -> str:
    """Markdown counts of the composed carrier rows: carrier × label, attack kind ×
    position, and language × label (the per-family table of the data card).

    >>> t = carrier_table(pd.DataFrame({"carrier": ["csv"], "label": [1], "family": ["carrier:override"],
    ...                                 "position": ["end"], "lang": ["de"], "split": ["train"]}))
    >>> "| csv |" in t
    True
    """
    if rows.empty:
        return "(no carrier rows)"
    by_carrier = rows.groupby(["carrier", "label"]).size().unstack(fill_value=0).reset_index()
    pos = rows[rows["label"] == 1]
    by_kind = pos.groupby(["family", "position"]).size().unstack(fill_value=0).reset_index()
    by_lang = rows.groupby(["lang", "label"]).size().unstack(fill_value=0).reset_index()
    return "\n\n".join(
        [
            "Carrier × label:\n\n" + _md(by_carrier),
            "Attack kind × position (label 1):\n\n" + _md(by_kind),
            "Attack language × label:\n\n" + _md(by_lang),
        ]
    )


def family_table(frames: dict[str, pd.DataFrame]) -> str:
    """Markdown rows per family × label for each frame (train, val, held-out)."""
    parts = []
    for name, df in frames.items():
        if df.empty:
            continue
        t = df.groupby(["family", "label"]).size().unstack(fill_value=0).reset_index()
        parts.append(f"### {name}\n\n" + _md(t))
    return "\n\n".join(parts)


def mining_pool(params: dict[str, Any], root: Path, seed: int) -> pd.DataFrame:
    """Train-role benign texts of **train-split groups** for hard-negative mining between
    training rounds: score them with the current model, then pass texts and scores to
    :func:`~bastion_training.injection.negatives.mine_hard_negatives` (with the current
    train and every eval-only text as ``exclude``) and append the result to train.

    Sources: the benign utterance sets (all rows, not just the capped sample), every SEP
    data text, both salesforce documents of each triplet, tau-bench / ToolTalk / InjecAgent
    simulated tool outputs. Val and held-out groups are left out, so mining never moves a
    val text into train.
    """
    from bastion_training.injection import sources as S
    from bastion_training.injection.build import assign_splits, settings

    cfg = settings(params)
    vf = float(cfg["val_fraction"])
    parts = []
    ben = S.TRAIN_LOADERS["benign_utterances"](root)
    if len(ben):
        ben = ben[assign_splits(ben, vf, seed, set()) == "train"]
        parts.append(ben[["text", "source", "lang", "group"]])
    rows = []
    for st in A._sep_subtasks(root):
        if A.split_of(st["_key"], seed, vf) == "train":
            rows += [{"text": str(d), "source": "sep", "lang": "en", "group": st["_key"]} for d in st["data"]]
    base = root / "injection/salesforce-prompt-leakage/data"
    for f in sorted(base.glob("*/*_triplets_trunc_200.json")) if base.exists() else []:
        for i, t in enumerate(read_json(f) or []):
            g = f"sf:{f.parent.name}:{i}"
            if A.split_of(g, seed, vf) == "train":
                rows += [
                    {"text": str(t.get(k, "")), "source": "salesforce_docs", "lang": "en", "group": g}
                    for k in ("doc1", "doc2")
                ]
    parts.append(pd.DataFrame(rows, columns=["text", "source", "lang", "group"]))

    def never(rng, split):  # tool outputs only: no attack is drawn with pos_fraction 0
        raise AssertionError("unreachable")

    tools = A.tool_output_rows(root, seed, never, pos_fraction=0.0)
    parts.append(tools[tools["split"] == "train"][["text", "source", "lang", "group"]])
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out = out[out["text"].str.strip().str.len() > 0]
    return out.drop_duplicates("text").reset_index(drop=True)
