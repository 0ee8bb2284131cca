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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.detectors.payloads import classifier_view
from bastion.normalize import normalize

from bastion_training.common import keep_encoder_layers, load_train_params, log, mlflow_run, seed_everything
from bastion_training.config import REPO_ROOT, TrainInjectionParams, seed_of
from bastion_training.encoders import resolve_base
from bastion_training.loop import Evaluation, finish_run, fit, focus_replay
from bastion_training.metrics import binary_metrics, by_origin, calibrate_thresholds, temperature_report


def text_windows(
    n: int, size: int, cap: int, rng: np.random.Generator | None = None
) -> list[tuple[int, int]]:
    """Content windows ``[a, b)`` of at most ``size`` tokens over ``n`` tokens, overlapping by
    half (as the runtime's sliding windows do); at most ``cap`` of them: the first, the last
    and random others (``rng``) or evenly spaced ones (no ``rng``).

    >>> text_windows(10, 4, 8)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    >>> text_windows(3, 4, 8)
    [(0, 3)]
    """
    if n <= size:
        return [(0, n)]
    stride = max(1, size // 2)
    starts = list(range(0, n - size + 1, stride))
    if starts[-1] != n - size:
        starts.append(n - size)
    if len(starts) > cap:
        inner = starts[1:-1]
        k = max(0, cap - 2)
        if rng is not None:
            pick = sorted(rng.choice(len(inner), size=k, replace=False).tolist()) if k else []
        else:
            pick = [round((j + 1) * (len(inner) - 1) / (k + 1)) for j in range(k)]
        starts = [starts[0], *[inner[i] for i in pick], starts[-1]]
    return [(a, a + size) for a in starts]


def _window_rows(tok, content: list[list[int]], max_length: int, cap: int, rng=None):
    """Model inputs for every window of every text, and the text each belongs to."""
    size = max_length - tok.num_special_tokens_to_add(pair=False)
    rows, owner = [], []
    for i, ids in enumerate(content):
        for a, b in text_windows(len(ids), size, cap, rng):
            rows.append(tok.build_inputs_with_special_tokens(ids[a:b]))
            owner.append(i)
    return rows, owner


def _forward(model, tok, rows: list[list[int]], batch_size: int) -> np.ndarray:
    import torch

    out = np.zeros((len(rows), 2), dtype=np.float32)
    order = np.argsort([len(r) for r in rows])
    with torch.inference_mode():
        for s in range(0, len(rows), batch_size):
            ids = order[s : s + batch_size]
            feats = tok.pad(
                {"input_ids": [rows[i] for i in ids], "attention_mask": [[1] * len(rows[i]) for i in ids]},
                return_tensors="pt",
            )
            out[ids] = model(**feats).logits.float().numpy()
    return out


def max_window_logits(
    model, tok, content: list[list[int]], max_length: int, cap: int, batch_size: int = 64
) -> tuple[np.ndarray, list[int]]:
    """(n, 2) logits of each text's highest-scoring window (the runtime's max over windows),
    and that window's index among the text's windows."""
    model.eval()
    rows, owner = _window_rows(tok, content, max_length, cap)
    logits = _forward(model, tok, rows, batch_size)
    margin = logits[:, 1] - logits[:, 0]
    out = np.zeros((len(content), 2), dtype=np.float32)
    best = [-1] * len(content)
    best_m = np.full(len(content), -np.inf)
    seen = [0] * len(content)
    for r, i in enumerate(owner):
        if margin[r] > best_m[i]:
            best_m[i], best[i], out[i] = margin[r], seen[i], logits[r]
        seen[i] += 1
    return out, best


def predict_logits(
    model, tok, texts: list[str], max_length: int, batch_size: int = 64, cap: int = 1
) -> np.ndarray:
    """(n, 2) logits: the first window of each text (``cap=1``), or the highest-scoring of up
    to ``cap`` windows (what the runtime does with its sliding windows)."""
    content = tok(texts, add_special_tokens=False, truncation=False)["input_ids"]
    return max_window_logits(model, tok, content, max_length, cap, batch_size)[0]


def predict_proba(model, tok, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    return _softmax1(predict_logits(model, tok, texts, max_length, batch_size))


def _softmax1(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """P(class 1) of 2-class logits divided by ``temperature``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    return (1.0 / (1.0 + np.exp(z[:, 0] - z[:, 1]))).astype(np.float32)


def _train_inputs(model, tok, content: list[list[int]], size: int, cap: int, rng) -> list[list[int]]:
    """One window per row: the only one, or (``cap`` > 1) the one the model scores highest."""
    chosen: list[list[int] | None] = [None] * len(content)
    long_rows = []
    for k, ids in enumerate(content):
        if len(ids) <= size or cap <= 1:
            chosen[k] = tok.build_inputs_with_special_tokens(ids[:size])
        else:
            long_rows.append(k)
    if long_rows:
        sub = [content[k] for k in long_rows]
        wins = [text_windows(len(ids), size, cap, rng) for ids in sub]
        rows = [
            tok.build_inputs_with_special_tokens(ids[a:b])
            for ids, w in zip(sub, wins, strict=True)
            for a, b in w
        ]
        was_training = model.training
        model.eval()
        logits = _forward(model, tok, rows, 32)
        if was_training:
            model.train()
        margin = logits[:, 1] - logits[:, 0]
        r = 0
        for k, w in zip(long_rows, wins, strict=True):
            j = int(np.argmax(margin[r : r + len(w)]))
            chosen[k] = rows[r + j]
            r += len(w)
    return chosen  # type: ignore[return-value]


def row_weights(labels: np.ndarray, sources: Sequence[str] | None = None) -> np.ndarray:
    """Per-row loss weights: the two classes weigh the same in total and, with ``sources``,
    within every source that has both labels too (a one-label source keeps its class weight).

    >>> row_weights(np.array([1, 1, 1, 0]), ["bipia", "bipia", "bipia", "bipia"]).round(3).tolist()
    [0.667, 0.667, 0.667, 2.0]
    >>> row_weights(np.array([1, 0, 0, 0])).round(3).tolist()
    [2.0, 0.667, 0.667, 0.667]
    """
    y = np.asarray(labels).astype(int)
    n = len(y)
    pos = max(1, int(y.sum()))
    neg = max(1, n - pos)
    w = np.where(y == 1, n / (2 * pos), n / (2 * neg)).astype(np.float64)
    if sources is None:
        return w
    src = np.asarray(sources, dtype=object)
    for s in np.unique(src):
        m = src == s
        k = int(m.sum())
        kp = int(y[m].sum())
        if 0 < kp < k:
            # the source keeps its total weight, split evenly between its two labels
            total = w[m].sum()
            w[m & (y == 1)] = total / (2 * kp)
            w[m & (y == 0)] = total / (2 * (k - kp))
    return w


def _frames(p: TrainInjectionParams, seed: int, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The train and validation rows after ``family_caps``, ``max_train_rows`` and
    ``max_val_rows`` (fixed, seeded subsets)."""
    train_df = pd.read_parquet(data_dir / "train.parquet")
    val_df = pd.read_parquet(data_dir / "val.parquet")
    if p.mined:
        mined = pd.read_parquet(data_dir / "mined.parquet")
        train_df = pd.concat(
            [train_df, mined[train_df.columns.intersection(mined.columns)]], ignore_index=True
        )
    focus = train_df["family"].isin([*p.focus_families, "mined_hard_negative"]).to_numpy()
    train_df = focus_replay(train_df, focus, p.replay_rows, seed)
    if p.max_val_rows and len(val_df) > p.max_val_rows:
        # a fixed, seeded subset keeps periodic evaluation affordable; the export recalibrates
        # the operating points on the whole validation split through the int8 runtime
        val_df = val_df.sample(n=p.max_val_rows, random_state=seed)
    if p.family_caps:
        # Cap over-represented families (BIPIA insertions reuse a few documents many times)
        # so the model does not learn "a table or e-mail with an odd line" as the concept.
        base_family = train_df["family"].astype(str).str.split("+").str[0]
        parts = []
        for fam, grp in train_df.groupby(base_family):
            cap = p.family_caps.get(fam)
            parts.append(grp.sample(n=cap, random_state=seed) if cap and len(grp) > cap else grp)
        train_df = pd.concat(parts).sort_index()
    if p.max_train_rows:
        train_df = train_df.sample(n=min(len(train_df), p.max_train_rows), random_state=seed)
    return train_df, val_df


def _model(p: TrainInjectionParams, base: Path):
    """The classifier to fine-tune: the base encoder with a fresh 2-class head, or the
    ``init_from`` checkpoint (with ``keep_layers``: a shallower student of it)."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        p.init_checkpoint() or base,
        num_labels=2,
        id2label={0: "BENIGN", 1: "INJECTION"},
        label2id={"BENIGN": 0, "INJECTION": 1},
    )
    if p.keep_layers:
        keep_encoder_layers(model, p.keep_layers)
    return model


def model_view(text: str, p: TrainInjectionParams) -> str:
    """A training text as the runtime classifier reads it: normalised with the run's fold,
    encoded runs masked when ``mask_payloads`` says so.

    >>> model_view("token: J2G8W8IrYoG6YV74PXVO5lXa8PEPTvH4efAbU9i6",
    ...            TrainInjectionParams(max_length=128, batch_size=8, epochs=1, lr=1e-4, mask_payloads=True))
    'token: <base64>'
    """
    text = normalize(text, homoglyphs=p.homoglyphs).text
    return classifier_view(text, p.homoglyphs).text if p.mask_payloads else text


def train(params: dict[str, Any], data_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Fine-tune, keep the best validation checkpoint in ``out_dir/hf``, fit the temperature
    and the operating points; returns the summary written to ``calibration.json`` (the
    run's wall-clock time goes to ``timing.json``)."""
    import torch
    from transformers import AutoTokenizer

    p = TrainInjectionParams.from_params(params)
    seed = seed_of(params)
    seed_everything(seed, p.threads)
    train_df, val_df = _frames(p, seed, data_dir)
    # The runtime detector sees normalised text, so the model must be trained on it too.
    train_texts = [model_view(t, p) for t in train_df["text"].astype(str)]
    val_texts = [model_view(t, p) for t in val_df["text"].astype(str)]
    y_train = train_df["label"].astype(int).to_numpy()
    y_val = val_df["label"].astype(int).to_numpy()
    log.info("train %d rows (%.1f%% positive), val %d rows", len(y_train), 100 * y_train.mean(), len(y_val))

    base, base_desc = resolve_base(p, params)
    # a continued checkpoint keeps its own vocabulary (the trimmed e5 base is rebuilt whenever
    # the train texts change, so its piece ids need not match an older checkpoint's)
    init = p.init_checkpoint()
    tok = AutoTokenizer.from_pretrained(init if init and (init / "tokenizer.json").exists() else base)
    model = _model(p, base)
    # Long documents carry their attack anywhere: training on the first window only would
    # label windows that hold no attack as injections (and teach "long = injection"). With
    # window_selection "max", each long row trains on its highest-scoring window under the
    # current model (multiple-instance learning), matching the runtime's max over windows.
    mil_cap = p.windows_per_row
    content = tok(train_texts, add_special_tokens=False, truncation=False)["input_ids"]
    size = p.max_length - tok.num_special_tokens_to_add(pair=False)
    val_content = tok(val_texts, add_special_tokens=False, truncation=False)["input_ids"]
    val_sources = val_df["source"].astype(str).tolist() if "source" in val_df else [""] * len(val_df)
    sources = train_df["source"].astype(str).tolist() if p.balance_within_source else None
    weights = torch.tensor(row_weights(y_train, sources), dtype=torch.float32)
    ce = torch.nn.CrossEntropyLoss(reduction="none")
    rng = np.random.default_rng(seed)
    hf_dir = out_dir / "hf"

    def batch_loss(batch: list[int]):
        inputs = _train_inputs(model, tok, [content[i] for i in batch], size, mil_cap, rng)
        feats = tok.pad(
            {"input_ids": inputs, "attention_mask": [[1] * len(r) for r in inputs]}, return_tensors="pt"
        )
        # a weighted mean, as CrossEntropyLoss(weight=...) takes it: sum(w * loss) / sum(w)
        w = weights[batch]
        return (ce(model(**feats).logits, torch.tensor(y_train[batch])) * w).sum() / w.sum()

    def evaluate() -> Evaluation:
        val_logits = max_window_logits(model, tok, val_content, p.max_length, mil_cap)[0]
        probs = _softmax1(val_logits)
        m = binary_metrics(y_val, probs)
        # logged beside the selection metric: the generator's own families share validation
        m |= by_origin(y_val, probs, val_sources)
        return Evaluation((m["auc"], m["f1"]), m, m, (probs, val_logits))

    def save_best(ev: Evaluation) -> None:
        model.save_pretrained(hf_dir)
        tok.save_pretrained(hf_dir)
        np.save(out_dir / "val_probs.npy", ev.outputs[0])
        np.save(out_dir / "val_logits.npy", ev.outputs[1])

    run_params = {"train_injection": p.to_dict(), "seed": seed}
    with mlflow_run("injection", run_params, enabled=p.track) as mlf:
        lengths = [min(len(x), size) + 2 for x in content]
        result = fit(model, p, lengths, batch_loss, evaluate, save_best, rng=rng, tracker=mlf)
        # Temperature scaling on the best checkpoint's validation logits: the export folds
        # 1/T into the classifier head, so the operating points below are on scaled scores.
        val_logits = np.load(out_dir / "val_logits.npy")
        temp = temperature_report(val_logits, y_val)
        log.info("temperature on validation: %s", temp)
        probs = _softmax1(val_logits, temp["temperature"])
        thresholds = calibrate_thresholds(
            y_val, probs, target_fpr=p.strict_fpr, default_max_fpr=p.default_max_fpr
        )
        summary = {
            "best": result.best,
            "thresholds": thresholds,
            "temperature": temp["temperature"],
            "calibration_val": temp,
            "base": p.base,
            "base_model": base_desc,
            "max_length": p.max_length,
            "homoglyphs": p.homoglyphs,
            "payloads": "masked" if p.mask_payloads else "raw",
            "window_selection": p.window_selection,
            "max_windows": mil_cap,
            "train_rows": int(len(y_train)),
            "val_rows": int(len(y_val)),
            "steps": result.steps,
        }
        return finish_run(out_dir, "calibration.json", summary, result, temp, mlf)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/injection"))
    ap.add_argument("--out", default=str(REPO_ROOT / "artifacts/injection"))
    ap.add_argument("--base", default=None, help="override train_injection.base (minilm, e5, e5-full)")
    args = ap.parse_args(argv)
    params = load_train_params(args.params, "train_injection", args.base)
    summary = train(params, Path(args.data), Path(args.out))
    log.info("done: %s", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
