"""Hard-negative mining round: score the train-role benign pool with a trained model and keep
its false positives as extra label-0 train rows for the next round (issue 12, item 4).

    python -m bastion_training.injection.mine --model artifacts/models/injection_e5r2 \\
        --params params.yaml --k 1500

writes ``data/processed/injection/mined.parquet`` (text, label 0, source, family
``mined_hard_negative``, lang, group, split ``train``, score, ``mined_by`` = model version);
``train_injection.mined: true`` appends it to train. The pool is train-split groups only
(:func:`~bastion_training.injection.engine.mining_pool`); train, val and every eval-only
text are excluded, so mining never moves a val or eval text into train.

The model is scored through the runtime's ONNX detector (max over windows, as shipped);
length-bucketed batches are fine here because only the ranking matters.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import pandas as pd

from bastion_training.config import REPO_ROOT, datasets_root, load_params, seed_of

log = logging.getLogger("bastion_training.injection.mine")


def sample_pool(pool: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """At most ``cap`` rows, every source keeping its share (a source smaller than its share
    is kept whole, the rest is spread over the larger ones)."""
    if len(pool) <= cap:
        return pool
    sizes = pool["source"].value_counts()
    budget, take = cap, {}
    for i, (src, n) in enumerate(sizes.sort_values().items()):
        share = budget // (len(sizes) - i)
        take[src] = min(int(n), share)
        budget -= take[src]
    parts = [g.sample(n=take[s], random_state=seed) for s, g in pool.groupby("source")]
    return pd.concat(parts).reset_index(drop=True)


def mine(
    model_dir: Path, params: dict, data_dir: Path, k: int, pool_cap: int, threshold: float | None
) -> pd.DataFrame:
    from bastion.detectors.onnx_classifier import OnnxInjectionDetector
    from bastion.normalize import normalize

    from bastion_training.injection.engine import mining_pool
    from bastion_training.injection.negatives import mine_hard_negatives

    seed = seed_of(params)
    root = datasets_root(params)
    pool = sample_pool(mining_pool(params, root, seed), pool_cap, seed)
    exclude: list[str] = []
    for f in sorted(data_dir.glob("*.parquet")):
        if f.name != "mined.parquet":
            exclude += pd.read_parquet(f, columns=["text"])["text"].astype(str).tolist()
    det = OnnxInjectionDetector.load(model_dir, batch_invariant=False)
    cut = det.thresholds.get("default", 0.5) if threshold is None else threshold
    t0 = time.time()
    # the model reads text as the Guard gives it: normalised with the fold it was trained with
    texts = pool["text"].astype(str).tolist()
    seen = [normalize(t, homoglyphs=det.homoglyphs).text for t in texts]
    scores = []
    for i in range(0, len(seen), 256):
        scores += [s for s, _, _ in det.scores(seen[i : i + 256])]
        if i % 2560 == 0:
            log.info("scored %d/%d (%.0fs)", i + 256, len(texts), time.time() - t0)
    hits = sum(s >= cut for s in scores)
    log.info(
        "pool %d texts: %d score >= %.3f (%.1f%%)", len(texts), hits, cut, 100 * hits / max(1, len(texts))
    )
    out = mine_hard_negatives(texts, scores, k, threshold=cut, exclude=exclude, langs=pool["lang"].tolist())
    src = dict(zip(pool["text"], pool["source"], strict=False))
    out["source"] = [f"mined:{src.get(t, 'pool')}" for t in out["text"]]
    out["mined_by"] = det.version
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="an exported int8 injection model folder")
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/injection"))
    ap.add_argument("--k", type=int, default=1500, help="at most this many mined rows")
    ap.add_argument("--pool-cap", type=int, default=30000, help="texts scored (sampled per source)")
    ap.add_argument("--threshold", type=float, default=None, help="default: the model's default threshold")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    data = Path(args.data)
    out = mine(Path(args.model), load_params(args.params), data, args.k, args.pool_cap, args.threshold)
    out.to_parquet(data / "mined.parquet", index=False)
    log.info(
        "mined %d hard negatives -> %s; by source %s",
        len(out),
        data / "mined.parquet",
        out["source"].value_counts().to_dict(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
