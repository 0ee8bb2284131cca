"""A tiny random BERT base for the training tests (test helper, not a test module).

2 layers, hidden 32, a lower-cased WordPiece vocabulary built from the fixture sentences:
enough for the real training, export and runtime code to run in seconds.
"""

from __future__ import annotations

from pathlib import Path


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
