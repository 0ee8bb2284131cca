"""Distil the injection classifier and the PII tagger into ONE encoder with two heads.

    python -m bastion_training.distill --params params.yaml --out artifacts/onepass

The student is a BERT encoder started from the first ``distill.layers`` layers of
``distill.init_from`` (a teacher's HF checkpoint or the base encoder; same width), with a
sequence-classification head (pooler + linear, as ``BertForSequenceClassification``) and a
token-classification head (linear, as ``BertForTokenClassification``), plus the zero-started
capitalisation embedding of :mod:`bastion_training.ner_model` when the PII teacher takes
``case_ids``.

Targets come from the two SHIPPED teachers run through bastion's own runtime detectors
(int8 ONNX, exactly what Guard runs), on an unlabeled pool of train-role texts
(:func:`gather_pool`; never an ``eval_*`` file), cut into the student's windows (the
windows the one-pass runtime will use):

* sequence: the injection teacher's logits on that very window;
* tokens: the PII teacher's per-token tag probabilities (its own windows, merged as at
  runtime), sliced to the window.

Loss: ``T² · KL`` between temperature-softened teacher and student class distributions,
plus ``T² · KL`` per content token between tag distributions, plus (optional,
``hidden_weight > 0``) MSE between student hidden states and those of a torch teacher
checkpoint (``hidden_teacher``, same width, student layer j ↔ teacher layer j·L/K).

Tokenizer constraint: per-token targets need the student and the PII teacher to cut text
into the same tokens, so the student uses the PII teacher's ``tokenizer.json``. The
injection teacher scores the student's window ids directly when both teachers share a
vocabulary (they do: both are MiniLM's uncased 30,522-piece WordPiece); otherwise (or when
the student's window is longer than the teacher's) it scores the window's characters with
its own tokenizer and windows, which is exact up to word-pieces cut at a window edge.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import functools
import hashlib
import json
import math
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from bastion.casefeatures import NUM_CASE_CLASSES, case_ids
from bastion.detectors.onnx_common import sliding_windows
from bastion.errors import ConfigError
from bastion.labels import INJECTION_LABEL
from bastion.normalize import normalize
from torch import nn
from torch.nn import functional as F
from transformers import BertConfig, BertModel, BertPreTrainedModel

from bastion_training.common import (
    REPO_ROOT,
    base_model_path,
    load_params,
    log,
    log_progress,
    seed_everything,
    write_json,
)
from bastion_training.ner_model import CaseEmbeddings

# Train-role pool sources of the data builds; eval_* and val files are never read.
DEFAULT_SOURCES = ("data/processed/injection/train.parquet", "data/processed/pii/train.parquet")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EPS = 1e-6


@dataclasses.dataclass(frozen=True)
class DistillConfig:
    """The ``distill:`` section of params.yaml (defaults here; see params.yaml for the why)."""

    teachers: dict[str, str] = dataclasses.field(
        default_factory=lambda: {"injection": "models/injection", "pii": "models/pii"}
    )
    init_from: str | None = None
    layers: int = 4
    max_length: int = 256
    overlap: int = 32
    steps: int = 6000
    max_minutes: float = 120.0
    lr: float = 1e-4
    batch_size: int = 32
    warmup: float = 0.06
    weight_decay: float = 0.01
    temperature: float = 2.0
    seq_weight: float = 1.0
    token_weight: float = 1.0
    # c7 matched the teacher's sequence KL on average (0.11) yet scored an attack inside a benign
    # document 0.05 where the teacher said 0.99: the rare hostile windows need more pull.
    # attack_weight: a window's sequence KL counts 1 + attack_weight x the teacher's attack
    # probability; seq_hard_weight: plus cross-entropy on the teacher's verdict (T = 1)
    attack_weight: float = 0.0
    seq_hard_weight: float = 0.0
    hidden_weight: float = 0.0
    hidden_teacher: str | None = None
    eval_every: int = 250
    threads: int = 2
    seed: int = 13
    sources: tuple[str, ...] = DEFAULT_SOURCES
    source_caps: dict[str, int] = dataclasses.field(default_factory=dict)
    pool_cap: int = 60000
    max_windows_per_text: int = 4
    # "max": a long text keeps the window the injection teacher scores highest, plus random
    # others (an attack planted in one window of a long document is otherwise dropped most
    # of the time); "random": ``max_windows_per_text`` windows drawn at random
    window_selection: str = "random"
    # fnmatch patterns on a source's ``family`` column: those rows are taken before the
    # others when a source is capped (agent and document families for the long-text case)
    focus_families: tuple[str, ...] = ()
    # a share of a capped source kept for the focus rows (the rest go to the other families);
    # None: focus rows first until the cap (c9's 10k injection cap took focus rows only, and
    # its student missed chat jailbreaks and flagged secrets in code)
    focus_share: float | None = None
    heldout: float = 0.02
    teacher_batch: int = 64
    cache_targets: bool = True
    # homoglyph fold of the pool and of the student at run time (bastion.normalize); None: the
    # PII teacher's, which it must equal (the per-token targets are on one tokenisation)
    homoglyphs: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DistillConfig:
        """The ``distill:`` section; an unknown key or a bad value is a ``ConfigError``.

        >>> DistillConfig.from_params({"distill": {"lr": "3e-4", "pool": {"pool_cap": 10}}}).lr
        0.0003
        >>> DistillConfig.from_params({"distill": {"layer": 4}})
        Traceback (most recent call last):
        ...
        bastion.errors.ConfigError: distill: unknown key(s) ['layer']
        """
        raw = dict(params.get("distill") or {})
        pool = dict(raw.pop("pool", None) or {})
        raw.pop("export", None)  # export_onepass reads that part
        raw = {**pool, **raw}
        raw.setdefault("seed", params.get("seed", 13))
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise ConfigError(f"distill: unknown key(s) {unknown}")
        kinds = {"int": int, "float": float, "bool": bool, "float | None": float}
        for key, value in list(raw.items()):
            kind = kinds.get(str(fields[key].type))
            if value is None and str(fields[key].type).endswith("| None"):
                continue
            try:
                if kind is bool and not isinstance(value, bool):
                    raise ValueError
                if kind is int and float(value) != int(float(value)):
                    raise ValueError
                raw[key] = int(float(value)) if kind is int else kind(value) if kind else value
            except (TypeError, ValueError):
                raise ConfigError(f"distill.{key} must be {fields[key].type}, got {value!r}") from None
        for key in ("sources", "focus_families"):
            if key in raw:
                raw[key] = tuple(raw[key])
        cfg = cls(**raw)
        if cfg.window_selection not in ("random", "max"):
            raise ConfigError(f"distill.window_selection must be random or max, got {cfg.window_selection!r}")
        if cfg.max_length < 10 or not 0 <= cfg.overlap < cfg.max_length - 2:
            raise ConfigError(f"distill: bad max_length/overlap {cfg.max_length}/{cfg.overlap}")
        if cfg.layers < 1 or cfg.steps < 1 or cfg.batch_size < 1 or cfg.temperature <= 0:
            raise ConfigError("distill: layers, steps, batch_size and temperature must be > 0")
        if cfg.focus_share is not None and not 0.0 <= cfg.focus_share <= 1.0:
            raise ConfigError(f"distill.focus_share must be in [0, 1], got {cfg.focus_share}")
        if cfg.homoglyphs is not None and cfg.homoglyphs not in ("all", "mixed"):
            raise ConfigError(f"distill.homoglyphs must be all or mixed, got {cfg.homoglyphs!r}")
        return cfg

    @property
    def content(self) -> int:
        return self.max_length - 2

    @property
    def stride(self) -> int:
        """Window stride, as the runtime computes it from ``max_length`` and ``overlap``."""
        return self.content - self.overlap


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() or p.exists() else REPO_ROOT / p


# ----------------------------------------------------------------------------- pool


def gather_pool(
    sources: Iterable[str | Path],
    *,
    caps: dict[str, int] | None = None,
    total_cap: int | None = None,
    seed: int = 13,
    focus_families: Sequence[str] = (),
    focus_share: float | None = None,
    homoglyphs: str = "all",
) -> list[str]:
    """Unlabeled train-role texts for distillation: normalised (as the Guard's detectors
    see them, with the student's ``homoglyphs`` fold), de-duplicated, in a seeded order.

    Only files whose name does not start with ``eval_`` and is not a validation split are
    read (a listed one raises ``ValueError``: a held-out set must never leak into a
    student); rows with a ``split`` column other than ``train`` are dropped; a missing
    source is skipped (the PII data build may not have run). ``caps`` maps a file's stem or
    path to a row cap; rows whose ``family`` matches a ``focus_families`` pattern are taken
    first, so a cap trims the other rows. With ``focus_share`` only that share of a capped
    source's rows is taken first from the focus rows; the other rows fill the rest, and focus
    rows past the share come last (when the other families run short).

    >>> gather_pool(["data/processed/injection/eval_jbb.parquet"])
    Traceback (most recent call last):
    ValueError: distillation pool must be train-role text, refusing data/processed/injection/eval_jbb.parquet
    """
    import pandas as pd
    import pyarrow.parquet as pq

    paths = [Path(s) for s in sources]
    for p in paths:
        if p.name.startswith("eval_") or p.stem in ("val", "test") or p.suffix != ".parquet":
            raise ValueError(f"distillation pool must be train-role text, refusing {p}")
    caps = caps or {}
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    out: list[str] = []
    for p in paths:
        full = _resolve(p)
        if not full.is_file():
            log.info("pool source %s absent, skipped", p)
            continue
        cols = pq.read_schema(full).names
        frame = pd.read_parquet(full, columns=[c for c in ("text", "split", "family") if c in cols])
        if "split" in frame.columns:
            frame = frame[frame["split"].astype(str) == "train"]
        texts = frame["text"].astype(str).tolist()
        cap = caps.get(str(p), caps.get(p.parent.name, caps.get(p.stem)))
        order = rng.permutation(len(texts))
        if focus_families and "family" in frame.columns:
            fam = frame["family"].astype(str).to_numpy()
            hit = np.array([any(fnmatch.fnmatchcase(f, pat) for pat in focus_families) for f in fam], bool)
            # a stable sort keeps the seeded order within the focus rows and within the rest
            order = order[np.argsort(~hit[order], kind="stable")]
            if focus_share is not None and cap is not None:
                n_hit = int(hit.sum())
                first = min(n_hit, int(round(float(focus_share) * int(cap))))
                order = np.concatenate([order[:first], order[n_hit:], order[first:n_hit]])
        kept = 0
        for i in order:
            if cap is not None and kept >= int(cap):
                break
            t = normalize(_SURROGATE.sub("\ufffd", texts[i]), homoglyphs=homoglyphs).text  # type: ignore[arg-type]
            if t.strip() and t not in seen:
                seen.add(t)
                out.append(t)
                kept += 1
        log.info("pool: %d texts from %s", kept, p)
    if total_cap is not None and len(out) > total_cap:
        out = [out[i] for i in sorted(rng.choice(len(out), size=int(total_cap), replace=False))]
    return out


# ----------------------------------------------------------------------------- teachers


@dataclasses.dataclass(frozen=True)
class Window:
    """One student window with its teacher targets.

    ``ids``/``case``: content tokens (no [CLS]/[SEP]); ``seq``: injection teacher logits;
    ``tok``: PII teacher log-probabilities per content token (float16).
    """

    ids: np.ndarray
    case: np.ndarray | None
    seq: np.ndarray
    tok: np.ndarray


class Teachers:
    """The two shipped teachers, through bastion's runtime detectors."""

    def __init__(self, injection_dir: str | Path, pii_dir: str | Path, *, threads: int | None = None) -> None:
        from bastion.detectors.onnx_classifier import OnnxInjectionDetector
        from bastion.detectors.onnx_ner import OnnxNERDetector

        self.injection_dir, self.pii_dir = _resolve(injection_dir), _resolve(pii_dir)
        self.inj = OnnxInjectionDetector.load(self.injection_dir, threads=threads)
        self.pii = OnnxNERDetector.load(self.pii_dir, threads=threads)
        self.tokenizer_json = self.pii_dir / "tokenizer.json"
        self.seq_labels = tuple(self.inj.model.manifest.labels)
        # the pool is folded as the PII teacher was trained (its targets are per token of that
        # text); an injection teacher with another fold re-reads each window in its own fold
        self.homoglyphs = str(getattr(self.pii, "homoglyphs", "all"))
        self.inj_homoglyphs = str(getattr(self.inj, "homoglyphs", "all"))
        self.tags = tuple(self.pii.tags)
        self.use_case = bool(self.pii.use_case)
        vi, vp = self.inj.model.tokenizer.get_vocab(), self.pii.model.tokenizer.get_vocab()
        self.same_vocab = vi == vp
        if not self.same_vocab:
            log.warning("teachers differ in vocabulary: injection targets come from re-tokenised window text")

    @property
    def versions(self) -> dict[str, str]:
        return {"injection": self.inj.version, "pii": self.pii.version}

    def fingerprint(self) -> str:
        return hashlib.sha256(
            json.dumps([self.versions, sorted(self.pii.model.manifest.files.items())]).encode()
        ).hexdigest()[:16]

    def _seq_logits(
        self, text: str, enc: Any, windows: Sequence[tuple[int, int]], view: str | None = None
    ) -> list[np.ndarray]:
        """Injection teacher logits per window. ``view``: the same text in the injection
        teacher's fold (folds map character to character, so the window offsets hold)."""
        inner = self.inj.model
        same_fold = self.inj_homoglyphs == self.homoglyphs
        if same_fold and self.same_vocab and all(e - s <= inner.content_length for s, e in windows):
            return [
                np.asarray(x, dtype=np.float32) for x in inner.run_rows([enc.ids[s:e] for s, e in windows])
            ]
        pos = self.seq_labels.index(INJECTION_LABEL)
        # one call for all windows of the text: the runtime scores each row alone, so batching
        # the call changes no score but saves the per-call overhead
        source = view if not same_fold and view is not None and len(view) == len(text) else text
        spans = [source[enc.offsets[s][0] : enc.offsets[e - 1][1]] for s, e in windows]
        if not same_fold:
            # exact from a view; without one, "all" still folds exactly what it would have
            spans = [normalize(t, homoglyphs=self.inj_homoglyphs).text for t in spans]  # type: ignore[arg-type]
        out = []
        for p, *_ in self.inj.scores(spans):
            p = min(max(p, _EPS), 1 - _EPS)
            logits = np.full(len(self.seq_labels), math.log((1 - p) / max(1, len(self.seq_labels) - 1)))
            logits[pos] = math.log(p)
            out.append(logits.astype(np.float32))
        return out

    def _margin(self, logits: np.ndarray) -> float:
        """The injection logit over the best other label: the window's ranking score."""
        pos = self.seq_labels.index(INJECTION_LABEL)
        return float(logits[pos] - np.delete(logits, pos).max())

    def targets(
        self,
        texts: Sequence[str],
        *,
        content: int,
        stride: int,
        max_windows: int,
        rng: np.random.Generator,
        batch: int = 64,
        selection: str = "random",
        views: Mapping[str, str] | None = None,
    ) -> list[Window]:
        """Student windows of ``texts`` with both teachers' targets (a long text keeps
        ``max_windows`` windows drawn with ``rng``; with ``selection="max"`` one of them is
        the window the injection teacher scores highest)."""
        per_text = self._targets(
            texts, content, stride, max_windows, lambda i, t: rng, batch, selection, views
        )
        return [w for windows in per_text for w in windows]

    def targets_by_text(
        self,
        texts: Sequence[str],
        *,
        content: int,
        stride: int,
        max_windows: int,
        seed: int,
        batch: int = 64,
        selection: str = "random",
        views: Mapping[str, str] | None = None,
    ) -> list[list[Window]]:
        """Per text, its windows with both teachers' targets. The windows a long text keeps
        are drawn with a generator seeded by ``seed`` and the text itself, so a text's
        targets never depend on the texts around it: a cache keyed by text stays valid when
        the pool changes (a data rebuild adds rows)."""

        def rng_of(_: int, text: str) -> np.random.Generator:
            return np.random.default_rng([seed, int(text_key(text)[:15], 16)])

        return self._targets(texts, content, stride, max_windows, rng_of, batch, selection, views)

    def _targets(
        self,
        texts: Sequence[str],
        content: int,
        stride: int,
        max_windows: int,
        rng_of: Any,
        batch: int,
        selection: str = "random",
        views: Mapping[str, str] | None = None,
    ) -> list[list[Window]]:
        out: list[list[Window]] = []
        views = views or {}
        t0 = time.monotonic()
        for start in range(0, len(texts), batch):
            chunk = list(texts[start : start + batch])
            for j, (text, (enc, probs)) in enumerate(zip(chunk, self.pii.token_probs(chunk), strict=True)):
                mine: list[Window] = []
                out.append(mine)
                windows = [(s, e) for s, e in sliding_windows(len(enc.ids), content, stride) if e > s]
                if not windows:
                    continue
                seqs: list[np.ndarray] | None = None
                if len(windows) > max_windows:
                    rng = rng_of(start + j, text)
                    if selection == "max":
                        seqs = self._seq_logits(text, enc, windows, views.get(text))
                        top = int(np.argmax([self._margin(q) for q in seqs]))
                        rest = [i for i in range(len(windows)) if i != top]
                        keep = sorted([top, *rng.choice(rest, max_windows - 1, replace=False).tolist()])
                        seqs = [seqs[i] for i in keep]
                    else:
                        keep = sorted(rng.choice(len(windows), max_windows, replace=False).tolist())
                    windows = [windows[i] for i in keep]
                cases = (
                    np.asarray(case_ids(text, enc.offsets, enc.word_ids), dtype=np.int8)
                    if self.use_case
                    else None
                )
                logp = np.log(np.clip(probs, _EPS, 1.0)).astype(np.float16)
                ids = np.asarray(enc.ids, dtype=np.int32)
                if seqs is None:
                    seqs = self._seq_logits(text, enc, windows, views.get(text))
                for (s, e), seq in zip(windows, seqs, strict=True):
                    mine.append(Window(ids[s:e], cases[s:e] if cases is not None else None, seq, logp[s:e]))
            if start // batch % 20 == 0:
                log.info(
                    "teacher targets: %d/%d texts, %.0fs",
                    start + len(chunk),
                    len(texts),
                    time.monotonic() - t0,
                )
        return out


def check_init_vocabulary(init: Path, tokenizer_json: Path) -> None:
    """``ConfigError`` unless the student's starting checkpoint ``init`` has the vocabulary of
    the PII teacher's ``tokenizer_json`` (the student tokenises with it): the same size of
    embedding table and, when ``init`` keeps its own ``tokenizer.json``, the same pieces."""
    from tokenizers import Tokenizer

    teacher = Tokenizer.from_file(str(tokenizer_json))
    size = int(json.loads((init / "config.json").read_text(encoding="utf-8"))["vocab_size"])
    own = init / "tokenizer.json"
    same = size == teacher.get_vocab_size() and (
        not own.is_file() or Tokenizer.from_file(str(own)).get_vocab() == teacher.get_vocab()
    )
    if not same:
        raise ConfigError(
            f"distill.init_from {init} has another vocabulary ({size} embeddings) than the PII teacher's "
            f"{tokenizer_json} ({teacher.get_vocab_size()} pieces): start from that teacher's own checkpoint "
            "(the recover_teachers stage rebuilds it from the shipped folder)"
        )


def text_key(text: str) -> str:
    """A text's key in the target cache.

    >>> text_key("abc")
    'a9993e364706816aba3e25717850c26c9cd0d89d'
    """
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def save_windows(
    path: Path,
    windows: Sequence[Window],
    key: str,
    owners: Sequence[int] | None = None,
    texts: Sequence[str] = (),
) -> None:
    """``windows`` under ``key``; ``owners[i]`` (optional) indexes the entry of ``texts``
    (text keys, see :func:`text_key`) that window ``i`` came from."""
    lengths = np.array([len(w.ids) for w in windows], dtype=np.int64)
    case = windows[0].case is not None if windows else False
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        key=np.array(key),
        lengths=lengths,
        ids=np.concatenate([w.ids for w in windows]) if windows else np.zeros(0, np.int32),
        case=np.concatenate([w.case for w in windows]) if case else np.zeros(0, np.int8),
        seq=np.stack([w.seq for w in windows]) if windows else np.zeros((0, 0), np.float32),
        tok=np.concatenate([w.tok for w in windows]) if windows else np.zeros((0, 0), np.float16),
        owners=np.asarray(owners if owners is not None else [], dtype=np.int64),
        texts=np.asarray(list(texts), dtype="<U40"),
    )


def load_windows(path: Path, key: str) -> list[Window] | None:
    """Windows saved by :func:`save_windows` under the same ``key``, else ``None``."""
    found = _load(path, key)
    return None if found is None else found[0]


def _load(path: Path, key: str) -> tuple[list[Window], np.ndarray, np.ndarray] | None:
    if not path.is_file():
        return None
    with np.load(path) as z:
        if str(z["key"]) != key:
            return None
        lengths, ids, case, seq, tok = (z[k] for k in ("lengths", "ids", "case", "seq", "tok"))
        owners = z["owners"] if "owners" in z.files else np.zeros(0, np.int64)
        texts = z["texts"] if "texts" in z.files else np.zeros(0, "<U40")
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    windows = [
        Window(ids[a:b], case[a:b] if len(case) else None, seq[i], tok[a:b])
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]
    return windows, owners, texts


def save_target_cache(path: Path, key: str, by_text: dict[str, list[Window]]) -> None:
    """Per-text teacher targets (text key → windows; a text with no window is kept too,
    so it is not labelled again)."""
    keys = list(by_text)
    windows = [w for k in keys for w in by_text[k]]
    owners = [i for i, k in enumerate(keys) for _ in by_text[k]]
    save_windows(path, windows, key, owners, keys)


def load_target_cache(path: Path, key: str) -> dict[str, list[Window]]:
    """What :func:`save_target_cache` wrote under ``key``; empty when absent, made under
    another key (other teachers or windows), or in the older flat format."""
    found = _load(path, key)
    if found is None or len(found[1]) != len(found[0]):
        return {}
    windows, owners, texts = found
    out: dict[str, list[Window]] = {str(t): [] for t in texts}
    for w, i in zip(windows, owners, strict=True):
        out[str(texts[i])].append(w)
    return out


# ----------------------------------------------------------------------------- student


class OnePassStudent(CaseEmbeddings, BertPreTrainedModel):
    """A BERT encoder with a sequence head (``seq_logits``) and a token head (``token_logits``).

    Label sets live in the config (``seq_labels``, ``token_labels``), as does
    ``use_case_features``, so ``from_pretrained`` rebuilds the same model.

    >>> cfg = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    ...                  intermediate_size=32, seq_labels=["BENIGN", "INJECTION"], token_labels=["O", "B-X"],
    ...                  use_case_features=True)
    >>> seq, tok, _ = OnePassStudent(cfg)(torch.ones((1, 5), dtype=torch.long), torch.ones((1, 5), dtype=torch.long))
    >>> tuple(seq.shape), tuple(tok.shape)
    ((1, 2), (1, 5, 2))
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.seq_labels = tuple(config.seq_labels)
        self.token_labels = tuple(config.token_labels)
        self.bert = BertModel(config, add_pooling_layer=True)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.seq_classifier = nn.Linear(config.hidden_size, len(self.seq_labels))
        self.token_classifier = nn.Linear(config.hidden_size, len(self.token_labels))
        self._add_case_embeddings(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        case_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...] | None]:
        embeds = self._case_embeds(input_ids, case_ids if self.use_case_features else None)
        out = self.bert(
            inputs_embeds=embeds, attention_mask=attention_mask, output_hidden_states=output_hidden_states
        )
        seq = self.seq_classifier(self.dropout(out.pooler_output))
        tok = self.token_classifier(self.dropout(out.last_hidden_state))
        return seq, tok, out.hidden_states


def _state_dict_of(folder: Path) -> dict[str, torch.Tensor]:
    st = folder / "model.safetensors"
    if st.is_file():
        from safetensors.torch import load_file

        return load_file(str(st))
    return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)


def build_student(
    init_from: str | Path,
    layers: int,
    seq_labels: Sequence[str],
    tags: Sequence[str],
    *,
    use_case_features: bool,
) -> tuple[OnePassStudent, dict[str, Any]]:
    """A student whose embeddings and first ``layers`` layers come from ``init_from``.

    Heads (and the case embedding) are copied too where ``init_from`` has ones that fit:
    a PII teacher checkpoint gives the token head, an injection one the pooler and
    sequence head. Returns the model and a report of what was copied.
    """
    folder = Path(init_from)
    base_cfg = BertConfig.from_pretrained(str(folder))
    if not 0 < layers <= base_cfg.num_hidden_layers:
        raise ValueError(f"layers must be in 1..{base_cfg.num_hidden_layers} for {folder}, got {layers}")
    cfg_dict = base_cfg.to_dict()
    for k in ("architectures", "id2label", "label2id", "num_labels", "_name_or_path", "use_case_features"):
        cfg_dict.pop(k, None)
    cfg = BertConfig(
        **{
            **cfg_dict,
            "num_hidden_layers": layers,
            "seq_labels": list(seq_labels),
            "token_labels": list(tags),
            "use_case_features": bool(use_case_features),
            "num_case_classes": NUM_CASE_CLASSES,
            "architectures": ["OnePassStudent"],
        }
    )
    model = OnePassStudent(cfg)
    src = _state_dict_of(folder)
    base_labels = list((base_cfg.id2label or {}).values())
    mapped: dict[str, torch.Tensor] = {}
    for k, v in src.items():
        # a bare BertModel checkpoint (the base encoder) has no "bert." prefix
        key = "bert." + k if k.startswith(("embeddings.", "encoder.", "pooler.")) else k
        m = re.match(r"bert\.encoder\.layer\.(\d+)\.", key)
        if m and int(m.group(1)) >= layers:
            continue
        if key == "classifier.weight" or key == "classifier.bias":
            if base_labels == list(tags):
                key = key.replace("classifier", "token_classifier")
            elif base_labels == list(seq_labels):
                key = key.replace("classifier", "seq_classifier")
            else:
                continue
        mapped[key] = v
    own = model.state_dict()
    fitting = {k: v for k, v in mapped.items() if k in own and own[k].shape == v.shape}
    missing, _ = model.load_state_dict(fitting, strict=False)
    encoder_missing = [k for k in missing if k.startswith("bert.") and "position_ids" not in k]
    if any(k.startswith(("bert.embeddings.", "bert.encoder.")) for k in encoder_missing):
        raise ValueError(f"{folder} lacks encoder weights the student needs: {encoder_missing[:5]}")
    if use_case_features and "case_embeddings.weight" not in fitting:
        with torch.no_grad():
            model.case_embeddings.weight.zero_()
    report = {
        "init_from": str(folder),
        "layers": layers,
        "copied": sorted({k.split(".")[0] if not k.startswith("bert.") else "encoder" for k in fitting}),
    }
    return model, report


def load_student(path: str | Path) -> OnePassStudent:
    """A student saved by :func:`distill` (``<out>/hf``)."""
    return OnePassStudent.from_pretrained(str(path), attn_implementation="eager")


# ----------------------------------------------------------------------------- training


def collate(
    windows: Sequence[Window], specials: tuple[int, int, int], n_tags: int
) -> dict[str, torch.Tensor]:
    """Pad windows into a batch with [CLS]/[SEP]; targets are zero (and masked) at specials."""
    cls_id, sep_id, pad_id = specials
    width = max(len(w.ids) for w in windows) + 2
    n = len(windows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    case = torch.zeros((n, width), dtype=torch.long)
    tok = torch.zeros((n, width, n_tags), dtype=torch.float32)
    content = torch.zeros((n, width), dtype=torch.bool)
    for i, w in enumerate(windows):
        k = len(w.ids)
        ids[i, 0], ids[i, k + 1] = cls_id, sep_id
        ids[i, 1 : k + 1] = torch.from_numpy(w.ids.astype(np.int64))
        mask[i, : k + 2] = 1
        if w.case is not None:
            case[i, 1 : k + 1] = torch.from_numpy(w.case.astype(np.int64))
        tok[i, 1 : k + 1] = torch.from_numpy(w.tok.astype(np.float32))
        content[i, 1 : k + 1] = True
    seq = torch.from_numpy(np.stack([w.seq for w in windows]).astype(np.float32))
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "case_ids": case,
        "seq": seq,
        "tok": tok,
        "content": content,
    }


def kl_terms(
    seq_logits: torch.Tensor,
    token_logits: torch.Tensor,
    batch: dict[str, torch.Tensor],
    temperature: float,
    attack_weight: float = 0.0,
    attack_index: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``T²·KL(teacher‖student)`` of the class distributions (mean over windows) and of the tag
    distributions (mean over content tokens). Teacher token targets are log-probabilities:
    dividing them by ``T`` and renormalising is the tempered teacher distribution.

    With ``attack_weight`` > 0 the sequence term is a weighted mean, window ``i`` weighing
    ``1 + attack_weight · p_teacher(attack_index | i)`` (untempered), so windows the teacher
    calls attacks pull harder than the many easy benign ones."""
    t = float(temperature)
    s_seq = F.log_softmax(seq_logits / t, dim=-1)
    t_seq = F.log_softmax(batch["seq"] / t, dim=-1)
    per_window = F.kl_div(s_seq, t_seq, log_target=True, reduction="none").sum(-1) * t * t
    if attack_weight > 0 and attack_index is not None:
        w = 1.0 + attack_weight * F.softmax(batch["seq"], dim=-1)[:, attack_index]
        seq_kl = (per_window * w).sum() / w.sum()
    else:
        seq_kl = per_window.mean()
    m = batch["content"]
    s_tok = F.log_softmax(token_logits[m] / t, dim=-1)
    t_tok = F.log_softmax(batch["tok"][m] / t, dim=-1)
    tok_kl = F.kl_div(s_tok, t_tok, log_target=True, reduction="sum") / max(1, int(m.sum())) * t * t
    return seq_kl, tok_kl


class HiddenTeacher:
    """A torch BERT checkpoint whose hidden states the student imitates (MSE)."""

    def __init__(self, folder: str | Path, student_layers: int, hidden: int) -> None:
        folder = _resolve(folder)
        cfg = BertConfig.from_pretrained(str(folder))
        if cfg.hidden_size != hidden:
            raise ValueError(f"hidden_teacher width {cfg.hidden_size} != student width {hidden}")
        if getattr(cfg, "use_case_features", False):
            from bastion_training.ner_model import load

            self.model, self.case = load(folder), True
        else:
            self.model, self.case = BertModel.from_pretrained(str(folder), add_pooling_layer=False), False
        self.model.eval()
        n = cfg.num_hidden_layers
        # student layer j (1-based) imitates teacher layer round(j * n / k); 0 is the embeddings
        self.pairs = [(j, round(j * n / student_layers)) for j in range(1, student_layers + 1)]

    @torch.no_grad()
    def states(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        kw = {"case_ids": batch["case_ids"]} if self.case else {}
        out = self.model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            output_hidden_states=True,
            **kw,
        )
        return out.hidden_states

    def mse(self, student_states: Sequence[torch.Tensor], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        teacher = self.states(batch)
        m = batch["attention_mask"].bool()
        return torch.stack([F.mse_loss(student_states[j][m], teacher[i][m]) for j, i in self.pairs]).mean()


def evaluate_kl(
    model: OnePassStudent,
    windows: Sequence[Window],
    specials: tuple[int, int, int],
    n_tags: int,
    temperature: float,
    batch_size: int = 64,
    attack_weight: float = 0.0,
    attack_index: int | None = None,
) -> dict[str, float]:
    """Held-out metrics, eval mode: mean sequence and token KL (at ``temperature``), the
    attack-weighted sequence KL (as in training), the cross-entropy on the teacher's verdict,
    and, over the windows the teacher calls attacks, the share the student calls attacks too
    (``attack_recall``; NaN when there are none)."""
    if not windows:
        nan = float("nan")
        return {"seq_kl": nan, "tok_kl": nan, "seq_kl_weighted": nan, "seq_ce": nan, "attack_recall": nan}
    was = model.training
    model.eval()
    seq_sum = tok_sum = wsum = wkl = ce_sum = 0.0
    hits = attacks = 0
    t = float(temperature)
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            chunk = windows[i : i + batch_size]
            b = collate(chunk, specials, n_tags)
            seq, tok, _ = model(b["input_ids"], b["attention_mask"], b["case_ids"])
            s, tk = kl_terms(seq, tok, b, temperature)
            seq_sum += float(s) * len(chunk)
            tok_sum += float(tk) * len(chunk)
            per = F.kl_div(
                F.log_softmax(seq / t, dim=-1),
                F.log_softmax(b["seq"] / t, dim=-1),
                log_target=True,
                reduction="none",
            ).sum(-1) * (t * t)
            verdict = b["seq"].argmax(dim=-1)
            if attack_index is not None:
                w = 1.0 + attack_weight * F.softmax(b["seq"], dim=-1)[:, attack_index]
                is_attack = verdict == attack_index
                attacks += int(is_attack.sum())
                hits += int((seq.argmax(dim=-1)[is_attack] == attack_index).sum())
            else:
                w = torch.ones_like(per)
            wkl += float((per * w).sum())
            wsum += float(w.sum())
            ce_sum += float(F.cross_entropy(seq, verdict, reduction="sum"))
    model.train(was)
    n = len(windows)
    return {
        "seq_kl": seq_sum / n,
        "tok_kl": tok_sum / n,
        "seq_kl_weighted": wkl / wsum,
        "seq_ce": ce_sum / n,
        "attack_recall": hits / attacks if attacks else float("nan"),
    }


def heldout_score(kl: dict[str, float], cfg: DistillConfig) -> float:
    """The training objective on held-out windows: the checkpoint with the lowest wins.

    With ``attack_weight`` / ``seq_hard_weight`` on, the score uses the same weighted
    sequence KL and verdict cross-entropy as the loss: c8 selected on the unweighted KL and
    so kept its starting point, discarding every step that traded average KL for attacks.

    >>> cfg = DistillConfig(seq_weight=2.0, token_weight=1.0)
    >>> heldout_score({"seq_kl": 0.1, "tok_kl": 0.2, "seq_kl_weighted": 0.5, "seq_ce": 1.0}, cfg)
    0.4
    >>> cfg = DistillConfig(seq_weight=2.0, token_weight=1.0, attack_weight=4.0, seq_hard_weight=0.5)
    >>> heldout_score({"seq_kl": 0.1, "tok_kl": 0.2, "seq_kl_weighted": 0.5, "seq_ce": 1.0}, cfg)
    1.7
    """
    seq = kl["seq_kl_weighted"] if cfg.attack_weight > 0 else kl["seq_kl"]
    score = cfg.seq_weight * seq + cfg.token_weight * kl["tok_kl"]
    if cfg.seq_hard_weight > 0:
        score += cfg.seq_hard_weight * kl["seq_ce"]
    return round(score, 12)


def length_bucketed(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """One epoch of batches in random order, each drawn from windows of similar length.

    Random batches pad every window to the longest of 32 (most pool texts are far shorter
    than a window), so a step cost what a batch of full windows costs; sorting a shuffled
    epoch in chunks of 50 batches keeps the batches mixed across sources while cutting the
    padding.

    >>> bs = length_bucketed(np.array([5, 50, 6, 49, 7, 48]), 2, np.random.default_rng(0))
    >>> sorted(sorted(int(x) for x in np.array([5, 50, 6, 49, 7, 48])[b]) for b in bs)
    [[5, 6], [7, 48], [49, 50]]
    """
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    out: list[list[int]] = []
    for i in range(0, len(order), chunk):
        part = order[i : i + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        out += [part[j : j + batch_size].tolist() for j in range(0, len(part), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def train_student(
    model: OnePassStudent,
    train: Sequence[Window],
    heldout: Sequence[Window],
    cfg: DistillConfig,
    specials: tuple[int, int, int],
    hidden_teacher: HiddenTeacher | None = None,
) -> dict[str, Any]:
    """Distil for ``cfg.steps`` steps or ``cfg.max_minutes``; keeps the weights with the
    lowest held-out objective (``heldout_score``, evaluated every ``eval_every`` steps and at
    the end)."""
    from transformers import get_linear_schedule_with_warmup

    if not train:
        raise ValueError("no training windows: is the pool empty?")
    n_tags = len(model.token_labels)
    attack_index = model.seq_labels.index(INJECTION_LABEL) if INJECTION_LABEL in model.seq_labels else None
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(cfg.warmup * cfg.steps), max(1, cfg.steps))
    T = cfg.temperature

    def score(kl: dict[str, float]) -> float:
        return heldout_score(kl, cfg)

    def held(m: OnePassStudent) -> dict[str, float]:
        return evaluate_kl(
            m, heldout, specials, n_tags, T, attack_weight=cfg.attack_weight, attack_index=attack_index
        )

    first = held(model)
    best = {"step": 0, **first, "score": score(first)}
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history: list[dict[str, float]] = [{"step": 0, **first}]
    lengths = np.array([len(w.ids) for w in train])
    batches: list[list[int]] = []
    t0 = time.monotonic()
    step = 0
    model.train()
    stopped = "steps"
    while step < cfg.steps:
        if time.monotonic() - t0 > cfg.max_minutes * 60:
            stopped = "max_minutes"
            break
        if not batches:
            batches = length_bucketed(lengths, cfg.batch_size, rng)
        b = collate([train[i] for i in batches.pop()], specials, n_tags)
        seq, tok, states = model(
            b["input_ids"], b["attention_mask"], b["case_ids"], hidden_teacher is not None
        )
        seq_kl, tok_kl = kl_terms(seq, tok, b, T, cfg.attack_weight, attack_index)
        loss = cfg.seq_weight * seq_kl + cfg.token_weight * tok_kl
        if cfg.seq_hard_weight > 0:
            loss = loss + cfg.seq_hard_weight * F.cross_entropy(seq, b["seq"].argmax(dim=-1))
        hid = None
        if hidden_teacher is not None and cfg.hidden_weight > 0:
            hid = hidden_teacher.mse(states, b)
            loss = loss + cfg.hidden_weight * hid
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        if step % cfg.eval_every == 0 or step == cfg.steps:
            kl = held(model)
            history.append(
                {
                    "step": step,
                    "train_loss": float(loss.detach()),
                    **kl,
                    **({"hidden_mse": float(hid.detach())} if hid is not None else {}),
                }
            )
            log.info(
                "step %d loss %.4f held-out seq KL %.4f (weighted %.4f) tok KL %.4f attack recall %.3f",
                step,
                float(loss.detach()),
                kl["seq_kl"],
                kl["seq_kl_weighted"],
                kl["tok_kl"],
                kl["attack_recall"],
            )
            if not heldout or score(kl) < best["score"]:
                best = {"step": step, **kl, "score": score(kl)}
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if history[-1]["step"] != step:
        kl = held(model)
        history.append({"step": step, **kl})
        if not heldout or score(kl) < best["score"]:
            best = {"step": step, **kl, "score": score(kl)}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    return {
        "steps": step,
        "stopped_by": stopped,
        "minutes": round((time.monotonic() - t0) / 60, 2),
        "initial": first,
        "best": best,
        "history": history,
    }


def _specials(tokenizer: Any) -> tuple[int, int, int]:
    """(cls, sep, pad) ids: BERT's [CLS]/[SEP]/[PAD] or XLM-R's <s>/</s>/<pad> (e5)."""
    from bastion_training.train_pii import special_ids

    return special_ids(tokenizer)


def distill(params: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The whole run: pool → teacher targets → student → ``out_dir/hf`` + summary."""
    cfg = DistillConfig.from_params(params)
    seed_everything(cfg.seed)
    torch.set_num_threads(max(1, cfg.threads))
    out_dir.mkdir(parents=True, exist_ok=True)
    teachers = Teachers(cfg.teachers["injection"], cfg.teachers["pii"], threads=cfg.threads)
    init = _resolve(cfg.init_from) if cfg.init_from else Path(base_model_path(params))
    # before hours of teacher targets: a student started from another vocabulary (a PII teacher
    # recovered before the shipped model changed) would read every id as the wrong piece
    check_init_vocabulary(init, teachers.tokenizer_json)
    fold = cfg.homoglyphs or teachers.homoglyphs
    if fold != teachers.homoglyphs:
        raise ConfigError(
            f"distill.homoglyphs {fold!r} differs from the PII teacher's fold {teachers.homoglyphs!r}: "
            "the per-token targets must be on the text the student sees"
        )
    pool = functools.partial(
        gather_pool,
        cfg.sources,
        caps=cfg.source_caps,
        total_cap=cfg.pool_cap,
        seed=cfg.seed,
        focus_families=cfg.focus_families,
        focus_share=cfg.focus_share,
    )
    views: dict[str, str] = {}
    if teachers.inj_homoglyphs == fold:
        texts = pool(homoglyphs=fold)
    else:
        # the injection teacher reads another fold: keep each text unfolded once, then make
        # the student's text and the injection teacher's view of it from that
        texts = []
        for raw in pool(homoglyphs="none"):
            t = normalize(raw, homoglyphs=fold).text  # type: ignore[arg-type]
            if t not in views:
                views[t] = normalize(raw, homoglyphs=teachers.inj_homoglyphs).text  # type: ignore[arg-type]
                texts.append(t)
    if not texts:
        raise ValueError(f"empty distillation pool from {list(cfg.sources)}")
    rng = np.random.default_rng(cfg.seed)
    n_held = min(len(texts) - 1, max(1, int(round(cfg.heldout * len(texts))))) if len(texts) > 1 else 0
    perm = rng.permutation(len(texts))
    held_texts = [texts[i] for i in sorted(perm[:n_held])]
    train_texts = [texts[i] for i in sorted(perm[n_held:])]
    # the cache is keyed by teachers and windowing, and holds targets per text: a changed
    # pool (a data rebuild) labels only its new texts
    key = hashlib.sha256(
        json.dumps(
            [
                "per-text-v1",
                teachers.fingerprint(),
                cfg.max_length,
                cfg.stride,
                cfg.max_windows_per_text,
                cfg.seed,
                # "random" adds nothing, so caches made before the option stay valid
                *([cfg.window_selection] if cfg.window_selection != "random" else []),
                # likewise "all" everywhere: the fold of every cache made before the option
                *(
                    [[fold, teachers.inj_homoglyphs]]
                    if (fold, teachers.inj_homoglyphs) != ("all", "all")
                    else []
                ),
            ]
        ).encode()
    ).hexdigest()
    cache = out_dir / "teacher_targets.npz"
    known = load_target_cache(cache, key) if cfg.cache_targets else {}
    keys = {t: text_key(t) for t in texts}
    todo = [t for t in texts if keys[t] not in known]
    log.info(
        "teacher targets: %d of %d pool texts cached, %d to label",
        len(texts) - len(todo),
        len(texts),
        len(todo),
    )
    if todo:
        t0 = time.monotonic()
        labelled = teachers.targets_by_text(
            todo,
            content=cfg.content,
            stride=cfg.stride,
            max_windows=cfg.max_windows_per_text,
            seed=cfg.seed,
            batch=cfg.teacher_batch,
            selection=cfg.window_selection,
            views=views,
        )
        known.update({keys[t]: w for t, w in zip(todo, labelled, strict=True)})
        log.info("teacher targets for %d texts in %.0fs", len(todo), time.monotonic() - t0)
        if cfg.cache_targets:
            save_target_cache(cache, key, {keys[t]: known[keys[t]] for t in texts})
    held = [w for t in held_texts for w in known[keys[t]]]
    train = [w for t in train_texts for w in known[keys[t]]]
    model, init_report = build_student(
        init, cfg.layers, teachers.seq_labels, teachers.tags, use_case_features=teachers.use_case
    )
    hidden = None
    if cfg.hidden_weight > 0:
        if not cfg.hidden_teacher:
            raise ValueError("distill.hidden_weight > 0 needs distill.hidden_teacher (an HF BERT folder)")
        hidden = HiddenTeacher(cfg.hidden_teacher, cfg.layers, model.config.hidden_size)
    specials = _specials(teachers.pii.model.tokenizer)
    result = train_student(model, train, held, cfg, specials, hidden)
    hf = out_dir / "hf"
    model.save_pretrained(hf)
    shutil.copyfile(teachers.tokenizer_json, hf / "tokenizer.json")
    summary = {
        "config": dataclasses.asdict(cfg),
        "max_length": cfg.max_length,
        "stride": cfg.stride,
        "layers": cfg.layers,
        "hidden_size": model.config.hidden_size,
        "seq_labels": list(teachers.seq_labels),
        "tags": list(teachers.tags),
        "case_features": teachers.use_case,
        "homoglyphs": fold,
        "init": init_report,
        "teachers": {
            "injection": {
                "path": str(cfg.teachers["injection"]),
                "version": teachers.inj.version,
                "thresholds": teachers.inj.thresholds,
            },
            "pii": {
                "path": str(cfg.teachers["pii"]),
                "version": teachers.pii.version,
                "thresholds": teachers.pii.thresholds,
            },
        },
        "tokenizer": "the PII teacher's tokenizer.json (student and PII teacher must tokenise alike)",
        "teachers_share_vocab": teachers.same_vocab,
        "pool": {
            "texts": len(texts),
            "train_windows": len(train),
            "heldout_windows": len(held),
            "sources": list(cfg.sources),
        },
        **result,
    }
    write_json(out_dir / "distill_summary.json", summary)
    # held-out pool texts: export measures fp32-vs-int8 parity on them (train-role text only)
    write_json(out_dir / "heldout_texts.json", held_texts[:500])
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--out", default=str(REPO_ROOT / "artifacts/onepass"))
    args = ap.parse_args(argv)
    log_progress()
    summary = distill(load_params(args.params), Path(args.out))
    log.info(
        "distilled %d layers in %d steps: held-out seq KL %.4f -> %.4f, tok KL %.4f -> %.4f",
        summary["layers"],
        summary["steps"],
        summary["initial"]["seq_kl"],
        summary["best"]["seq_kl"],
        summary["initial"]["tok_kl"],
        summary["best"]["tok_kl"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
