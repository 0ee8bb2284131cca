"""Turn an accelerator run (:mod:`bastion_training.gpu.trainer`) into the training output the
export stages read (see :mod:`bastion_training.gpu`).

    python -m bastion_training.gpu.unpack --task injection --pack .devrun --run RUN --out artifacts/inj_gpu
    python -m bastion_training.export --art artifacts/inj_gpu --out artifacts/inj_gpu/model

Injection: ``OUT/hf`` (``BertForSequenceClassification``) and ``calibration.json`` with the
temperature and operating points fitted on the run's validation logits, as ``train_injection``
writes them (the export refits the operating points on the int8 model). PII: ``OUT/hf``
(``CaseBertForTokenClassification``, no case features) and ``val_metrics.json`` with validation
span scores through the runtime's decoding and the temperature on validation token logits, as
``train_pii`` writes them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from bastion_training.common import load_train_params, log
from bastion_training.config import REPO_ROOT, TrainInjectionParams, TrainPIIParams, seed_of
from bastion_training.encoders import BASE_DESCRIPTIONS, base_dir

WORD = "bert.embeddings.word_embeddings.weight"


def _state(pack: Path, run: Path, base: Path | None = None) -> dict[str, Any]:
    """The run's weights; for a continuation, in ``base``'s (the init checkpoint's) full vocabulary."""
    from bastion_training.gpu.trainer import base_state, init_state, load_deltas

    cfg = json.loads((pack / "base_config.json").read_text(encoding="utf-8"))
    if not (pack / "init.npz").is_file():
        return load_deltas(run, base_state(pack, cfg))
    import torch
    from safetensors.numpy import load_file

    if base is None or not (Path(base) / "model.safetensors").is_file():
        raise ValueError("a continuation's run unpacks onto its init checkpoint: pass it as --base")
    state = load_deltas(run, init_state(pack))
    full = {
        k: torch.from_numpy(v.copy()) for k, v in load_file(str(Path(base) / "model.safetensors")).items()
    }
    rows = torch.from_numpy(np.load(pack / "vocab_rows.npy"))
    for name, w in state.items():
        if name == WORD:
            full[name][rows] = w.to(full[name].dtype)
        elif name in full:
            full[name] = w
    return full


def _config(pack: Path, base: Path) -> dict[str, Any]:
    """The run's model config: the init checkpoint's own (full vocabulary) for a continuation."""
    src = Path(base) / "config.json" if (pack / "init.npz").is_file() else pack / "base_config.json"
    return json.loads(src.read_text(encoding="utf-8"))


def _run_note(run: Path) -> dict[str, Any]:
    m = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    keys = (
        "lr",
        "bs",
        "epochs",
        "seed",
        "planned_steps",
        "steps",
        "wall_s",
        "device",
        "torch",
        "selected_by",
    )
    return {"summary": m, "note": {k: m.get(k) for k in keys} | {"best_step": m["best"]["step"]}}


def unpack_injection(params: dict[str, Any], pack: Path, run: Path, out: Path, base: Path, data_dir: Path):
    import pandas as pd
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from bastion_training.metrics import binary_metrics, by_origin, calibrate_thresholds, temperature_report
    from bastion_training.train_injection import _softmax1

    p = TrainInjectionParams.from_params(params)
    cfg = _config(pack, base)
    config = BertConfig(**{k: v for k, v in cfg.items() if not k.startswith("bastion")})
    config.num_labels = 2
    config.id2label, config.label2id = {0: "BENIGN", 1: "INJECTION"}, {"BENIGN": 0, "INJECTION": 1}
    config.architectures = ["BertForSequenceClassification"]
    model = BertForSequenceClassification(config)
    state = _state(pack, run, base)
    model.load_state_dict({k: v for k, v in state.items() if k in model.state_dict()}, strict=True)
    model.save_pretrained(out / "hf")
    AutoTokenizer.from_pretrained(base).save_pretrained(out / "hf")
    val = pd.read_parquet(data_dir / "val.parquet")
    y = val["label"].astype(int).to_numpy()
    logits = np.load(run / "val_logits.npy").astype(np.float64)
    if len(logits) != len(y):
        raise ValueError(f"{run}: {len(logits)} validation logits for {len(y)} rows (a --subset run?)")
    temp = temperature_report(logits, y)
    probs = _softmax1(logits, temp["temperature"])
    thresholds = calibrate_thresholds(y, probs, target_fpr=p.strict_fpr, default_max_fpr=p.default_max_fpr)
    raw = _softmax1(logits)
    info = _run_note(run)
    best = binary_metrics(y, raw, 0.5) | by_origin(y, raw, val["source"].astype(str).tolist())
    summary = {
        "best": best | {"step": info["note"]["best_step"]},
        "thresholds": thresholds,
        "temperature": temp["temperature"],
        "calibration_val": temp,
        "base": "e5",
        "base_model": BASE_DESCRIPTIONS.get("e5", "e5"),
        "max_length": p.max_length,
        "homoglyphs": p.homoglyphs,
        "payloads": "masked" if p.mask_payloads else "raw",
        "window_selection": "max",
        "max_windows": p.windows_per_row,
        "val_rows": int(len(y)),
        "steps": info["note"]["steps"],
        "accelerator_run": info["note"],
    }
    (out / "calibration.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def unpack_pii(params: dict[str, Any], pack: Path, run: Path, out: Path, base: Path, data_dir: Path):
    from transformers import AutoTokenizer

    from bastion_training import train_pii as tp
    from bastion_training.metrics import temperature_report
    from bastion_training.ner_model import from_base

    p = TrainPIIParams.from_params(params)
    seed = seed_of(params)
    tags = tuple((pack / "pii_tags.txt").read_text(encoding="utf-8").split("\n"))
    model = from_base(base, tags, use_case_features=False)
    state = _state(pack, run, base)
    model.load_state_dict({k: v for k, v in state.items() if k in model.state_dict()}, strict=True)
    model.eval()
    model.save_pretrained(out / "hf")
    hf_tok = AutoTokenizer.from_pretrained(base)
    hf_tok.save_pretrained(out / "hf")
    tok = hf_tok.backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    size, stride = p.max_length - 2, p.window_stride
    docs = tp.load_docs(data_dir / "val.parquet", p.max_val_rows, seed, homoglyphs=p.homoglyphs)
    scores = tp.evaluate(model, tok, docs, tags, size, stride, {"default": p.min_score})
    rows = tp.build_windows(docs, tp.encode_docs(tok, [d.text for d in docs]), tags, size, stride)
    z, y = tp.val_token_logits(model, rows, tp.special_ids(tok))
    temp = temperature_report(z, y) if len(y) else {"temperature": 1.0}
    info = _run_note(run)
    summary = {
        "best": {**scores["micro"], "step": info["note"]["best_step"]},
        "per_label": scores["per_label"],
        "temperature": temp["temperature"],
        "calibration_val": temp,
        "base": "e5",
        "base_model": BASE_DESCRIPTIONS.get("e5", "e5"),
        "base_model_dir": str(base),
        "max_length": p.max_length,
        "stride": stride,
        "case_features": False,
        "homoglyphs": p.homoglyphs,
        "thresholds": {"default": p.min_score},
        "tags": list(tags),
        "val_docs": len(docs),
        "steps": info["note"]["steps"],
        "accelerator_run": info["note"],
    }
    (out / "val_metrics.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--task", choices=["injection", "pii"], required=True)
    ap.add_argument("--pack", default=str(REPO_ROOT / ".devrun"))
    ap.add_argument("--run", required=True, help="the trainer's output folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=None, help="default data/processed/<task>")
    ap.add_argument("--base", default=None, help="the trimmed base folder the pack was made from")
    args = ap.parse_args(argv)
    params = load_train_params(args.params, "train_injection", None)
    base = Path(args.base) if args.base else base_dir("e5", params)
    data = Path(args.data) if args.data else REPO_ROOT / "data/processed" / args.task
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fn = unpack_injection if args.task == "injection" else unpack_pii
    summary = fn(params, Path(args.pack), Path(args.run), out, base, data)
    log.info("wrote %s: best %s", out, summary["best"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
