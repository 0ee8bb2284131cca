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

import pandas as pd
from bastion.errors import ConfigError

from . import loaders
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

_BUILD_KEYS = {"wnut_train", "wnut_handles_as_username", "eval_sets"}


def build_pii_frames(params: Mapping[str, Any] | None, root: Path, seed: int) -> dict[str, pd.DataFrame]:
    """All PII frames in the unified schema (``schema.COLUMNS``), keyed ``train``, ``val``,
    ``test`` (synthetic, split by template and identity; ``train`` adds WNUT-17 train) and the
    eval-only sets ``eval_*``. A missing source file is skipped with a warning (its frame is
    absent; for ``eval_edge`` only the missing files are skipped). Deterministic given ``seed``.

    ``params`` is the ``pii:`` section of params.yaml; see ``generator.DEFAULTS`` for the
    generator keys, plus ``wnut_train`` (bool), ``wnut_handles_as_username`` (bool) and
    ``eval_sets`` (list of ``eval_*`` keys to build; default all).
    """
    params = dict(params or {})
    if isinstance(params.get("pii"), Mapping):  # tolerate being handed the whole params.yaml
        params = dict(params["pii"])
    gen_params = {k: v for k, v in params.items() if k not in _BUILD_KEYS}
    frames = generate_splits(gen_params, seed)

    root = Path(root)
    if params.get("wnut_train", True):
        path = root / WNUT_TRAIN
        if path.is_file():
            wnut = loaders.load_conll(
                path,
                "wnut17",
                "train",
                "wnut17",
                "social",
                handles_as_username=bool(params.get("wnut_handles_as_username", True)),
            )
            train = pd.concat([frames["train"], wnut], ignore_index=True)
            # Interleave the sources so a trainer that does not shuffle still sees both.
            frames["train"] = train.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
        else:
            log.warning("WNUT-17 train missing at %s: train is synthetic only", path)

    wanted = params.get("eval_sets", list(EVAL_SETS))
    unknown = set(wanted) - set(EVAL_SETS)
    if unknown:
        raise ConfigError(f"pii.eval_sets: unknown {sorted(unknown)}; known: {sorted(EVAL_SETS)}")
    for key in wanted:
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

    for key, frame in frames.items():
        assert list(frame.columns) == list(COLUMNS), key
        log.info("pii frame %s: %d rows, spans %s", key, len(frame), dict(label_counts(frame)))
    return frames
