"""Per-row activation quantisation: a dynamically quantised ONNX graph whose rows can be batched.

onnxruntime's dynamic quantisation (``DynamicQuantizeLinear`` -> ``MatMulInteger``) picks ONE
u8 scale and zero point for the whole activation tensor at run time, i.e. over every text of
a batch and its padding, so a text's score moved with its batch-mates (issue 11). The runtime
therefore runs each window alone, which costs throughput (issues 13, 17).

:func:`row_quantize` rewrites such a graph so that each row (token) of an activation gets
its own symmetric scale ``s = max|a| / 127`` and a fixed zero point 128; a row's quantised
values then depend on that row only. The weight matmuls become onnxruntime's contrib
``MatMulIntegerToFloat``: its CPU kernel (checked with onnxruntime 1.32) takes a non-scalar
``a_scale`` (multiplied into the output after the integer GEMM) and per-column weight
scales, while a non-scalar ``a_zero_point`` is refused, hence the symmetric scheme. The
bias stays a separate ``Add``: the kernel adds its bias input before applying a non-scalar
``a_scale``, which would scale the bias too. Matmuls of two activations (attention scores
and context) have no per-row form there (the right operand would need a scale per column,
over keys that include padding), so they run in float: a few percent of the work, and the
more exact of the two anyway.

Batch invariance then holds up to float summation order in the remaining float ops (softmax
over masked keys, the float attention matmuls); on the shipped models a row's output in a
padded batch was bit-identical to the row alone (``benchmarks/bench_batching.py``), and
``tests/test_rowquant.py`` checks it on a tiny model. The price: the per-row scale is an
extra pass over each matmul output plus the quantisation nodes, about 15% more CPU per
token than the fused per-tensor kernels; the graph is closer to the float model than the
per-tensor one (same benchmark).

Adopting it: :func:`convert_model_dir` turns a shipped model folder into a new one whose
manifest says ``"batch_invariant": true`` (the runtime probes that claim at load and then
batches short windows), also as ``python -m bastion_training.rowquant SRC OUT``; the exports
apply :func:`row_quantize_export` to their int8 graph when ``train_injection.row_quant``,
``train_pii.row_quant`` or ``distill.export.row_quant`` is set, before the operating points
are chosen, so the thresholds are those of the graph that ships.

Training-side only (needs ``onnx``); the runtime never imports this module.

>>> import onnx
>>> rq = row_quantize(onnx.load("models/injection/model.onnx"))  # doctest: +SKIP
>>> sorted({n.op_type for n in rq.graph.node} & {"DynamicQuantizeLinear", "MatMulIntegerToFloat"})  # doctest: +SKIP
['MatMulIntegerToFloat']
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

MS_DOMAIN = "com.microsoft"
# Smallest row max|a|: an all-zero row would otherwise divide by zero.
MIN_ABSMAX = 1e-30


@dataclass(frozen=True)
class RewriteStats:
    """What :func:`row_quantize_stats` changed: weight matmuls now per-row, activation
    matmuls now float, and the number of distinct activations quantised per row."""

    weight_matmuls: int
    float_matmuls: int
    quantised_inputs: int


def row_quantize(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of dynamically quantised ``model`` with per-row activation scales.

    Every ``DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scale)`` chain becomes a
    per-row quantisation of the float input plus ``MatMulIntegerToFloat`` (weights, s8 or u8,
    per-channel or not, unchanged) or, when both operands are activations, a float ``MatMul``.
    Bias ``Add`` nodes after the chain are kept as they are.
    """
    return row_quantize_stats(model)[0]


def row_quantize_stats(model: onnx.ModelProto) -> tuple[onnx.ModelProto, RewriteStats]:
    """:func:`row_quantize` plus counts of what it rewrote (ValueError if it found nothing)."""
    out, inits, producer, consumers = _indexed_copy(model)
    graph = out.graph
    opset = next((o.version for o in out.opset_import if o.domain in ("", "ai.onnx")), 13)

    quantised: dict[str, tuple[str, str]] = {}  # float input -> (u8 row-quantised, row scales)
    new_nodes: dict[str, list[onnx.NodeProto]] = {}  # inserted before the MatMulInteger named
    replace: dict[str, onnx.NodeProto] = {}  # MatMulInteger name -> its replacement
    drop: set[str] = set()  # names of Cast / scale Mul nodes folded into the replacement
    constants: list[onnx.TensorProto] = []
    n_weight = n_float = 0

    def const(name: str, value: np.ndarray) -> str:
        if name not in inits:
            t = numpy_helper.from_array(value, name)
            constants.append(t)
            inits[name] = t
        return name

    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        chain = _output_chain(node, consumers, producer)
        if chain is None:
            continue
        cast, mul, scale_mul = chain
        qa = producer.get(node.input[0])
        if qa is None or qa.op_type != "DynamicQuantizeLinear":
            continue
        x = qa.input[0]
        tag = node.output[0]
        if node.input[1] in inits:
            # Weight scale: the scale Mul's operand that is not the activation's scale.
            w_scale = next(i for i in scale_mul.input if i != qa.output[1])
            if w_scale not in inits:
                continue
            ws = numpy_helper.to_array(inits[w_scale]).astype(np.float32)
            w_scale = const(f"{w_scale}_rowquant", (ws / np.float32(127.0)).astype(np.float32))
            if x not in quantised:
                quantised[x] = _row_quant_nodes(x, opset, const, new_nodes.setdefault(tag, []))
            xq, xs = quantised[x]
            w_zp = node.input[3] if len(node.input) > 3 and node.input[3] else ""
            zp128 = const("rowquant_zero_point_128", np.array(128, dtype=np.uint8))
            replace[tag] = helper.make_node(
                "MatMulIntegerToFloat",
                [xq, node.input[1], xs, w_scale, zp128, w_zp],
                [mul.output[0]],
                name=f"{tag}_rowquant",
                domain=MS_DOMAIN,
            )
            n_weight += 1
        else:
            qb = producer.get(node.input[1])
            if qb is None or qb.op_type != "DynamicQuantizeLinear":
                continue
            replace[tag] = helper.make_node("MatMul", [x, qb.input[0]], [mul.output[0]], name=f"{tag}_float")
            n_float += 1
        drop.update({cast.output[0], mul.output[0]})
    if not replace:
        raise ValueError(
            "no DynamicQuantizeLinear -> MatMulInteger chain found: not a dynamically quantised graph"
        )

    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.output[0] in drop:
            continue
        if node.op_type == "MatMulInteger" and node.output[0] in replace:
            nodes.extend(new_nodes.get(node.output[0], []))
            nodes.append(replace[node.output[0]])
        else:
            nodes.append(node)
    graph.initializer.extend(constants)
    _set_nodes(graph, _live(nodes, [o.name for o in graph.output]))
    _drop_unused_initializers(graph)
    if not any(o.domain == MS_DOMAIN for o in out.opset_import):
        out.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return out, RewriteStats(n_weight, n_float, len(quantised))


def _output_chain(node, consumers, producer):
    """``(Cast, Mul, scale Mul)`` after a MatMulInteger, or None for a shape it does not know."""
    after = consumers.get(node.output[0], [])
    if len(after) != 1 or after[0].op_type != "Cast":
        return None
    cast = after[0]
    after = consumers.get(cast.output[0], [])
    if len(after) != 1 or after[0].op_type != "Mul":
        return None
    mul = after[0]
    other = next((i for i in mul.input if i != cast.output[0]), None)
    scale_mul = producer.get(other) if other else None
    if scale_mul is None or scale_mul.op_type != "Mul":
        return None
    return cast, mul, scale_mul


def _row_quant_nodes(x: str, opset: int, const, out: list[onnx.NodeProto]) -> tuple[str, str]:
    """Nodes computing ``(u8 row-quantised x, per-row max|x| [..., 1])`` of float ``x``.

    ``q = QuantizeLinear(x / max|x|, 1/127, 128)``: QuantizeLinear rounds half to even and
    saturates in the same pass. The 1/127 of the row scale ``max|x| / 127`` is folded into
    the weight scales instead (:func:`row_quantize_stats`). ``max|x|`` comes from
    ReduceMax and ReduceMin, two reads of ``x``; Abs would write a copy of it first (Abs
    alone took 10x the time of ReduceMax in a profile at 126 tokens).
    """
    p = f"{x}_rowquant"
    nodes: list[onnx.NodeProto] = []
    for op, end in (("ReduceMax", "max"), ("ReduceMin", "min")):
        if opset >= 18:
            axes = const("rowquant_axes_last", np.array([-1], dtype=np.int64))
            nodes.append(helper.make_node(op, [x, axes], [f"{p}_{end}"], keepdims=1))
        else:
            nodes.append(helper.make_node(op, [x], [f"{p}_{end}"], axes=[-1], keepdims=1))
    nodes.append(helper.make_node("Neg", [f"{p}_min"], [f"{p}_negmin"]))
    nodes.append(helper.make_node("Max", [f"{p}_max", f"{p}_negmin"], [f"{p}_absmax"]))
    tiny = const("rowquant_min_absmax", np.array(MIN_ABSMAX, dtype=np.float32))
    nodes.append(helper.make_node("Max", [f"{p}_absmax", tiny], [f"{p}_rowmax"]))
    nodes.append(helper.make_node("Div", [x, f"{p}_rowmax"], [f"{p}_unit"]))
    inv127 = const("rowquant_inv127", np.array(1.0 / 127.0, dtype=np.float32))
    zp = const("rowquant_zero_point_128", np.array(128, dtype=np.uint8))
    nodes.append(helper.make_node("QuantizeLinear", [f"{p}_unit", inv127, zp], [f"{p}_u8"]))
    for n in nodes:
        n.name = f"{n.output[0]}_{n.op_type}"
    out.extend(nodes)
    return f"{p}_u8", f"{p}_rowmax"


def _live(nodes: list[onnx.NodeProto], outputs: Iterable[str]) -> list[onnx.NodeProto]:
    """``nodes`` that contribute to ``outputs``, in their order."""
    needed = set(outputs)
    keep = []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    return keep[::-1]


def _set_nodes(graph: onnx.GraphProto, nodes: list[onnx.NodeProto]) -> None:
    del graph.node[:]
    graph.node.extend(nodes)


def _indexed_copy(
    model: onnx.ModelProto,
) -> tuple[
    onnx.ModelProto, dict[str, onnx.TensorProto], dict[str, onnx.NodeProto], dict[str, list[onnx.NodeProto]]
]:
    """A copy of ``model`` with its initializers by name, each tensor's producer node and
    each tensor's consumer nodes: what both rewrites walk the graph with."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    return out, inits, producer, consumers


def _drop_unused_initializers(graph: onnx.GraphProto) -> None:
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)


def dequantised(model: onnx.ModelProto) -> onnx.ModelProto:
    """A float copy of dynamically quantised ``model``: every quantised matmul becomes a
    float ``MatMul`` on its dequantised weights (``(w - zp) * scale``). A reference without
    activation quantisation error, for a model whose float export is gone."""
    out, inits, producer, consumers = _indexed_copy(model)
    graph = out.graph
    replace: dict[str, onnx.NodeProto] = {}
    drop: set[str] = set()
    extra: list[onnx.TensorProto] = []
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        chain = _output_chain(node, consumers, producer)
        qa = producer.get(node.input[0])
        if chain is None or qa is None or qa.op_type != "DynamicQuantizeLinear":
            continue
        cast, mul, scale_mul = chain
        if node.input[1] in inits:
            w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            zp = (
                numpy_helper.to_array(inits[node.input[3]]).astype(np.float32) if len(node.input) > 3 else 0.0
            )
            ws_name = next(i for i in scale_mul.input if i != qa.output[1])
            ws = numpy_helper.to_array(inits[ws_name]).astype(np.float32)
            name = f"{node.input[1]}_dequantised"
            extra.append(numpy_helper.from_array(((w - zp) * ws).astype(np.float32), name))
            b = name
        else:
            qb = producer[node.input[1]]
            b = qb.input[0]
        replace[node.output[0]] = helper.make_node(
            "MatMul", [qa.input[0], b], [mul.output[0]], name=f"{node.output[0]}_float"
        )
        drop.update({cast.output[0], mul.output[0]})
    nodes = [replace.get(n.output[0], n) for n in graph.node if n.output[0] not in drop]
    graph.initializer.extend(extra)
    _set_nodes(graph, _live(nodes, [o.name for o in graph.output]))
    _drop_unused_initializers(graph)
    return out


# ----------------------------------------------------------------------------- adoption

# What the row-quantised graph does differently, for the manifest's record.
ROW_QUANT_SCHEME = (
    "u8 activations with one symmetric scale per row (zero point 128), bastion_training.rowquant"
)


def row_quantize_file(src: Path, dst: Path) -> RewriteStats:
    """Rewrite the graph at ``src`` (:func:`row_quantize_stats`) and save it to ``dst``
    (which may be ``src``); ValueError if the result would still quantise any activation
    per tensor.

    >>> row_quantize_file(Path("int8.onnx"), Path("int8.onnx")).weight_matmuls  # doctest: +SKIP
    36
    """
    out, stats = row_quantize_stats(onnx.load(str(src)))
    # A DynamicQuantizeLinear that survives feeds something the rewrite does not know (a
    # quantised Conv or Attention): its one scale would couple the rows again.
    left = sorted({n.name or n.output[0] for n in out.graph.node if n.op_type == "DynamicQuantizeLinear"})
    if left:
        raise ValueError(f"{src}: per-tensor activation quantisation left after the rewrite at {left[:5]}")
    onnx.checker.check_model(out)
    onnx.save(out, str(dst))
    return stats


def mark_row_quantised(
    manifest: dict[str, Any], stats: RewriteStats, *, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of ``manifest`` for a graph :func:`row_quantize_file` rewrote: the
    ``batch_invariant`` flag, a ``row_quant`` record (what was rewritten; with ``source``,
    the manifest of the folder converted: its version and graph digest) and the scheme
    added to ``quantization``. A conversion of a shipped folder is also noted in its
    ``training`` runs, where the history of a model is read.

    >>> m = mark_row_quantised({"quantization": "int8 dynamic"}, RewriteStats(6, 2, 4))
    >>> m["batch_invariant"], m["row_quant"]["weight_matmuls"]
    (True, 6)
    """
    out = copy.deepcopy(manifest)
    record: dict[str, Any] = {"scheme": ROW_QUANT_SCHEME, **asdict(stats)}
    quant = out.get("quantization")
    if isinstance(quant, dict):
        out["quantization"] = {**quant, "activations": "u8 per row (symmetric, zero point 128)"}
    elif isinstance(quant, str):
        out["quantization"] = f"{quant}; then per-row activation scales (bastion_training.rowquant)"
    if source is not None:
        when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        record |= {
            "converted": when,
            "from_version": source.get("version"),
            "from_model_sha256": (source.get("files") or {}).get("model.onnx"),
        }
        history = out.get("training")
        if isinstance(history, dict) and isinstance(history.get("runs"), list):
            history["runs"].append(
                f"row_quant ({when[:10]}): version {source.get('version')} converted to per-row "
                "activation scales (bastion_training.rowquant); weights and thresholds unchanged"
            )
    out["row_quant"] = record
    out["batch_invariant"] = True
    return out


def row_quantize_export(graph: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """What an export does with ``row_quant`` set: rewrite its int8 ``graph`` in place and
    return ``manifest`` marked (:func:`mark_row_quantised`); the export then stages,
    calibrates and writes the folder as it does any graph.

    >>> manifest = row_quantize_export(tmp / "model.onnx", manifest)  # doctest: +SKIP
    """
    return mark_row_quantised(manifest, row_quantize_file(graph, graph))


def convert_model_dir(src: Path, out: Path, *, threads: int | None = 1) -> dict[str, Any]:
    """Write a row-quantised copy of the model folder ``src`` (``model.onnx``,
    ``tokenizer.json``, ``manifest.json``) to the new folder ``out``; returns its manifest.

    The source files are checked against the manifest's digests first. The new manifest is
    ``src``'s marked by :func:`mark_row_quantised`, with the files' new sha256 and a new
    version derived as the export derives it (the date and a digest of the files and the
    decision keys, :func:`bastion_training.export.write_model_folder`). The folder is built
    beside ``out`` and loaded through the runtime (which probes the batch invariance)
    before it is moved into place, so a folder that would not load is never left at
    ``out``. Thresholds are kept: they were chosen on the per-tensor graph, which the
    per-row one sits close to but does not equal (a re-export with ``row_quant`` chooses
    them on the graph that ships). The model card (README.md) is not copied; it
    describes the source version.

    >>> convert_model_dir(Path("models/pii"), Path("/tmp/pii_row"))["batch_invariant"]  # doctest: +SKIP
    True
    """
    from bastion.detectors.onnx_common import verify_files

    from bastion_training.export import DECISION_KEYS, ONEPASS_DECISION_KEYS, write_model_folder

    src, out = Path(src), Path(out)
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    files = manifest.get("files") or {}
    if set(files) != {"model.onnx", "tokenizer.json"}:
        raise ValueError(
            f"{src}: manifest must list exactly model.onnx and tokenizer.json, got {sorted(files)}"
        )
    if manifest.get("batch_invariant") is True:
        raise ValueError(f"{src}: the manifest already says batch_invariant")
    if out.resolve() == src.resolve():
        raise ValueError("convert into a new folder: the source is what the version records it came from")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder")
    verify_files(src, files)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Beside ``out`` so the final move is a rename; a plain mkdir (not mkdtemp, whose 0700
    # would ship an unreadable folder) and a fixed name, so a crashed run's leftover is reused.
    stage = out.parent / f".{out.name}.partial"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        stats = row_quantize_file(src / "model.onnx", stage / "model.onnx")
        marked = mark_row_quantised(manifest, stats, source=manifest)
        marked.pop("version", None)
        marked.pop("files", None)
        keys = ONEPASS_DECISION_KEYS if manifest.get("type") == "onepass" else DECISION_KEYS
        full = write_model_folder(stage, stage / "model.onnx", src / "tokenizer.json", marked, keys)
        _load_through_runtime(stage, manifest.get("type") == "onepass", threads)
        if out.exists():
            out.rmdir()
        os.replace(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return full


def _load_through_runtime(folder: Path, onepass: bool, threads: int | None) -> None:
    """Load ``folder`` as the runtime will (graph checks, batch-invariance probe):
    :class:`~bastion.errors.ModelLoadError` if it would be refused."""
    if onepass:
        from bastion.detectors.onepass import OnePassModel

        OnePassModel(folder, threads=threads, cache_entries=0)
    else:
        from bastion.detectors.onnx_common import OnnxTextModel

        OnnxTextModel(folder, threads=threads)


def main(argv: list[str] | None = None) -> int:
    """``python -m bastion_training.rowquant SRC OUT``: :func:`convert_model_dir`."""
    from bastion_training.common import log, log_progress

    ap = argparse.ArgumentParser(
        description="Convert a model folder to per-row activation quantisation (batch invariant)."
    )
    ap.add_argument("src", type=Path, help="model folder (model.onnx, tokenizer.json, manifest.json)")
    ap.add_argument("out", type=Path, help="new folder to write (absent or empty)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads for the load check")
    args = ap.parse_args(argv)
    log_progress()
    full = convert_model_dir(args.src, args.out, threads=args.threads)
    rq = full["row_quant"]
    log.info(
        "wrote %s version %s (from %s): %d weight matmuls per row, %d activation matmuls in float",
        args.out,
        full["version"],
        rq["from_version"],
        rq["weight_matmuls"],
        rq["float_matmuls"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
