"""Fine-tune a base encoder (``train_injection.base``: ``minilm`` or ``e5``) as the
injection/jailbreak sequence classifier.

    python -m bastion_training.train_injection --params params.yaml [--base e5]

Reads ``data/processed/injection/{train,val}.parquet``; writes the best checkpoint
(by validation AUC) to ``artifacts/injection/hf`` and, to ``calibration.json``, the
temperature fitted on the validation logits (NLL) with ECE before/after, and the
operating points chosen on the temperature-scaled validation scores. Eval-only sets are
never read.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
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
from bastion_training.encoders import resolve_base
from bastion_training.metrics import binary_metrics, calibrate_thresholds, temperature_report


def length_bucketed_batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar-length rows: padding waste dominates CPU cost otherwise."""
    idx = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        batches += [list(part[j : j + batch_size]) for j in range(0, len(part), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def predict_logits(model, tok, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """(n, 2) logits, first window of each text (truncated to ``max_length``)."""
    import torch

    model.eval()
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), 2), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(texts), batch_size):
            ids = order[s : s + batch_size]
            enc = tok(
                [texts[i] for i in ids],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            out[ids] = model(**enc).logits.float().numpy()
    return out


def predict_proba(model, tok, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    return _softmax1(predict_logits(model, tok, texts, max_length, batch_size))


def _softmax1(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """P(class 1) of 2-class logits divided by ``temperature``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    return (1.0 / (1.0 + np.exp(z[:, 0] - z[:, 1]))).astype(np.float32)


def train(params: dict[str, Any], data_dir: Path, out_dir: Path) -> dict[str, Any]:
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    p = params["train_injection"]
    seed_everything(int(params.get("seed", 13)))
    torch.set_num_threads(int(p.get("threads", 2)))
    train_df = pd.read_parquet(data_dir / "train.parquet")
    val_df = pd.read_parquet(data_dir / "val.parquet")
    caps = p.get("family_caps") or {}
    if caps:
        # Cap over-represented families (BIPIA insertions reuse a few documents many times)
        # so the model does not learn "a table or e-mail with an odd line" as the concept.
        base_family = train_df["family"].astype(str).str.split("+").str[0]
        parts = []
        for fam, grp in train_df.groupby(base_family):
            cap = caps.get(fam)
            parts.append(
                grp.sample(n=cap, random_state=int(params.get("seed", 13))) if cap and len(grp) > cap else grp
            )
        train_df = pd.concat(parts).sort_index()
    if p.get("max_train_rows"):
        train_df = train_df.sample(
            n=min(len(train_df), int(p["max_train_rows"])), random_state=int(params.get("seed", 13))
        )
    # The runtime detector sees normalised text, so the model must be trained on it too.
    train_texts = [normalize(t).text for t in train_df["text"].astype(str)]
    val_texts = [normalize(t).text for t in val_df["text"].astype(str)]
    y_train = train_df["label"].astype(int).to_numpy()
    y_val = val_df["label"].astype(int).to_numpy()
    log.info("train %d rows (%.1f%% positive), val %d rows", len(y_train), 100 * y_train.mean(), len(y_val))

    base, base_desc = resolve_base(p, params)
    tok = AutoTokenizer.from_pretrained(base)
    # init_from: continue a fine-tuned checkpoint (with keep_layers: a shallower student
    # initialised from its first layers) instead of starting from the base encoder
    init = REPO_ROOT / p["init_from"] if p.get("init_from") else None
    if init is not None and not (init / "config.json").exists():
        raise SystemExit(f"train_injection.init_from={p['init_from']!r} has no checkpoint here")
    model = AutoModelForSequenceClassification.from_pretrained(
        init or base,
        num_labels=2,
        id2label={0: "BENIGN", 1: "INJECTION"},
        label2id={"BENIGN": 0, "INJECTION": 1},
    )
    if p.get("keep_layers"):
        keep_encoder_layers(model, int(p["keep_layers"]))
    max_length = int(p["max_length"])
    enc = tok(train_texts, truncation=True, max_length=max_length)
    lengths = [len(x) for x in enc["input_ids"]]

    pos = max(1, int(y_train.sum()))
    neg = max(1, len(y_train) - pos)
    weights = torch.tensor([len(y_train) / (2 * neg), len(y_train) / (2 * pos)], dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    bs = int(p["batch_size"])
    epochs = int(p["epochs"])
    steps_per_epoch = math.ceil(len(y_train) / bs)
    total = steps_per_epoch * epochs
    opt = torch.optim.AdamW(
        model.parameters(), lr=float(p["lr"]), weight_decay=float(p.get("weight_decay", 0.01))
    )
    sched = get_linear_schedule_with_warmup(opt, int(total * float(p.get("warmup", 0.06))), total)
    rng = np.random.default_rng(int(params.get("seed", 13)))
    eval_every = int(p.get("eval_every", steps_per_epoch))
    patience = int(p.get("patience", 2))
    budget_s = float(p.get("max_minutes", 1e9)) * 60
    best: dict[str, Any] = {"auc": -1.0}
    bad_evals = 0
    step = 0
    t0 = time.time()
    hf_dir = out_dir / "hf"
    stop = False
    tracker = (
        mlflow_run("injection", {"train_injection": p, "seed": params.get("seed")})
        if p.get("track", True)
        else contextlib.nullcontext(None)
    )
    with tracker as mlf:
        for epoch in range(epochs):
            model.train()
            for batch in length_bucketed_batches(lengths, bs, rng):
                feats = tok.pad(
                    {
                        "input_ids": [enc["input_ids"][i] for i in batch],
                        "attention_mask": [enc["attention_mask"][i] for i in batch],
                    },
                    return_tensors="pt",
                )
                logits = model(**feats).logits
                loss = loss_fn(logits, torch.tensor(y_train[batch]))
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
                if step % eval_every == 0 or step == total or over_budget:
                    val_logits = predict_logits(model, tok, val_texts, max_length)
                    probs = _softmax1(val_logits)
                    m = binary_metrics(y_val, probs)
                    log.info("eval step %d: %s", step, {k: round(v, 4) for k, v in m.items()})
                    if mlf:
                        mlf.log_metrics({f"val_{k}": v for k, v in m.items()}, step=step)
                    if (m["auc"], m["f1"]) > (best["auc"], best.get("f1", -1.0)):
                        best = {**m, "step": step, "epoch": epoch}
                        model.save_pretrained(hf_dir)
                        tok.save_pretrained(hf_dir)
                        np.save(out_dir / "val_probs.npy", probs)
                        np.save(out_dir / "val_logits.npy", val_logits)
                        bad_evals = 0
                    else:
                        bad_evals += 1
                    model.train()
                    if bad_evals >= patience or over_budget:
                        log.info("stopping: %s", "budget" if over_budget else "early stopping")
                        stop = True
                        break
            if stop:
                break
        # Temperature scaling on the best checkpoint's validation logits: the export folds
        # 1/T into the classifier head, so the operating points below are on scaled scores.
        val_logits = np.load(out_dir / "val_logits.npy")
        temp = temperature_report(val_logits, y_val)
        log.info("temperature on validation: %s", temp)
        probs = _softmax1(val_logits, temp["temperature"])
        thresholds = calibrate_thresholds(
            y_val,
            probs,
            target_fpr=float(p.get("strict_fpr", 0.01)),
            default_max_fpr=float(p.get("default_max_fpr", 0.03)),
        )
        summary = {
            "best": best,
            "thresholds": thresholds,
            "temperature": temp["temperature"],
            "calibration_val": temp,
            "base": str(p.get("base") or "minilm"),
            "base_model": base_desc,
            "max_length": max_length,
            "train_rows": int(len(y_train)),
            "val_rows": int(len(y_val)),
            "train_seconds": round(time.time() - t0, 1),
            "steps": step,
        }
        write_json(out_dir / "calibration.json", summary)
        if mlf:
            mlf.log_metrics({f"best_val_{k}": v for k, v in best.items() if isinstance(v, float)})
            mlf.log_metrics({f"val_{k}": float(v) for k, v in temp.items()})
            mlf.log_dict(summary, "calibration.json")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/injection"))
    ap.add_argument("--out", default=str(REPO_ROOT / "artifacts/injection"))
    ap.add_argument("--base", default=None, help="override train_injection.base (minilm, e5, e5-full)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    params = load_params(args.params)
    if args.base:
        params = {**params, "train_injection": {**params["train_injection"], "base": args.base}}
    summary = train(params, Path(args.data), Path(args.out))
    log.info("done: %s", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
