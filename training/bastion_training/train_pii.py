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
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.casefeatures import case_ids
from bastion.detectors.onnx_ner import SpanPrediction, decode_spans, merge_windows, sliding_windows
from bastion.labels import NER_LABELS, bio_tags
from bastion.normalize import normalize

from bastion_training.common import (
    REPO_ROOT,
    keep_encoder_layers,
    load_params,
    log,
    mlflow_run,
    seed_everything,
    write_json,
)
from bastion_training.encoders import is_cased, resolve_base
from bastion_training.metrics import temperature_report
from bastion_training.train_injection import length_bucketed_batches

IGNORE = -100
Span = tuple[int, int, str]


@dataclass(frozen=True)
class Doc:
    """A normalised text with its gold spans (offsets into the normalised text)."""

    text: str
    spans: tuple[Span, ...]


def _as_spans(raw: Any) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    return [s for s in list(raw) if s is not None]


def normalise_doc(text: str, spans: Iterable[Mapping[str, Any]], labels: Sequence[str] = NER_LABELS) -> Doc:
    """Normalise ``text`` like the Guard and carry the gold spans over to the new offsets.

    >>> normalise_doc("Hi\u200b Ann", [{"start": 4, "end": 7, "label": "PERSON"}])
    Doc(text='Hi Ann', spans=((3, 6, 'PERSON'),))
    """
    norm = normalize(text)
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
            out.append((s, e, label))
    return Doc(norm.text, tuple(sorted(out)))


def load_docs(path: Path, max_rows: int | None = None, seed: int = 13) -> list[Doc]:
    df = pd.read_parquet(path, columns=["text", "spans"])
    if max_rows and len(df) > max_rows:
        df = df.sample(n=int(max_rows), random_state=seed)
    return [normalise_doc(str(t), _as_spans(s)) for t, s in zip(df["text"], df["spans"], strict=True)]


def token_tags(
    offsets: Sequence[tuple[int, int]], n_chars: int, spans: Sequence[Span], tag_index: Mapping[str, int]
) -> list[int]:
    """BIO tag id per token: a token belongs to the span covering most of its characters;
    ``B-`` for the first token of each span, ``I-`` for the rest.

    >>> idx = {t: i for i, t in enumerate(bio_tags(("PERSON",)))}
    >>> token_tags([(0, 2), (3, 6), (7, 10), (10, 11)], 11, [(3, 10, "PERSON")], idx)
    [0, 1, 2, 0]
    """
    owner = np.full(n_chars + 1, -1, dtype=np.int64)
    for k, (s, e, _) in enumerate(spans):
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
            label = spans[k][2]
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


def build_windows(
    docs: Sequence[Doc], encs: Sequence[Encoded], tags: Sequence[str], size: int, stride: int
) -> list[tuple[list[int], list[int], list[int]]]:
    """Training rows ``(content ids, case ids, tag ids)``, one per runtime window."""
    tag_index = {t: i for i, t in enumerate(tags)}
    rows = []
    for doc, enc in zip(docs, encs, strict=True):
        if not enc.ids:
            continue
        labels = token_tags(enc.offsets, len(doc.text), doc.spans, tag_index)
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


def span_prf(
    gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]], labels: Sequence[str] = NER_LABELS
) -> dict[str, Any]:
    """Exact-match span precision/recall/F1, micro over all labels and per label.

    >>> m = span_prf([[(0, 3, "PERSON")]], [[(0, 3, "PERSON"), (5, 7, "LOCATION")]])
    >>> round(m["micro"]["precision"], 2), m["per_label"]["PERSON"]["f1"]
    (0.5, 1.0)
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        for s in gs & ps:
            tp[s[2]] += 1
        for s in ps - gs:
            fp[s[2]] += 1
        for s in gs - ps:
            fn[s[2]] += 1

    def prf(t: int, f_p: int, f_n: int) -> dict[str, float]:
        prec = t / (t + f_p) if t + f_p else 0.0
        rec = t / (t + f_n) if t + f_n else 0.0
        return {
            "precision": prec,
            "recall": rec,
            "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
            "support": t + f_n,
        }

    per = {lab: prf(tp[lab], fp[lab], fn[lab]) for lab in labels if tp[lab] + fp[lab] + fn[lab]}
    return {"micro": prf(sum(tp.values()), sum(fp.values()), sum(fn.values())), "per_label": per}


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
    preds = predict_docs(model, tokenizer, [d.text for d in docs], tags, size, stride, thresholds)
    return span_prf([d.spans for d in docs], [[(p.start, p.end, p.label) for p in ps] for ps in preds])


def train(
    params: dict[str, Any], data_dir: Path, out_dir: Path, *, use_case_features: bool | None = None
) -> dict[str, Any]:
    """Train and keep the best validation checkpoint; returns the summary written to
    ``val_metrics.json``. ``use_case_features`` None: ``train_pii.case_features``, else
    on exactly when the base is uncased."""
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from bastion_training.ner_model import from_base

    p = params["train_pii"]
    seed = int(params.get("seed", 13))
    seed_everything(seed)
    torch.set_num_threads(int(p.get("threads", 1)))
    tags = bio_tags()
    max_length = int(p.get("max_length", 128))
    size = max_length - 2
    stride = int(p.get("stride") or size // 2)
    thresholds = {"default": float(p.get("min_score", 0.5))}

    train_docs = load_docs(data_dir / "train.parquet", p.get("max_train_rows"), seed)
    val_docs = load_docs(data_dir / "val.parquet", p.get("max_val_rows"), seed)
    base, base_desc = resolve_base(p, params)
    if use_case_features is None:
        cf = p.get("case_features", "auto")
        use_case_features = (not is_cased(base)) if cf in (None, "auto") else bool(cf)
    hf_tok = AutoTokenizer.from_pretrained(base)
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

    if p.get("init_from"):
        # Continue from an earlier fine-tuned checkpoint (e.g. a run cut short by its time
        # budget), keeping its learned case embedding.
        from bastion_training.ner_model import load as load_checkpoint

        init = REPO_ROOT / p["init_from"]
        if not (init / "config.json").exists():
            raise SystemExit(
                f"train_pii.init_from={p['init_from']!r} has no checkpoint here; set it to null in "
                "params.yaml to train from the base model instead"
            )
        model = load_checkpoint(init)
        use_case_features = bool(model.use_case_features)
        if model.config.vocab_size != len(hf_tok):
            raise SystemExit(
                f"train_pii.init_from={p['init_from']!r} has a {model.config.vocab_size}-token vocabulary "
                f"but base {p.get('base') or 'minilm'} has {len(hf_tok)}: set init_from: null to train "
                "from this base"
            )
    else:
        model = from_base(base, tags, use_case_features=use_case_features)
    if p.get("keep_layers"):
        keep_encoder_layers(model, int(p["keep_layers"]))
    weights = torch.ones(len(tags))
    weights[0] = float(p.get("o_weight", 1.0))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=IGNORE)
    bs = int(p.get("batch_size", 16))
    epochs = int(p.get("epochs", 3))
    steps_per_epoch = math.ceil(len(rows) / bs)
    total = max(1, steps_per_epoch * epochs)
    if p.get("max_steps"):
        total = min(total, int(p["max_steps"]))
    opt = torch.optim.AdamW(
        model.parameters(), lr=float(p.get("lr", 5e-5)), weight_decay=float(p.get("weight_decay", 0.01))
    )
    sched = get_linear_schedule_with_warmup(opt, int(total * float(p.get("warmup", 0.06))), total)
    rng = np.random.default_rng(seed)
    eval_every = int(p.get("eval_every", steps_per_epoch))
    patience = int(p.get("patience", 3))
    budget_s = float(p.get("max_minutes", 1e9)) * 60
    lengths = [len(r[0]) for r in rows]
    best: dict[str, Any] = {"f1": -1.0}
    bad_evals, step, t0 = 0, 0, time.time()
    hf_dir = out_dir / "hf"
    stop = False
    run_params = {"train_pii": p, "seed": seed, "use_case_features": use_case_features}
    tracker = (
        mlflow_run("pii_nocase" if not use_case_features and not is_cased(base) else "pii", run_params)
        if p.get("track", True)
        else contextlib.nullcontext()
    )
    with tracker as mlf:
        for epoch in range(epochs):
            model.train()
            for batch in length_bucketed_batches(lengths, bs, rng):
                x, mask, case, y = collate([rows[i] for i in batch], *specials)
                kw = {"case_ids": case} if use_case_features else {}
                logits = model(input_ids=x, attention_mask=mask, **kw).logits
                loss = loss_fn(logits.reshape(-1, len(tags)), y.reshape(-1))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                if step % 50 == 0:
                    log.info(
                        "epoch %d step %d/%d loss %.4f (%.0fs)",
                        epoch,
                        step,
                        total,
                        loss.item(),
                        time.time() - t0,
                    )
                    if mlf:
                        mlf.log_metric("train_loss", float(loss.item()), step=step)
                over_budget = time.time() - t0 > budget_s
                if step % eval_every == 0 or step >= total or over_budget:
                    m = evaluate(model, tok, val_docs, tags, size, stride, thresholds)
                    micro = m["micro"]
                    log.info(
                        "eval step %d: micro %s; per label f1 %s",
                        step,
                        {k: round(v, 4) for k, v in micro.items()},
                        {k: round(v["f1"], 3) for k, v in m["per_label"].items()},
                    )
                    if mlf:
                        mlf.log_metrics({f"val_{k}": float(v) for k, v in micro.items()}, step=step)
                        mlf.log_metrics(
                            {f"val_f1_{k}": v["f1"] for k, v in m["per_label"].items()}, step=step
                        )
                    if micro["f1"] > best["f1"]:
                        best = {**micro, "per_label": m["per_label"], "step": step, "epoch": epoch}
                        model.save_pretrained(hf_dir)
                        hf_tok.save_pretrained(hf_dir)
                        bad_evals = 0
                    else:
                        bad_evals += 1
                    model.train()
                    if bad_evals >= patience or over_budget or step >= total:
                        log.info(
                            "stopping: %s",
                            "budget"
                            if over_budget
                            else "early stopping"
                            if bad_evals >= patience
                            else "done",
                        )
                        stop = True
                        break
            if stop:
                break
        # Temperature scaling on the best checkpoint's validation token logits (labelled
        # content tokens of the runtime windows); the export folds 1/T into the head.
        from bastion_training.ner_model import load as load_best

        val_rows = build_windows(val_docs, encode_docs(tok, [d.text for d in val_docs]), tags, size, stride)
        z, y_tok = val_token_logits(load_best(hf_dir), val_rows, specials)
        temp = temperature_report(z, y_tok) if len(y_tok) else {"temperature": 1.0}
        log.info("temperature on validation tokens: %s", temp)
        summary = {
            "best": best,
            "temperature": temp["temperature"],
            "calibration_val": temp,
            "base": str(p.get("base") or "minilm"),
            "max_length": max_length,
            "stride": stride,
            "case_features": use_case_features,
            "thresholds": thresholds,
            "tags": list(tags),
            "train_docs": len(train_docs),
            "train_windows": len(rows),
            "val_docs": len(val_docs),
            "train_seconds": round(time.time() - t0, 1),
            "steps": step,
            "base_model": base_desc,
            "base_model_dir": str(base),
        }
        write_json(out_dir / "val_metrics.json", summary)
        if mlf:
            mlf.log_metrics({f"best_val_{k}": float(v) for k, v in best.items() if isinstance(v, float)})
            mlf.log_metrics({f"val_{k}": float(v) for k, v in temp.items()})
            mlf.log_dict(summary, "val_metrics.json")
    return summary


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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    params = load_params(args.params)
    if args.base:
        params = {**params, "train_pii": {**params["train_pii"], "base": args.base}}
    use_case = False if args.no_case_features else None
    if args.no_case_features and params["train_pii"].get("ablation"):
        # The ablation's own overrides (a shorter budget), same data and seed.
        params = {**params, "train_pii": {**params["train_pii"], **params["train_pii"]["ablation"]}}
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
