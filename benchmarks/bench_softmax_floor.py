"""Do padded batches pay for subnormal ``exp`` in the attention softmax? Measured, not adopted.

    python benchmarks/bench_softmax_floor.py [--model-dir models/pii] [--texts 480]

Padding keys carry the attention mask's large negative bias, so the softmax takes ``exp`` of
values far below -87, whose float32 results are subnormal or zero; onnxruntime's CPU softmax
(1.32, AVX2 without FTZ/DAZ on the calling thread; ``session.set_denormal_as_zero`` did not
change it) is then several times slower per element. The fix is a graph rewrite that floors
every softmax input at its row maximum minus 80 (``exp(-80)`` is still a normal float, and
softmax is shift-invariant): ``Softmax(Max(x, ReduceMax(x) - 80))``. Three tables:

1. one Softmax on ``[16, 12, 70, 70]`` with a third of the keys masked at various biases;
2. the shipped graph vs the floored one, batches of 16 Presidio texts in their file order
   (padded to the longest: the slow case) and one text at a time (no padding);
3. what a user gets: a PII-only ``Guard`` on the shipped folder vs a floored copy, batches of
   16 (the runtime groups windows by length, at most 15 % padding, ``length_batches``).

Measured 2026-12-04 (session 27), the two sides interleaved: (1) plain 0.5 ms with the masked
keys at 0 / -20 / -50, 3.1-7.2 ms at -80 / -90 / -1e4 / float32's min; floored 1.1 ms at every
bias; (2) 1.20-1.22x on file-order batches for the PII, injection and one-pass graphs, 0.97-0.98x
one text at a time, outputs bit-identical; (3) **0.98-1.01x** with identical findings (also
through ``Guard.default`` on 1,661 eval texts): the runtime's length grouping already keeps
masked keys rare, and widening the groups with the floor in place (``BATCH_TOKEN_CAP`` 64 ->
128, padding 15 -> 30 %) was slower (0.95x). Not adopted: the rewrite costs its 2-3 % on
unpadded windows and buys nothing where Guard runs.
Needs the ``train`` extra (onnx) and the data build (``data/processed/pii``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FLOOR = 80.0


def floor_softmax(model, floor: float = FLOOR):
    """A copy of ``model`` with every last-axis Softmax input floored at row max - ``floor``
    (opset 13-17 graphs, as the shipped ones are); returns (model, count)."""
    from onnx import helper, numpy_helper

    out = copy.deepcopy(model)
    nodes, count = [], 0
    for node in out.graph.node:
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        if node.op_type != "Softmax" or axis != -1:
            nodes.append(node)
            continue
        x, p = node.input[0], f"{node.name}_floor"
        nodes += [
            helper.make_node("ReduceMax", [x], [f"{p}_max"], axes=[-1], keepdims=1, name=f"{p}_max"),
            helper.make_node("Sub", [f"{p}_max", "softmax_floor"], [f"{p}_low"], name=f"{p}_low"),
            helper.make_node("Max", [x, f"{p}_low"], [f"{p}_x"], name=p),
        ]
        node.input[0] = f"{p}_x"
        nodes.append(node)
        count += 1
    out.graph.initializer.append(numpy_helper.from_array(np.array(floor, dtype=np.float32), "softmax_floor"))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out, count


def session(model_or_path, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    src = (
        model_or_path.SerializeToString()
        if hasattr(model_or_path, "SerializeToString")
        else str(model_or_path)
    )
    return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])


def table_softmax() -> None:
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], axis=-1, name="sm")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16, 12, 70, 70])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    plain = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    floored = floor_softmax(plain)[0]
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((16, 12, 70, 70)) * 3).astype(np.float32)
    masked = np.zeros((16, 1, 1, 70), dtype=bool)
    for i, n in enumerate(rng.integers(20, 71, 16)):
        masked[i, ..., n:] = True
    print("| masked keys' bias | plain ms | floored ms |\n|---|---|---|")
    s_plain, s_floor = session(plain), session(floored)
    for bias in (0.0, -20.0, -50.0, -80.0, -90.0, -1e4, float(np.finfo(np.float32).min)):
        inp = x + np.where(masked, bias, 0).astype(np.float32)
        ms = []
        for s in (s_plain, s_floor):
            s.run(None, {"x": inp})
            t = time.perf_counter()
            for _ in range(20):
                s.run(None, {"x": inp})
            ms.append((time.perf_counter() - t) / 20 * 1e3)
        print(f"| {bias:g} | {ms[0]:.2f} | {ms[1]:.2f} |")


def feeds(tok, texts: list[str], names: set[str], bs: int) -> list[dict[str, np.ndarray]]:
    out = []
    for k in range(0, len(texts), bs):
        enc = tok.encode_batch(texts[k : k + bs])
        width = min(256, max(len(e.ids) for e in enc))
        ids = np.ones((len(enc), width), np.int64)
        mask = np.zeros((len(enc), width), np.int64)
        for i, e in enumerate(enc):
            n = min(width, len(e.ids))
            ids[i, :n], mask[i, :n] = e.ids[:n], 1
        f = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out.append({k: v for k, v in f.items() if k in names})
    return out


def table_graph(model_dir: Path, texts: list[str]) -> None:
    import onnx
    from tokenizers import Tokenizer

    a = session(model_dir / "model.onnx")
    b = session(floor_softmax(onnx.load(str(model_dir / "model.onnx")))[0])
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    names = {i.name for i in a.get_inputs()}
    print("\n| graph, batches | shipped s | floored s | speed-up | max abs diff |\n|---|---|---|---|---|")
    for bs in (16, 1):
        spent, worst = [0.0, 0.0], 0.0
        for i, f in enumerate(feeds(tok, texts, names, bs)):
            outs = [None, None]
            for j in (0, 1) if i % 2 else (1, 0):
                t = time.perf_counter()
                outs[j] = (a, b)[j].run(None, f)
                spent[j] += time.perf_counter() - t
            worst = max(worst, max(float(np.abs(x - y).max()) for x, y in zip(*outs, strict=True)))
        print(
            f"| {model_dir.name}, {bs} per run | {spent[0]:.2f} | {spent[1]:.2f} | {spent[0] / spent[1]:.2f}x | {worst:.1e} |"
        )


def floored_folder(src: Path, out: Path) -> Path:
    """A copy of the model folder ``src`` with the floored graph and its digest in the manifest."""
    import onnx

    shutil.copytree(src, out)
    onnx.save(floor_softmax(onnx.load(str(src / "model.onnx")))[0], str(out / "model.onnx"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["model.onnx"] = hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def table_guard(model_dir: Path, texts: list[str]) -> None:
    sys.path.insert(0, str(REPO / "inference"))
    from bastion import Guard

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floored_folder(model_dir, root / "pii")
        old = Guard.default(model_dir.parent, tasks=("pii",))
        new = Guard.default(root, tasks=("pii",))
        spent, same = [0.0, 0.0], 0
        for k in range(0, len(texts), 16):
            res = [None, None]
            for j in (0, 1) if (k // 16) % 2 else (1, 0):
                t = time.perf_counter()
                res[j] = (old, new)[j].check_many(texts[k : k + 16])
                spent[j] += time.perf_counter() - t
            same += sum(x.findings == y.findings for x, y in zip(*res, strict=True))
        print("\n| PII-only Guard, batches of 16 | shipped s | floored s | speed-up | same findings |")
        print(
            f"|---|---|---|---|---|\n| {len(texts)} texts | {spent[0]:.2f} | {spent[1]:.2f} | "
            f"{spent[0] / spent[1]:.2f}x | {same}/{len(texts)} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model-dir", default=str(REPO / "models" / "pii"), help="a batch-invariant model folder"
    )
    ap.add_argument("--data", default=str(REPO / "data" / "processed" / "pii" / "eval_presidio.parquet"))
    ap.add_argument("--texts", type=int, default=480)
    args = ap.parse_args()
    import pandas as pd

    texts = pd.read_parquet(args.data)["text"].astype(str).tolist()[: args.texts]
    table_softmax()
    table_graph(Path(args.model_dir), texts)
    table_guard(Path(args.model_dir), texts)


if __name__ == "__main__":
    main()
