"""bastion_training.rowquant: per-row activation quantisation makes a dynamic int8 graph batch invariant.

A tiny attention block (projections, masked attention, a ReLU MLP) is built with onnx.helper,
quantised with onnxruntime's ``quantize_dynamic`` the way the shipped models are (s8
per-channel 7-bit weights, u8 per-tensor activations), then rewritten.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from bastion_training.rowquant import dequantised, row_quantize, row_quantize_stats  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402

HIDDEN, FFN, LABELS = 16, 32, 5


def tiny_float_model(seed: int = 0) -> onnx.ModelProto:
    """``x [B,S,16]``, ``mask [B,S]`` -> ``y [B,S,5]``: one masked self-attention head + MLP."""
    rng = np.random.default_rng(seed)

    def w(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(
            (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32), name
        )

    inits = [
        w("wq", HIDDEN, HIDDEN),
        w("wk", HIDDEN, HIDDEN),
        w("wv", HIDDEN, HIDDEN),
        w("wo", HIDDEN, HIDDEN),
        w("w1", HIDDEN, FFN),
        w("w2", FFN, LABELS),
        numpy_helper.from_array(rng.standard_normal(HIDDEN).astype(np.float32) * 0.1, "bq"),
        numpy_helper.from_array(rng.standard_normal(FFN).astype(np.float32) * 0.1, "b1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(-10000.0, dtype=np.float32), "neg"),
        numpy_helper.from_array(np.array(0.25, dtype=np.float32), "inv_sqrt_d"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "wq"], ["q0"]),
        n("Add", ["q0", "bq"], ["q"]),
        n("MatMul", ["x", "wk"], ["k"]),
        n("MatMul", ["x", "wv"], ["v"]),
        n("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        n("MatMul", ["q", "kt"], ["s0"]),
        n("Mul", ["s0", "inv_sqrt_d"], ["s1"]),
        # Padding keys get -10000 before the softmax, as in BERT's extended attention mask.
        n("Cast", ["mask"], ["maskf"], to=TensorProto.FLOAT),
        n("Sub", ["one", "maskf"], ["inv"]),
        n("Mul", ["inv", "neg"], ["bias0"]),
        n("Unsqueeze", ["bias0", "axis1"], ["bias"]),
        n("Add", ["s1", "bias"], ["s"]),
        n("Softmax", ["s"], ["p"], axis=-1),
        n("MatMul", ["p", "v"], ["ctx"]),
        n("MatMul", ["ctx", "wo"], ["o"]),
        n("Add", ["o", "x"], ["h"]),
        n("MatMul", ["h", "w1"], ["f0"]),
        n("Add", ["f0", "b1"], ["f1"]),
        n("Relu", ["f1"], ["f"]),
        n("MatMul", ["f", "w2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_attention",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "S", HIDDEN]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, ["B", "S"]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", "S", LABELS])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("rowquant")
    fp32, int8, row = d / "fp32.onnx", d / "int8.onnx", d / "row.onnx"
    onnx.save(tiny_float_model(), str(fp32))
    quantize_dynamic(
        str(fp32),
        str(int8),
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        # optimum's config quantises activation x activation matmuls (attention) too.
        extra_options={"MatMulConstBOnly": False},
    )
    onnx.save(row_quantize(onnx.load(str(int8))), str(row))
    deq = d / "deq.onnx"
    onnx.save(dequantised(onnx.load(str(int8))), str(deq))
    return {"fp32": fp32, "int8": int8, "row": row, "deq": deq}


def session(path: Path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def rows(lengths: list[int], scales: list[float], seed: int = 7) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((n, HIDDEN)) * s).astype(np.float32)
        for n, s in zip(lengths, scales, strict=True)
    ]


def run_batch(sess, xs: list[np.ndarray]) -> list[np.ndarray]:
    """Each row's output from one padded batch (padding filled with junk, masked out)."""
    width = max(len(x) for x in xs)
    batch = np.full((len(xs), width, HIDDEN), 3.0, dtype=np.float32)
    mask = np.zeros((len(xs), width), dtype=np.int64)
    for i, x in enumerate(xs):
        batch[i, : len(x)] = x
        mask[i, : len(x)] = 1
    y = sess.run(None, {"x": batch, "mask": mask})[0]
    return [y[i, : len(x)] for i, x in enumerate(xs)]


def run_alone(sess, xs: list[np.ndarray]) -> list[np.ndarray]:
    return [sess.run(None, {"x": x[None], "mask": np.ones((1, len(x)), dtype=np.int64)})[0][0] for x in xs]


def worst(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


def test_every_quantised_matmul_is_rewritten(graphs: dict[str, Path]) -> None:
    src = onnx.load(str(graphs["int8"]))
    before = [n.op_type for n in src.graph.node]
    rewritten, stats = row_quantize_stats(src)
    after = [n.op_type for n in rewritten.graph.node]
    assert before.count("MatMulInteger") == 8  # 6 weights + 2 attention (both operands activations)
    assert "DynamicQuantizeLinear" not in after and "MatMulInteger" not in after
    assert (stats.weight_matmuls, stats.float_matmuls) == (6, 2)
    # q/k/v read one input: it is quantised once, not three times.
    assert stats.quantised_inputs == 4
    assert after.count("MatMulIntegerToFloat") == 6 and after.count("QuantizeLinear") == 4
    onnx.checker.check_model(rewritten)


def test_a_float_graph_is_refused() -> None:
    with pytest.raises(ValueError, match="not a dynamically quantised graph"):
        row_quantize(tiny_float_model())


# Same-length rows of very different magnitude (the per-tensor scale is set by the loudest row),
# and mixed lengths (padding rows full of junk).
@pytest.mark.parametrize(
    ("lengths", "scales"),
    [
        ([6, 6, 6], [1.0, 40.0, 0.05]),
        ([3, 9, 5, 1], [1.0, 1.0, 25.0, 0.3]),
        ([12, 2], [0.5, 8.0]),
    ],
)
def test_batched_rows_equal_rows_run_alone(
    graphs: dict[str, Path], lengths: list[int], scales: list[float]
) -> None:
    xs = rows(lengths, scales)
    row, int8 = session(graphs["row"]), session(graphs["int8"])
    same_length = len(set(lengths)) == 1
    delta = worst(run_batch(row, xs), run_alone(row, xs))
    if same_length:
        # Integer GEMMs are exact and every float op is row-wise: bit-identical.
        assert delta == 0.0
    else:
        # Softmax and the float attention matmul also sum over zeroed padding keys.
        assert delta <= 1e-5
    # The shipped scheme moves with batch-mates on the same inputs: the test can fail.
    assert worst(run_batch(int8, xs), run_alone(int8, xs)) > 1e-3


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_rewritten_matches_the_original_on_a_batch_of_one(graphs: dict[str, Path], scale: float) -> None:
    xs = rows([8, 3], [scale, scale], seed=11)
    fp32 = run_alone(session(graphs["fp32"]), xs)
    int8 = run_alone(session(graphs["int8"]), xs)
    row = run_alone(session(graphs["row"]), xs)
    spread = max(float(np.abs(y).max()) for y in fp32)
    # Both int8 schemes sit within a few percent of the float model's output range.
    assert worst(row, fp32) <= 0.05 * spread
    assert worst(row, int8) <= 0.08 * spread
    assert worst(int8, fp32) <= 0.05 * spread


def test_an_all_zero_row_stays_finite(graphs: dict[str, Path]) -> None:
    xs = [np.zeros((4, HIDDEN), dtype=np.float32), *rows([4], [1.0])]
    for y in run_batch(session(graphs["row"]), xs):
        assert np.isfinite(y).all()


def test_dequantised_is_the_float_model_up_to_weight_rounding(graphs: dict[str, Path]) -> None:
    xs = rows([5, 7], [1.0, 2.0], seed=3)
    fp32 = run_alone(session(graphs["fp32"]), xs)
    deq = run_alone(session(graphs["deq"]), xs)
    ops = {n.op_type for n in onnx.load(str(graphs["deq"])).graph.node}
    assert not ops & {"DynamicQuantizeLinear", "MatMulInteger"}
    spread = max(float(np.abs(y).max()) for y in fp32)
    assert 0 < worst(deq, fp32) <= 0.06 * spread


def test_opset_18_reductions_take_axes_as_an_input(graphs: dict[str, Path], tmp_path: Path) -> None:
    src = onnx.load(str(graphs["int8"]))
    for o in src.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 18
    path = tmp_path / "row18.onnx"
    onnx.save(row_quantize(src), str(path))
    reduce = [n for n in onnx.load(str(path)).graph.node if n.op_type == "ReduceMax"]
    assert reduce and all(len(n.input) == 2 and "axes" not in {a.name for a in n.attribute} for n in reduce)
    xs = rows([4, 6], [1.0, 3.0], seed=5)
    assert worst(run_alone(session(path), xs), run_alone(session(graphs["row"]), xs)) == 0.0
