"""Tool outputs checked as flat text vs as ``tool`` messages (issue 16).

    python -m bastion_training.evaluate_tool_role [--model models/injection] [--cap 300]

For every row of the agent / tool-output eval frames (``eval_tool_outputs_heldout``,
``eval_injecagent_heldout``, ``eval_injecagent_wrappers``; eval-only, never trained on),
the same text is checked two ways through the same Guard:

- flat: ``guard.check(text)`` (the ``default`` operating point, as a user message);
- tool role: ``guard.check_messages([user request, {"role": "tool", "content": text}])``,
  which checks the tool output at the model's ``indirect`` operating point when it has one.

Prints recall on the injected rows and the false-positive rate on the benign rows, per set.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from bastion_training.common import REPO_ROOT

SETS = ("eval_tool_outputs_heldout", "eval_injecagent_heldout", "eval_injecagent_wrappers")
REQUEST = {"role": "user", "content": "Please go ahead with my request using the tool."}


def rates(y: np.ndarray, flagged: np.ndarray) -> tuple[float | None, float | None]:
    """(recall on label 1, FPR on label 0); None where a class is absent.

    >>> rates(np.array([1, 1, 0, 0]), np.array([True, False, True, False]))
    (0.5, 0.5)
    """
    pos, neg = y == 1, y == 0
    rec = float(flagged[pos].mean()) if pos.any() else None
    fpr = float(flagged[neg].mean()) if neg.any() else None
    return rec, fpr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/injection"))
    ap.add_argument("--model", default=str(REPO_ROOT / "models/injection"))
    ap.add_argument("--cap", type=int, default=300, help="max rows per set (seeded sample)")
    args = ap.parse_args(argv)
    from bastion import Guard
    from bastion.detectors import build_detector

    guard = Guard([build_detector("onnx_injection", path=Path(args.model))])
    table = getattr(guard.detectors[0], "thresholds", {})
    print(f"model {args.model}: operating points {table}")
    print("| set | rows (inj / benign) | flat recall | tool-role recall | flat FPR | tool-role FPR |")
    print("|---|---|---|---|---|---|")
    for name in SETS:
        path = Path(args.data) / f"{name}.parquet"
        if not path.exists():
            continue
        df = pd.read_parquet(path)
        if args.cap and len(df) > args.cap:
            df = df.sample(n=args.cap, random_state=0)
        texts = df["text"].astype(str).tolist()
        y = df["label"].astype(int).to_numpy()
        flat = np.array([r.is_injection for r in guard.check_many(texts)])
        tool = np.array(
            [
                guard.check_messages([REQUEST, {"role": "tool", "content": t}])
                .messages[-1]
                .result.is_injection
                for t in texts
            ]
        )
        (fr, ff), (tr, tf) = rates(y, flat), rates(y, tool)

        def pct(v: float | None) -> str:
            return "–" if v is None else f"{100 * v:.1f}"

        print(
            f"| {name.removeprefix('eval_')} | {int(y.sum())} / {int((y == 0).sum())} | {pct(fr)} | {pct(tr)} "
            f"| {pct(ff)} | {pct(tf)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
