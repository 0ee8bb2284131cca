"""Entry point of the PII data build, called by ``bastion_training.prepare``.

Example:
    >>> frames = build_pii_frames({"n_train": 50, "n_val": 10, "n_test": 10, "pool_size": 80},
    ...                           Path("/nonexistent"), seed=13)  # missing files: skipped, logged
    >>> sorted(frames)
    ['test', 'train', 'val']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.errors import ConfigError

from bastion_training.config import PIIDataParams

from . import corpora, loaders
from .corpora import CorpusFile, RowCap
from .generator import generate_splits
from .schema import COLUMNS, label_counts

log = logging.getLogger(__name__)

WNUT_TRAIN = "pii/emerging_entities_17/wnut17train.conll"

# Eval-only sets: frame key -> (files relative to the datasets root, loader taking those paths).
EVAL_SETS: dict[str, tuple[tuple[str, ...], Callable[[list[Path]], pd.DataFrame]]] = {
    "eval_presidio": (
        ("pii/presidio-research/data/synth_dataset_v2.json",),
        lambda p: loaders.load_presidio(p[0]),
    ),
    # the same texts, each postal address one ADDRESS span (bastion's label definition)
    "eval_presidio_blocks": (
        ("pii/presidio-research/data/synth_dataset_v2.json",),
        lambda p: loaders.load_presidio(p[0], "eval_presidio_blocks", blocks=True),
    ),
    "eval_wnut_test": (
        ("pii/emerging_entities_17/emerging.test.annotated",),
        lambda p: loaders.load_conll(p[0], "wnut17", "eval_wnut_test", "wnut17", "social"),
    ),
    "eval_wnut_dev": (
        ("pii/emerging_entities_17/emerging.dev.conll",),
        lambda p: loaders.load_conll(p[0], "wnut17", "eval_wnut_dev", "wnut17", "social"),
    ),
    "eval_conll_test": (
        ("pii/BERT-NER/data/test.txt",),
        lambda p: loaders.load_conll(p[0], "conll2003", "eval_conll_test", "conll2003", "newswire"),
    ),
    "eval_deid": (
        ("pii/DEID-2023/id.text", "pii/DEID-2023/id-phi.phrase"),
        lambda p: loaders.load_deid(p[0], p[1]),
    ),
    "eval_edge": (
        (
            "pii/Edge-Optimized-PII-NER-System/data/train.jsonl",
            "pii/Edge-Optimized-PII-NER-System/data/dev.jsonl",
            "pii/Edge-Optimized-PII-NER-System/data/test.jsonl",
            "pii/Edge-Optimized-PII-NER-System/data/stress.jsonl",
        ),
        loaders.load_edge,
    ),
    "eval_pii_syn": (
        ("pii/PII-synthetic_dataset/dataset/pii_syn_nano_en.json",),
        lambda p: loaders.load_pii_syn(p[0]),
    ),
}


def _uner_files(root: Path, pattern: str) -> list[CorpusFile]:
    """UNER treebank files matching ``pattern`` (``*-train.iob2`` / ``*-dev.iob2`` /
    ``*-test.iob2``); the language is the file-name prefix (``pt_bosque-ud-train`` → pt)."""
    files = sorted((root / "pii/UNER").glob(f"*/{pattern}"))
    return [
        CorpusFile(
            str(p.relative_to(root)), "uner", p.name.split("_")[0], "uner", f"uner_{p.name.split('-')[0]}"
        )
        for p in files
    ]


# Train-role corpora (datasets README, "Added 2026-12"). Each is capped (``pii.corpus_caps``)
# so the generator stays the core of the mix; keys are the cap names.
TRAIN_CORPORA: dict[str, Callable[[Path], list[CorpusFile]]] = {
    "uner_train": lambda root: _uner_files(root, "*-train.iob2"),
    "germeval_dev": lambda root: [
        CorpusFile(
            "pii/GermEval2014/GermEval2014/NER-de-dev.tsv", "germeval", "de", "germeval", "germeval_dev"
        )
    ],
    "lener_train": lambda root: [
        CorpusFile("pii/leNER-Br/leNER-Br/train/train.conll", "lener", "pt", "space2", "lener_train")
    ],
    # capped per file: three German libraries, one French, one Dutch
    "europeana": lambda root: [
        CorpusFile(
            f"pii/europeana-ner-corpora/enp_{name}.bio/enp_{name}.bio",
            "europeana",
            lang,
            "europeana",
            f"europeana_{name.split('.')[1]}",
        )
        for name, lang in (
            ("DE.lft", "de"),
            ("DE.onb", "de"),
            ("DE.sbb", "de"),
            ("FR.bnf", "fr"),
            ("NL.kb", "nl"),
        )
    ],  # fmt: skip
}
FACTRU_TRAIN = "pii/factRuEval-2016/devset"
LENER_VAL = CorpusFile("pii/leNER-Br/leNER-Br/dev/dev.conll", "lener", "pt", "space2", "lener_dev")

CORPUS_CAPS: dict[str, int] = {
    "uner_train": 2500,
    "germeval_dev": 2200,
    "lener_train": 1500,
    "europeana": 400,
    "factru_dev": 1800,
    "lener_dev_val": 400,
}

# Eval-only multilingual sets: frame key -> files (per-language ``lang``). Never read by the
# train builder (tests/test_pii_loaders.py checks which files a train-only build opens).
_WN = ("de", "es", "fr", "it", "nl", "pl", "pt", "ru")
EVAL_CORPORA: dict[str, Callable[[Path], list[CorpusFile]]] = {
    "eval_uner": lambda root: _uner_files(root, "*-dev.iob2") + _uner_files(root, "*-test.iob2"),
    "eval_germeval_test": lambda root: [
        CorpusFile(
            "pii/GermEval2014/GermEval2014/NER-de-test.tsv", "germeval", "de", "germeval", "germeval_test"
        )
    ],
    "eval_conll2002": lambda root: [
        CorpusFile(
            f"pii/conll2002-es-nl/data/conll/{lang}/test.conllu",
            "conll2002",
            lang,
            "conllu3",
            f"conll2002_{lang}",
        )
        for lang in ("es", "nl")
    ],  # fmt: skip
    "eval_kind": lambda root: [
        CorpusFile(f"pii/KIND/dataset/{name}_test.tsv", "kind", "it", "kind", f"kind_{name}")
        for name in ("wikinews", "fiction", "degasperi")
    ],
    "eval_wikineural": lambda root: [
        CorpusFile(
            f"pii/wikineural/data/wikineural/{lang}/test.conllu",
            "wikineural",
            lang,
            "conllu3",
            f"wikineural_{lang}",
        )
        for lang in _WN
    ],  # fmt: skip
    "eval_bsnlp": lambda root: [
        CorpusFile(
            f"pii/bsnlp/data/bsnlp/{lang}/{topic}.conllu", "bsnlp", lang, "conllu3", f"bsnlp_{lang}_{topic}"
        )
        for lang in ("pl", "ru")
        for topic in ("ec", "trump")
    ],
    "eval_ler": lambda root: [
        CorpusFile("pii/german-LER/data/ler_test.conll", "ler", "de", "space2", "ler_test")
    ],
    "eval_lener_test": lambda root: [
        CorpusFile("pii/leNER-Br/leNER-Br/test/test.conll", "lener", "pt", "space2", "lener_test")
    ],
}
FACTRU_EVAL = "pii/factRuEval-2016/testset"
EVAL_MULTILINGUAL = (*EVAL_CORPORA, "eval_factru_test")


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def drop_eval_duplicates(
    frames: dict[str, pd.DataFrame], references: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, int]:
    """Remove train/val rows that repeat a row of any eval-only frame built in the same run,
    exactly (casefolded, whitespace collapsed) or nearly (:func:`bastion_training.leakage.find_leaks`:
    MinHash over character shingles, the injection build's guard). leNER-Br repeats legal
    boilerplate across its own train and test, and a sentence numbered differently ("46. Essa
    circunstância ...") is the same sentence. Works on frames already loaded, so the train
    loaders still never open an eval-only file. ``references``: more eval-only frames to compare
    with (the uncapped files behind a capped eval sample). Returns rows removed per ``split/source``."""
    from bastion_training.leakage import find_leaks

    pools = [*frames.items(), *(references or {}).items()]
    refs = list(
        dict.fromkeys(t for key, f in pools if key.startswith("eval_") for t in f["text"].astype(str))
    )
    seen = set(map(_norm, refs))
    removed: dict[str, int] = {}
    if not seen:
        return removed
    for key in ("train", "val"):
        if key not in frames:
            continue
        frame = frames[key]
        texts = frame["text"].astype(str)
        dup = texts.map(_norm).isin(seen).to_numpy().copy()
        pairs = find_leaks(texts.tolist(), refs)
        if len(pairs):
            dup[pairs["cand_idx"].to_numpy(dtype=int)] = True
        for source, n in frame[dup].groupby("source").size().items():
            removed[f"{key}/{source}"] = int(n)
        frames[key] = frame[~dup].reset_index(drop=True)
    log.info(
        "rows removed from train/val because an eval-only set has the same or a near text: %s",
        removed or "none",
    )
    return removed


def drop_train_repeats(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Remove ``val``/``test`` rows that repeat a ``train`` row, exactly or nearly
    (:func:`bastion_training.leakage.find_leaks`, the guard of :func:`drop_eval_duplicates`).
    Validation picks thresholds, temperature and checkpoint, and the generator test split is
    reported: a row the model trained on flatters both. leNER-Br repeats its boilerplate across
    train and dev, and template twins in two languages render the same sentence. Returns rows
    removed per ``split/source/kind`` (kind ``exact`` or ``near``; a row with both is exact)."""
    from bastion_training.leakage import find_leaks

    removed: dict[str, int] = {}
    if "train" not in frames or not len(frames["train"]):
        return removed
    train_texts = frames["train"]["text"].astype(str).tolist()
    for key in ("val", "test"):
        if key not in frames or not len(frames[key]):
            continue
        frame = frames[key]
        pairs = find_leaks(frame["text"].astype(str).tolist(), train_texts)
        if not len(pairs):
            continue
        first = pairs.sort_values("kind").drop_duplicates("cand_idx")  # "exact" sorts before "near"
        rows = first["cand_idx"].to_numpy(dtype=int)
        hit = frame.iloc[rows].assign(kind=first["kind"].to_numpy())
        for (source, k), n in hit.groupby(["source", "kind"]).size().items():
            removed[f"{key}/{source}/{k}"] = int(n)
        keep = np.ones(len(frame), dtype=bool)
        keep[rows] = False
        frames[key] = frame[keep].reset_index(drop=True)
    log.info("val/test rows removed because a train row has the same or a near text: %s", removed or "none")
    return removed


def build_train_corpora(
    corpus_caps: Mapping[str, int], root: Path, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The capped train-role NER corpora (train frame) and the leNER-Br dev sample (validation),
    at ``CORPUS_CAPS`` overridden by ``corpus_caps``. Missing files are skipped with a warning.
    Opens only train-role paths."""
    caps = {**CORPUS_CAPS, **corpus_caps}
    frames: list[pd.DataFrame] = []
    for key, files in TRAIN_CORPORA.items():
        for spec in files(root):
            if not (root / spec.rel).is_file():
                log.warning("train corpus %s missing at %s", key, root / spec.rel)
                continue
            frames.append(corpora.load_tagged(root, spec, "train", RowCap(caps.get(key), seed)))
    if (root / FACTRU_TRAIN).is_dir():
        frames.append(corpora.load_factru(root, FACTRU_TRAIN, "train", RowCap(caps.get("factru_dev"), seed)))
    else:
        log.warning("factRuEval devset missing at %s", root / FACTRU_TRAIN)
    val = pd.DataFrame(columns=list(COLUMNS))
    if (root / LENER_VAL.rel).is_file():
        val = corpora.load_tagged(root, LENER_VAL, "val", RowCap(caps.get("lener_dev_val"), seed))
    train = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    return train, val


def build_eval_corpora(
    wanted: list[str], root: Path, seed: int, cap_per_file: int | None
) -> dict[str, pd.DataFrame]:
    """The multilingual eval-only frames in ``wanted`` (uniform seeded sample per file)."""
    out: dict[str, pd.DataFrame] = {}
    cap = RowCap(cap_per_file, seed, prefer_entities=False)  # a uniform sample per file
    for key in wanted:
        if key == "eval_factru_test":
            if (root / FACTRU_EVAL).is_dir():
                out[key] = corpora.load_factru(root, FACTRU_EVAL, key, cap)
            else:
                log.warning("%s: skipped, missing %s", key, root / FACTRU_EVAL)
            continue
        parts = []
        for spec in EVAL_CORPORA[key](root):
            if not (root / spec.rel).is_file():
                log.warning("%s: skipping missing %s", key, root / spec.rel)
                continue
            parts.append(corpora.load_tagged(root, spec, key, cap))
        if parts:
            out[key] = pd.concat(parts, ignore_index=True)
    return out


def build_pii_frames(
    params: Mapping[str, Any] | None, root: Path, seed: int, stats: dict[str, Any] | None = None
) -> dict[str, pd.DataFrame]:
    """All PII frames in the unified schema (``schema.COLUMNS``), keyed ``train``, ``val``,
    ``test`` (synthetic, split by template and identity; ``train`` adds WNUT-17 train) and the
    eval-only sets ``eval_*``. A missing source file is skipped with a warning (its frame is
    absent; for ``eval_edge`` only the missing files are skipped). Deterministic given ``seed``.

    ``params`` is the ``pii:`` section of params.yaml (or the whole file), read as
    :class:`bastion_training.config.PIIDataParams`: the generator's keys plus ``wnut_train``,
    ``wnut_handles_as_username``, ``corpora`` (the capped train-role NER corpora of
    ``TRAIN_CORPORA``, leNER-Br dev into ``val``), ``corpus_caps`` (rows per corpus over
    ``CORPUS_CAPS``), ``gazetteers`` (German LER values in de identities),
    ``eval_cap_per_file`` (uniform sample per multilingual eval file) and ``eval_sets``
    (``eval_*`` keys to build; default all).

    ``stats``, when given, receives the rows removed for the data card: ``eval_repeats_removed``
    (train/val rows repeating an eval-only row) and ``train_repeats_removed`` (val/test rows
    repeating a train row), each ``{"split/source[/kind]": rows}``.
    """
    raw = dict(params or {})
    if isinstance(raw.get("pii"), Mapping):  # tolerate being handed the whole params.yaml
        raw = dict(raw["pii"])
    p = PIIDataParams.from_mapping(raw)
    root = Path(root)
    gazetteers = corpora.load_gazetteers(root, seed=seed) if p.gazetteers else None
    frames = generate_splits(
        {k: raw[k] for k in PIIDataParams.GENERATOR_KEYS if k in raw}, seed, gazetteers or None
    )

    if p.wnut_train:
        path = root / WNUT_TRAIN
        if path.is_file():
            wnut = loaders.load_conll(
                path,
                "wnut17",
                "train",
                "wnut17",
                "social",
                handles_as_username=p.wnut_handles_as_username,
            )
            train = pd.concat([frames["train"], wnut], ignore_index=True)
            # Interleave the sources so a trainer that does not shuffle still sees both.
            frames["train"] = train.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
        else:
            log.warning("WNUT-17 train missing at %s: train is synthetic only", path)

    if p.corpora:
        extra, lener_val = build_train_corpora(p.corpus_caps, root, seed)
        if len(extra):
            train = pd.concat([frames["train"], extra], ignore_index=True)
            frames["train"] = train.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
        if len(lener_val):
            frames["val"] = pd.concat([frames["val"], lener_val], ignore_index=True)

    known = [*EVAL_SETS, *EVAL_MULTILINGUAL]
    wanted = list(known if p.eval_sets is None else p.eval_sets)
    unknown = set(wanted) - set(known)
    if unknown:
        raise ConfigError(f"pii.eval_sets: unknown {sorted(unknown)}; known: {sorted(known)}")
    multilingual = [k for k in wanted if k in EVAL_MULTILINGUAL]
    frames.update(build_eval_corpora(multilingual, root, seed, p.eval_cap_per_file))
    # The leakage guard compares train rows with whole eval files, not the sample reported:
    # a train sentence repeating a WikiNEuRal test row outside the 2,000 sampled is a leak too.
    whole = build_eval_corpora(multilingual, root, seed, None) if p.eval_cap_per_file is not None else {}
    for key in (k for k in wanted if k in EVAL_SETS):
        rels, load = EVAL_SETS[key]
        paths = [root / rel for rel in rels]
        present = [p for p in paths if p.is_file()]
        missing = [p for p in paths if not p.is_file()]
        if key == "eval_edge" and present:
            if missing:
                log.warning("%s: skipping missing files %s", key, [str(p) for p in missing])
            frames[key] = load(present)
        elif missing:
            log.warning("%s: skipped, missing %s", key, [str(p) for p in missing])
            continue
        else:
            frames[key] = load(paths)

    eval_repeats = drop_eval_duplicates(frames, whole)
    train_repeats = drop_train_repeats(frames)
    if stats is not None:
        stats["eval_repeats_removed"] = eval_repeats
        stats["train_repeats_removed"] = train_repeats
    for key, frame in frames.items():
        assert list(frame.columns) == list(COLUMNS), key
        log.info("pii frame %s: %d rows, spans %s", key, len(frame), dict(label_counts(frame)))
    return frames
