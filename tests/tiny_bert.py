"""A tiny random BERT base for the training tests (test helper, not a test module).

2 layers, hidden 32, a lower-cased WordPiece vocabulary built from the fixture sentences:
enough for the real training, export and runtime code to run in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def tiny_bert_base(folder: Path, corpus: list[str], vocab_size: int = 300) -> Path:
    """Write the base (tokenizer files and random weights) to ``folder``; returns it."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator([*corpus, "0123456789 .,;:!?@-"], vocab_size=vocab_size, min_frequency=1)
    folder.mkdir(parents=True, exist_ok=True)
    wp.save(str(folder / "tokenizer.json"))
    tok = BertTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    tok.save_pretrained(folder)
    cfg = BertConfig(
        vocab_size=tok.backend_tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(cfg).save_pretrained(folder)
    return folder


def write_splits(folder: Path, train, val) -> Path:
    """``train`` and ``val`` frames as the prepare stage writes them (``folder/data``)."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    train.to_parquet(data / "train.parquet")
    val.to_parquet(data / "val.parquet")
    return data


# a tiny run's training settings: short windows (a long text needs several), one thread,
# no tracking, a patience longer than the run
TINY_SETTINGS = {
    "max_length": 24,
    "batch_size": 16,
    "lr": 3e-3,
    "warmup": 0.05,
    "patience": 50,
    "threads": 1,
    "track": False,
}


def _pipeline(task: str) -> tuple[str, Callable[..., dict], Callable[..., dict]]:
    """The params section, training and export functions of ``task`` (injection or pii)."""
    if task == "injection":
        from bastion_training.export import export_injection
        from bastion_training.train_injection import train

        return "train_injection", train, export_injection
    from bastion_training.export_pii import export_pii
    from bastion_training.train_pii import train

    return "train_pii", train, export_pii


def train_and_export(
    root: Path,
    task: str,
    frames: tuple[Any, Any],
    settings: dict[str, Any],
    *,
    seed: int,
    words: Sequence[str] = (),
    params: dict[str, Any] | None = None,
    **train_kw: Any,
) -> dict[str, Any]:
    """The training pipeline of ``task`` in ``root``: a tiny base whose vocabulary comes
    from the texts of the training frame (and ``words``), then training and export on the
    (train, val) ``frames``, with :data:`TINY_SETTINGS` + ``settings`` as the task's params
    section, the other sections ``params``, and the seed ``$BASTION_TEST_TINY_SEED`` or
    ``seed``. Returns the root, the model folder, the training summary, the manifest and the
    params it ran with."""
    section, train, export = _pipeline(task)
    data = write_splits(root, *frames)
    base = tiny_bert_base(root / "base", [*frames[0]["text"], *words])
    full = {
        **(params or {}),
        "seed": int(os.environ.get("BASTION_TEST_TINY_SEED", str(seed))),
        section: {"base_model_dir": str(base), **TINY_SETTINGS, **settings},
    }
    summary = train(full, data, root / "art", **train_kw)
    manifest = export(full, root / "art", root / "model", data)
    return {"root": root, "model": root / "model", "summary": summary, "manifest": manifest, "params": full}
