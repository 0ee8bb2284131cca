"""Average the weights of fine-tuned checkpoints of one lineage ("model soup").

Two continuations of the same model that gained on different eval sets can often keep most of
both gains when their weights are averaged (Wortsman et al., 2022): the PII model m4s is the
mean of m2 and m4 (m2 continued on the hr/sr/sk/cs templates), which lost less on WNUT-17 and
factRuEval than m4 while keeping its gains in the new languages. Only checkpoints with the
same tensors and shapes average (same architecture and tokenizer); anything else is refused.

The output is a training folder that ``export_pii`` reads like one ``train_pii`` writes: ``hf/``
(weights, config and tokenizer from the last input) and ``val_metrics.json``, the training
summary of ``--summary-from`` (tags, window, base) with the soup's temperature, no calibration
record and an empty validation record: the averaged weights were never validated by a training
run, so the manifest must not carry another model's validation score.

Example::

    python -m bastion_training.soup artifacts/teachers/pii/hf artifacts/pii_m4/hf \\
        --summary-from artifacts/pii_m4/val_metrics.json --out artifacts/pii_m4s --temperature 0.870055
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

WEIGHTS = "model.safetensors"


def average_state(
    states: Sequence[dict[str, np.ndarray]], weights: Sequence[float] | None = None
) -> dict[str, np.ndarray]:
    """The (weighted) mean of ``states``, tensor by tensor, in float32 then cast back.

    >>> a = {"w": np.array([1.0, 2.0], dtype=np.float32)}
    >>> b = {"w": np.array([3.0, 6.0], dtype=np.float32)}
    >>> average_state([a, b])["w"].tolist()
    [2.0, 4.0]
    >>> average_state([a, b], [3, 1])["w"].tolist()
    [1.5, 3.0]
    >>> average_state([a, {"v": a["w"]}])
    Traceback (most recent call last):
    ValueError: checkpoints differ in tensors: ['v', 'w']
    """
    if not states:
        raise ValueError("nothing to average")
    w = np.asarray(weights if weights is not None else [1.0] * len(states), dtype=np.float64)
    if len(w) != len(states) or (w <= 0).any():
        raise ValueError("one positive weight per checkpoint")
    w = w / w.sum()
    names = set(states[0])
    for s in states[1:]:
        if set(s) != names:
            raise ValueError(f"checkpoints differ in tensors: {sorted(names ^ set(s))}")
    out: dict[str, np.ndarray] = {}
    for name in states[0]:
        shapes = {s[name].shape for s in states}
        if len(shapes) != 1:
            raise ValueError(f"{name}: shapes differ {sorted(shapes)}")
        acc = sum(float(wi) * s[name].astype(np.float64) for wi, s in zip(w, states, strict=True))
        out[name] = np.asarray(acc).astype(states[-1][name].dtype)
    return out


def tokenizer_key(tok: dict) -> str:
    """What must match for two checkpoints' ids to mean the same pieces: the tokenizer parsed
    (whitespace and key order differ between writers), without padding/truncation settings
    (``save_pretrained`` writes its own) and with Unigram scores to 6 decimals (a trimmed copy
    rewrites a float32 score with one more digit; segmentation is the same).

    >>> a = {"model": {"type": "Unigram", "vocab": [["a", -1.0000000001]]}, "truncation": None}
    >>> b = {"truncation": {"max_length": 512}, "model": {"vocab": [["a", -1.0]], "type": "Unigram"}}
    >>> tokenizer_key(a) == tokenizer_key(b)
    True
    >>> tokenizer_key(a) == tokenizer_key({"model": {"type": "Unigram", "vocab": [["b", -1.0]]}})
    False
    """
    tok = {k: v for k, v in tok.items() if k not in ("padding", "truncation")}
    model = tok.get("model")
    if isinstance(model, dict) and isinstance(model.get("vocab"), list):
        vocab = [
            [p[0], round(float(p[1]), 6)] if isinstance(p, list) and len(p) == 2 else p
            for p in model["vocab"]
        ]
        tok["model"] = {**model, "vocab": vocab}
    return json.dumps(tok, sort_keys=True)


def soup(
    checkpoints: Sequence[Path],
    out: Path,
    *,
    weights: Sequence[float] | None = None,
    temperature: float | None = None,
    summary_from: Path | None = None,
) -> dict:
    """Write the averaged checkpoint to ``out/hf`` and its summary (``summary_from``'s training
    summary, re-marked as a soup) as ``calibration.json`` when ``summary_from`` is an injection
    run's (what ``export_injection`` reads), else ``val_metrics.json`` (``export_pii``); returns it."""
    from safetensors.numpy import load_file, save_file

    checkpoints = [Path(c) for c in checkpoints]
    if len(checkpoints) < 2:
        raise ValueError("a soup needs at least two checkpoints")
    tokenizers = {
        tokenizer_key(json.loads((c / "tokenizer.json").read_text(encoding="utf-8")))
        for c in checkpoints
        if (c / "tokenizer.json").is_file()
    }
    if len(tokenizers) > 1:
        raise ValueError("checkpoints have different tokenizers")
    state = average_state([load_file(str(c / WEIGHTS)) for c in checkpoints], weights)
    out = Path(out)
    hf = out / "hf"
    if hf.exists():
        shutil.rmtree(hf)
    shutil.copytree(checkpoints[-1], hf)
    save_file(state, str(hf / WEIGHTS))
    summary = json.loads(Path(summary_from).read_text(encoding="utf-8")) if summary_from else {}
    summary.pop("calibration_val", None)
    summary |= {
        "best": {},
        "soup_of": [str(c) for c in checkpoints],
        "soup_weights": list(weights) if weights is not None else [1.0] * len(checkpoints),
        "temperature": temperature,
    }
    # export_injection reads calibration.json, export_pii val_metrics.json
    name = (
        "calibration.json"
        if summary_from and Path(summary_from).name == "calibration.json"
        else "val_metrics.json"
    )
    (out / name).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def calibrate_injection(out: Path, params: dict, data_dir: Path) -> dict:
    """Validate an injection soup as a training run validates its checkpoint: the max-window
    logits of ``out/hf`` on the run's validation rows (same fold, payload view and cap), the
    temperature fitted on them, the operating points on the scaled scores. Rewrites
    ``out/calibration.json`` with the soup's own validation record, so the export and the
    manifest carry numbers this checkpoint earned, not an ingredient's."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from bastion_training.config import TrainInjectionParams, seed_of
    from bastion_training.metrics import binary_metrics, calibrate_thresholds, temperature_report, tpr_at_fpr
    from bastion_training.train_injection import _frames, _softmax1, max_window_logits, model_view

    p = TrainInjectionParams.from_params(params)
    _, val_df = _frames(p, seed_of(params), data_dir)
    tok = AutoTokenizer.from_pretrained(out / "hf")
    model = AutoModelForSequenceClassification.from_pretrained(out / "hf")
    texts = [model_view(t, p) for t in val_df["text"].astype(str)]
    content = tok(texts, add_special_tokens=False, truncation=False)["input_ids"]
    logits = max_window_logits(model, tok, content, p.max_length, p.windows_per_row)[0]
    y = val_df["label"].astype(int).to_numpy()
    best = binary_metrics(y, _softmax1(logits))
    best["tpr_at_1pct_fpr"] = tpr_at_fpr(y, _softmax1(logits), 0.01)
    temp = temperature_report(logits, y)
    probs = _softmax1(logits, temp["temperature"])
    path = out / "calibration.json"
    summary = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    summary |= {
        "best": best,
        "temperature": temp["temperature"],
        "calibration_val": temp,
        "thresholds": calibrate_thresholds(
            y, probs, target_fpr=p.strict_fpr, default_max_fpr=p.default_max_fpr
        ),
        "val_rows": int(len(y)),
    }
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "checkpoints", nargs="+", type=Path, help="HF folders (model.safetensors, config, tokenizer)"
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--weights", type=float, nargs="*")
    ap.add_argument("--temperature", type=float, help="the soup's temperature (default: none)")
    ap.add_argument(
        "--summary-from",
        type=Path,
        help="a training summary (val_metrics.json / calibration.json) to carry over",
    )
    ap.add_argument(
        "--validate-injection",
        metavar="PARAMS",
        type=Path,
        help="injection soups: validate and calibrate on the validation rows of this params file",
    )
    ap.add_argument("--data", type=Path, default=Path("data/processed/injection"))
    args = ap.parse_args(argv)
    summary = soup(
        args.checkpoints,
        args.out,
        weights=args.weights,
        temperature=args.temperature,
        summary_from=args.summary_from,
    )
    if args.validate_injection:
        import yaml

        params = yaml.safe_load(args.validate_injection.read_text(encoding="utf-8"))
        summary = calibrate_injection(args.out, params, args.data)
    print(
        json.dumps({k: summary.get(k) for k in ("soup_of", "soup_weights", "temperature", "best")}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
