"""Fine-tune a base encoder (``train_pii.base``: ``minilm`` or ``e5``) as the PII token
classifier (BIO over ``NER_LABELS``), with case features for an uncased base.

    python -m bastion_training.train_pii --params params.yaml [--no-case-features] [--base e5]

Case features (``train_pii.case_features``) default to on for an uncased base (MiniLM
lowercases, so capitalisation must come in separately) and off for a cased one (e5).
After training, a temperature is fitted on the best checkpoint's validation token logits
(NLL) and stored in ``val_metrics.json``; the export folds it into the tagging head.

Reads ``data/processed/pii/{train,val}.parquet`` (never the ``eval_*`` files). Texts are
normalised exactly as the Guard does before detection and the spans are mapped through
it; long texts are cut into the runtime's sliding windows. Validation span F1 is
computed with the runtime's own window merging and BIO decoding
(:mod:`bastion.detectors.onnx_ner`). Writes the best checkpoint to
``artifacts/pii/hf`` (``artifacts/pii_nocase/hf`` for the ablation) and its validation
metrics to ``val_metrics.json`` next to it.
"""

from __future__ import annotations

import argparse
import bisect
import fnmatch
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.casefeatures import case_ids
from bastion.detectors.onnx_ner import SpanPrediction, decode_spans, merge_windows, sliding_windows
from bastion.errors import ConfigError
from bastion.labels import NER_LABELS, bio_tags
from bastion.normalize import Homoglyphs, normalize

from bastion_training.common import keep_encoder_layers, load_train_params, log, mlflow_run, seed_everything
from bastion_training.config import REPO_ROOT, TrainPIIParams, seed_of
from bastion_training.encoders import is_cased, resolve_base
from bastion_training.loop import Evaluation, finish_run, fit, focus_replay
from bastion_training.metrics import temperature_report
from bastion_training.spans import Span, span_scores

IGNORE = -100


@dataclass(frozen=True)
class Doc:
    """A normalised text with its gold spans (offsets into the normalised text)."""

    text: str
    spans: tuple[Span, ...]


def _as_spans(raw: Any) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    return [s for s in list(raw) if s is not None]


def normalise_doc(
    text: str,
    spans: Iterable[Mapping[str, Any]],
    labels: Sequence[str] = NER_LABELS,
    homoglyphs: Homoglyphs = "all",
) -> Doc:
    """Normalise ``text`` like the Guard (``homoglyphs``: the model's fold, see
    :func:`bastion.normalize.normalize`) and carry the gold spans over to the new offsets.

    >>> normalise_doc("Hi\u200b Ann", [{"start": 4, "end": 7, "label": "PERSON"}])
    Doc(text='Hi Ann', spans=(('PERSON', 3, 6),))
    """
    norm = normalize(text, homoglyphs=homoglyphs)
    out: list[Span] = []
    for sp in spans:
        s, e, label = int(sp["start"]), int(sp["end"]), str(sp["label"])
        if label not in labels or not 0 <= s < e <= len(text):
            continue
        if not norm.identity:
            # Normalised char i came from original [starts[i], ends[i]); keep the chars
            # wholly inside the original span.
            s, e = bisect.bisect_left(norm.starts, s), bisect.bisect_right(norm.ends, e)
        if e > s:
            out.append((label, s, e))
    return Doc(norm.text, tuple(sorted(out)))


def load_docs(
    path: Path,
    max_rows: int | None = None,
    seed: int = 13,
    *,
    focus_templates: Sequence[str] = (),
    replay_rows: int = 0,
    exclude_templates: Sequence[str] = (),
    homoglyphs: Homoglyphs = "all",
    upweight: Mapping[str, int] | None = None,
) -> list[Doc]:
    """The rows of one split as normalised docs: a seeded ``max_rows`` subset, or for a
    continuation round every row of the ``focus_templates`` patterns plus ``replay_rows`` others.
    Rows of the ``exclude_templates`` patterns are dropped first (a control round: the same
    continuation without a template batch); ``upweight`` then appends extra copies of the
    rows of a source or a ``source/lang`` (:func:`upweight_rows`)."""
    df = pd.read_parquet(path)
    if max_rows and len(df) > max_rows:
        df = df.sample(n=int(max_rows), random_state=seed)

    def matching(patterns: Sequence[str]) -> np.ndarray:
        ids = (
            df["template_id"].fillna("").astype(str) if "template_id" in df else pd.Series("", index=df.index)
        )
        return ids.map(lambda t: any(fnmatch.fnmatchcase(t, pat) for pat in patterns)).to_numpy(bool)

    if exclude_templates:
        df = df[~matching(exclude_templates)]
    if replay_rows:
        df = focus_replay(df, matching(focus_templates), replay_rows, seed)
    if upweight:
        df = upweight_rows(df, upweight)
    return [
        normalise_doc(str(t), _as_spans(s), homoglyphs=homoglyphs)
        for t, s in zip(df["text"], df["spans"], strict=True)
    ]


def upweight_rows(df: pd.DataFrame, upweight: Mapping[str, int]) -> pd.DataFrame:
    """``df`` followed by ``n`` extra copies of the rows of each ``source`` or
    ``source/lang`` key, in the mapping's order; a key that matches no row is an error
    (a typo would silently train the plain mix).

    >>> df = pd.DataFrame({"source": ["a", "b", "b"], "lang": ["en", "en", "de"], "x": [0, 1, 2]})
    >>> upweight_rows(df, {"b/de": 2, "a": 1})["x"].tolist()
    [0, 1, 2, 2, 2, 0]
    """
    parts = [df]
    for key, copies in upweight.items():
        source, _, lang = str(key).partition("/")
        hit = df["source"].astype(str) == source if "source" in df else pd.Series(False, index=df.index)
        if lang:
            hit &= df["lang"].astype(str) == lang if "lang" in df else False
        if not hit.any():
            raise ValueError(f"train_pii.upweight: no train row of {key!r}")
        parts += [df[hit]] * int(copies)
    return pd.concat(parts, ignore_index=True)


def token_tags(
    offsets: Sequence[tuple[int, int]], n_chars: int, spans: Sequence[Span], tag_index: Mapping[str, int]
) -> list[int]:
    """BIO tag id per token: a token belongs to the span covering most of its characters;
    ``B-`` for the first token of each span, ``I-`` for the rest.

    >>> idx = {t: i for i, t in enumerate(bio_tags(("PERSON",)))}
    >>> token_tags([(0, 2), (3, 6), (7, 10), (10, 11)], 11, [("PERSON", 3, 10)], idx)
    [0, 1, 2, 0]
    """
    owner = np.full(n_chars + 1, -1, dtype=np.int64)
    for k, (_, s, e) in enumerate(spans):
        owner[s:e] = k
    out: list[int] = []
    prev = -1
    for a, b in offsets:
        k = -1
        if b > a:
            counts = Counter(owner[a:b].tolist())
            k, c = counts.most_common(1)[0]
            if k >= 0 and 2 * c < b - a:
                k = -1
        if k < 0:
            out.append(tag_index["O"])
        else:
            label = spans[k][0]
            out.append(tag_index[("I-" if k == prev else "B-") + label])
        prev = k
    return out


@dataclass
class Encoded:
    ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int | None]
    case: list[int]


def encode_docs(tokenizer, texts: Sequence[str]) -> list[Encoded]:
    """Tokenize like the runtime (``tokenizers`` backend, no specials, no truncation)."""
    encs = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    return [
        Encoded(list(e.ids), list(e.offsets), list(e.word_ids), case_ids(t, e.offsets, e.word_ids))
        for t, e in zip(texts, encs, strict=True)
    ]


def content_offsets(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token offsets without the leading whitespace a SentencePiece ``▁`` piece carries (e5's
    " 4" covers the space), so a one-character word after a space is not outvoted by it.

    A piece that is only whitespace (e5 writes "Apt. 965" as "▁Ap", "t", ".", "▁", "965") keeps
    its offsets: emptied, it would be tagged O inside a span and split the span there.

    >>> content_offsets("call 4 now", [(0, 4), (4, 6), (6, 10)])
    [(0, 4), (5, 6), (7, 10)]
    >>> content_offsets("Apt. 965", [(0, 3), (3, 4), (4, 5), (5, 8)])
    [(0, 3), (3, 4), (4, 5), (5, 8)]
    """
    out = []
    for a, b in offsets:
        c = a
        while c < b and text[c].isspace():
            c += 1
        out.append((c, b) if c < b else (a, b))
    return out


def build_windows(
    docs: Sequence[Doc], encs: Sequence[Encoded], tags: Sequence[str], size: int, stride: int
) -> list[tuple[list[int], list[int], list[int]]]:
    """Training rows ``(content ids, case ids, tag ids)``, one per runtime window."""
    tag_index = {t: i for i, t in enumerate(tags)}
    rows = []
    for doc, enc in zip(docs, encs, strict=True):
        if not enc.ids:
            continue
        labels = token_tags(content_offsets(doc.text, enc.offsets), len(doc.text), doc.spans, tag_index)
        for s, e in sliding_windows(len(enc.ids), size, stride):
            rows.append((enc.ids[s:e], enc.case[s:e], labels[s:e]))
    return rows


def special_ids(tokenizer) -> tuple[int, int, int]:
    """(cls, sep, pad) ids of a ``tokenizers.Tokenizer``: BERT's [CLS]/[SEP]/[PAD] or
    XLM-R's <s>/</s>/<pad>, the same lookup the runtime does."""
    out = []
    for names in (("[CLS]", "<s>"), ("[SEP]", "</s>"), ("[PAD]", "<pad>")):
        ids = [tokenizer.token_to_id(n) for n in names]
        found = [i for i in ids if i is not None]
        if not found:
            raise ValueError(f"tokenizer lacks special token {names[0]} / {names[1]}")
        out.append(int(found[0]))
    return out[0], out[1], out[2]


def collate(
    rows: Sequence[tuple[list[int], list[int], list[int] | None]], cls_id: int, sep_id: int, pad_id: int
):
    """Pad content rows to a batch with [CLS]/[SEP]; case 0 and label IGNORE at specials/pad."""
    import torch

    width = max(len(r[0]) for r in rows) + 2
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    case = torch.zeros((n, width), dtype=torch.long)
    labels = torch.full((n, width), IGNORE, dtype=torch.long)
    for i, (r, c, y) in enumerate(rows):
        k = len(r)
        ids[i, 0], ids[i, k + 1] = cls_id, sep_id
        ids[i, 1 : k + 1] = torch.tensor(r, dtype=torch.long)
        mask[i, : k + 2] = 1
        case[i, 1 : k + 1] = torch.tensor(c, dtype=torch.long)
        if y is not None:
            labels[i, 1 : k + 1] = torch.tensor(y, dtype=torch.long)
    return ids, mask, case, labels


def predict_docs(
    model,
    tokenizer,
    texts: Sequence[str],
    tags: Sequence[str],
    size: int,
    stride: int,
    thresholds: dict[str, float] | None = None,
    batch_size: int = 64,
) -> list[list[SpanPrediction]]:
    """Spans per text from the torch model, with the runtime's windowing and decoding."""
    import torch

    encs = encode_docs(tokenizer, texts)
    ids = special_ids(tokenizer)
    jobs = [
        (ti, s, e)
        for ti, enc in enumerate(encs)
        for s, e in sliding_windows(len(enc.ids), size, stride)
        if e > s
    ]
    parts: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in texts]
    order = sorted(range(len(jobs)), key=lambda j: jobs[j][2] - jobs[j][1])
    use_case = bool(getattr(model, "use_case_features", False))
    model.eval()
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            chunk = [jobs[j] for j in order[b : b + batch_size]]
            rows = [(encs[ti].ids[s:e], encs[ti].case[s:e], None) for ti, s, e in chunk]
            x, mask, case, _ = collate(rows, *ids)
            kw = {"case_ids": case} if use_case else {}
            probs = torch.softmax(model(input_ids=x, attention_mask=mask, **kw).logits.float(), -1).numpy()
            for (ti, s, e), p in zip(chunk, probs, strict=True):
                parts[ti].append((s, e, p[1 : e - s + 1]))
    return [
        decode_spans(
            t, enc.offsets, enc.word_ids, merge_windows(len(enc.ids), len(tags), parts[i]), tags, thresholds
        )
        for i, (t, enc) in enumerate(zip(texts, encs, strict=True))
    ]


def val_token_logits(model, rows, specials, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(logits, tags) of every labelled content token of ``rows`` (validation windows)."""
    import torch

    use_case = bool(getattr(model, "use_case_features", False))
    model.eval()
    zs, ys = [], []
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            x, mask, case, y = collate([rows[i] for i in order[b : b + batch_size]], *specials)
            kw = {"case_ids": case} if use_case else {}
            logits = model(input_ids=x, attention_mask=mask, **kw).logits.float()
            keep = y != IGNORE
            zs.append(logits[keep].numpy())
            ys.append(y[keep].numpy())
    if not zs:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
    return np.concatenate(zs), np.concatenate(ys)


def evaluate(model, tokenizer, docs: Sequence[Doc], tags, size, stride, thresholds=None) -> dict[str, Any]:
    """Exact-match span scores of the model's spans on ``docs`` (the runtime's decoding)."""
    preds = predict_docs(model, tokenizer, [d.text for d in docs], tags, size, stride, thresholds)
    return span_scores([d.spans for d in docs], preds)


def _model(p: TrainPIIParams, base: Path, tags: Sequence[str], vocab: int, use_case_features: bool):
    """The tagger to fine-tune: the base encoder with a fresh head, or the ``init_from``
    checkpoint (a run cut short by its budget), which keeps its own case embedding."""
    from bastion_training.ner_model import from_base, load

    init = p.init_checkpoint()
    if init is None:
        model = from_base(base, tags, use_case_features=use_case_features)
    else:
        model = load(init)
        if model.config.vocab_size != vocab:
            raise ConfigError(
                f"train_pii.init_from={p.init_from!r} has a {model.config.vocab_size}-token vocabulary "
                f"but base {p.base} has {vocab}: set init_from: null to train from this base"
            )
    if p.keep_layers:
        keep_encoder_layers(model, p.keep_layers)
    return model


def train(
    params: dict[str, Any], data_dir: Path, out_dir: Path, *, use_case_features: bool | None = None
) -> dict[str, Any]:
    """Train and keep the best validation checkpoint; returns the summary written to
    ``val_metrics.json`` (the run's wall-clock time goes to ``timing.json``).
    ``use_case_features`` None: ``train_pii.case_features``, else on exactly when the base
    is uncased."""
    import torch
    from transformers import AutoTokenizer

    from bastion_training.ner_model import load as load_best

    p = TrainPIIParams.from_params(params)
    seed = seed_of(params)
    seed_everything(seed, p.threads)
    tags = bio_tags()
    size, stride = p.max_length - 2, p.window_stride
    thresholds = {"default": p.min_score}
    train_docs = load_docs(
        data_dir / "train.parquet",
        p.max_train_rows,
        seed,
        focus_templates=p.focus_templates,
        replay_rows=p.replay_rows,
        exclude_templates=p.exclude_templates,
        homoglyphs=p.homoglyphs,
        upweight=p.upweight,
    )
    val_docs = load_docs(data_dir / "val.parquet", p.max_val_rows, seed, homoglyphs=p.homoglyphs)
    base, base_desc = resolve_base(p, params)
    if use_case_features is None:
        cf = p.case_features
        use_case_features = (not is_cased(base)) if cf == "auto" else bool(cf)
    # a continuation keeps its checkpoint's tokenizer: a data rebuild re-trims the base's
    # vocabulary, and the checkpoint's embedding rows follow the vocabulary it was trained with
    init = p.init_checkpoint()
    hf_tok = AutoTokenizer.from_pretrained(init if init and (init / "tokenizer.json").exists() else base)
    tok = hf_tok.backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    specials = special_ids(tok)
    rows = build_windows(train_docs, encode_docs(tok, [d.text for d in train_docs]), tags, size, stride)
    label_counts = Counter(t for r in rows for t in r[2])
    log.info(
        "train %d docs -> %d windows, val %d docs; tags %s",
        len(train_docs),
        len(rows),
        len(val_docs),
        {tags[k]: v for k, v in sorted(label_counts.items())},
    )
    model = _model(p, base, tags, len(hf_tok), use_case_features)
    use_case_features = bool(model.use_case_features)
    weights = torch.ones(len(tags))
    weights[0] = p.o_weight
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=IGNORE)
    hf_dir = out_dir / "hf"

    def batch_loss(batch: list[int]):
        x, mask, case, y = collate([rows[i] for i in batch], *specials)
        kw = {"case_ids": case} if use_case_features else {}
        logits = model(input_ids=x, attention_mask=mask, **kw).logits
        return loss_fn(logits.reshape(-1, len(tags)), y.reshape(-1))

    def validate() -> Evaluation:
        m = evaluate(model, tok, val_docs, tags, size, stride, thresholds)
        per_label = {f"f1_{k}": v["f1"] for k, v in m["per_label"].items()}
        return Evaluation(
            (m["micro"]["f1"],), {**m["micro"], **per_label}, {**m["micro"], "per_label": m["per_label"]}
        )

    def save_best(_: Evaluation) -> None:
        model.save_pretrained(hf_dir)
        hf_tok.save_pretrained(hf_dir)

    run_params = {"train_pii": p.to_dict(), "seed": seed, "use_case_features": use_case_features}
    experiment = "pii_nocase" if not use_case_features and not is_cased(base) else "pii"
    with mlflow_run(experiment, run_params, enabled=p.track) as mlf:
        lengths = [len(r[0]) for r in rows]
        result = fit(
            model, p, lengths, batch_loss, validate, save_best, rng=np.random.default_rng(seed), tracker=mlf
        )
        # Temperature scaling on the best checkpoint's validation token logits (labelled
        # content tokens of the runtime windows); the export folds 1/T into the head.
        val_rows = build_windows(val_docs, encode_docs(tok, [d.text for d in val_docs]), tags, size, stride)
        z, y_tok = val_token_logits(load_best(hf_dir), val_rows, specials)
        temp = temperature_report(z, y_tok) if len(y_tok) else {"temperature": 1.0}
        log.info("temperature on validation tokens: %s", temp)
        summary = {
            "best": result.best,
            "temperature": temp["temperature"],
            "calibration_val": temp,
            "base": p.base,
            "max_length": p.max_length,
            "stride": stride,
            "case_features": use_case_features,
            "homoglyphs": p.homoglyphs,
            "thresholds": thresholds,
            "tags": list(tags),
            "train_docs": len(train_docs),
            "train_windows": len(rows),
            "val_docs": len(val_docs),
            "steps": result.steps,
            "base_model": base_desc,
            "base_model_dir": str(base),
        }
        return finish_run(out_dir, "val_metrics.json", summary, result, temp, mlf)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/pii"))
    ap.add_argument(
        "--out", default=None, help="default artifacts/pii (artifacts/pii_nocase with --no-case-features)"
    )
    ap.add_argument(
        "--no-case-features", action="store_true", help="ablation: train without the case_ids input"
    )
    ap.add_argument("--base", default=None, help="override train_pii.base (minilm, e5, e5-full)")
    args = ap.parse_args(argv)
    params = load_train_params(args.params, "train_pii", args.base)
    use_case = False if args.no_case_features else None
    if args.no_case_features:
        # The ablation's own overrides (a shorter budget), same data and seed.
        params = {**params, "train_pii": TrainPIIParams.from_params(params).with_ablation().to_dict()}
    out = (
        Path(args.out)
        if args.out
        else REPO_ROOT / ("artifacts/pii_nocase" if args.no_case_features else "artifacts/pii")
    )
    summary = train(params, Path(args.data), out, use_case_features=use_case)
    log.info("done: %s", {k: v for k, v in summary.items() if k != "tags"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
