"""Evaluate the shipped int8 injection model THROUGH the Guard on every eval-only set,
side by side with the heuristic fallback, the phrase blocklist, a TF-IDF + logistic
regression baseline trained on the same training data, and (if installed) the PyPI
package ``metatronnanoguard``.

    python -m bastion_training.evaluate_injection --params params.yaml

Writes ``reports/injection/metrics.json``, ``summary.md`` and plots. Thresholds come from
the model manifest (validation-calibrated); nothing here is tuned on eval data.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bastion_training.common import REPO_ROOT, load_params, log, write_json
from bastion_training.metrics import roc_auc, threshold_at_fpr, tpr_at_fpr

Scorer = Callable[[Sequence[str]], np.ndarray]


def set_group(name: str) -> str:
    """Which PIGuard-style bucket an eval set feeds."""
    n = name.lower()
    if "notinject" in n:
        return "over_defense"
    if "harm" in n:
        return "harmful_request"
    if "wildguard" in n or "xstest" in n:
        return "benign"
    if "jbc" in n:
        return "jbc_separate"
    if any(k in n for k in ("bipia", "jbb", "jailbreakbench", "tensor")):
        return "malicious"
    if "instructionwild" in n:
        return "benign_wild"
    if "deepset" in n:
        return "in_distribution"
    return "other"


def load_eval_sets(data_dir: Path) -> dict[str, pd.DataFrame]:
    sets: dict[str, pd.DataFrame] = {}
    for p in sorted(data_dir.glob("eval_*.parquet")):
        df = pd.read_parquet(p)
        name = p.stem[len("eval_") :]
        if "xstest" in name and "family" in df:
            # Unsafe XSTest rows are harmful requests (label 0 by policy): a separate bucket.
            harm = df["family"].astype(str).str.contains("harm")
            if harm.any():
                sets[f"{name}_unsafe_harmful"] = df[harm].reset_index(drop=True)
                df = df[~harm].reset_index(drop=True)
                name = f"{name}_safe"
        sets[name] = df.reset_index(drop=True)
    return sets


# -- systems -------------------------------------------------------------------------


def guard_scorer(guard) -> tuple[Scorer, Callable[[Sequence[str]], np.ndarray]]:
    """(scores, decisions) through ``Guard.check_many`` — what ships, with its thresholds."""

    def run(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        s, d = [], []
        for b in range(0, len(texts), 32):
            for r in guard.check_many(list(texts[b : b + 32])):
                s.append(r.injection_score or 0.0)
                d.append(r.is_injection)
        return np.array(s, dtype=np.float64), np.array(d, dtype=bool)

    return run


def tfidf_system(train: pd.DataFrame, val: pd.DataFrame, max_fpr: float):
    from bastion.normalize import normalize
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    feats = FeatureUnion(
        [
            ("w", TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)),
            (
                "c",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), min_df=3, max_features=200_000, sublinear_tf=True
                ),
            ),
        ]
    )
    pipe = make_pipeline(feats, LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced"))
    norm = lambda xs: [normalize(str(x)).text for x in xs]  # noqa: E731
    pipe.fit(norm(train["text"]), train["label"].astype(int))
    vp = pipe.predict_proba(norm(val["text"]))[:, 1]
    thr = max(0.5, threshold_at_fpr(val["label"].astype(int).to_numpy(), vp, max_fpr))

    def run(texts: Sequence[str]):
        s = pipe.predict_proba(norm(texts))[:, 1]
        return s, s >= thr

    return run, thr


def nanoguard_system():
    try:
        from nanoguard import NanoGuard
    except ImportError:
        return None
    g = NanoGuard(device="cpu")

    def run(texts: Sequence[str]):
        rs = g.scan_batch(list(texts))
        s = np.array([r.injection_score for r in rs], dtype=np.float64)
        return s, np.array([r.is_injection for r in rs], dtype=bool)

    return run


# -- metrics -------------------------------------------------------------------------


def piguard_summary(per_set: dict[str, Any]) -> dict[str, float | None]:
    """PIGuard's three numbers: accuracy on the over-defense and benign sets (all rows
    benign), and on the malicious sets the share of ATTACK rows caught (BIPIA-test also holds
    its clean documents; their false positives show in the per-set table)."""

    def weighted(group: str, key: str, weight: str) -> float | None:
        rows = [
            (r[key], r[weight]) for r in per_set.values() if r["group"] == group and key in r and r[weight]
        ]
        n = sum(w for _, w in rows)
        return sum(v * w for v, w in rows) / n if n else None

    return {
        "notinject_accuracy": weighted("over_defense", "accuracy", "n"),
        "benign_accuracy": weighted("benign", "accuracy", "n"),
        "malicious_accuracy": weighted("malicious", "tpr", "positives"),
    }


def evaluate_system(run, sets: dict[str, pd.DataFrame], cap: int | None) -> dict[str, Any]:
    per_set: dict[str, Any] = {}
    pooled_y, pooled_s = [], []
    total_t, total_n = 0.0, 0
    for name, df in sets.items():
        if cap and len(df) > cap:
            df = df.sample(n=cap, random_state=0)
        texts = df["text"].astype(str).tolist()
        y = df["label"].astype(int).to_numpy()
        t0 = time.perf_counter()
        s, d = run(texts)
        total_t += time.perf_counter() - t0
        total_n += len(texts)
        acc = float((d.astype(int) == y).mean()) if len(y) else float("nan")
        row: dict[str, Any] = {
            "n": int(len(y)),
            "positives": int(y.sum()),
            "accuracy": acc,
            "group": set_group(name),
        }
        if y.sum():
            row["tpr"] = float(d[y == 1].mean())
        if (y == 0).sum():
            row["fpr"] = float(d[y == 0].mean())
        if "family" in df and y.sum():
            # BIPIA families carry the attack category; report at task level (email/table/code).
            fam = df["family"].astype(str).map(lambda f: ":".join(f.split(":")[:2])).to_numpy()
            row["recall_by_family"] = {
                f: float(d[(fam == f) & (y == 1)].mean()) for f in sorted(set(fam[y == 1]))
            }
        per_set[name] = row
        if set_group(name) in ("over_defense", "benign", "malicious", "benign_wild", "in_distribution"):
            pooled_y.append(y)
            pooled_s.append(s)
    yy = np.concatenate(pooled_y) if pooled_y else np.zeros(0)
    ss = np.concatenate(pooled_s) if pooled_s else np.zeros(0)

    return {
        "per_set": per_set,
        "piguard": piguard_summary(per_set),
        "pooled": {
            "n": int(len(yy)),
            "auc": roc_auc(yy, ss) if len(yy) else None,
            "tpr_at_1pct_fpr": tpr_at_fpr(yy, ss, 0.01) if len(yy) else None,
        },
        "ms_per_text": 1000 * total_t / max(1, total_n),
        "_pooled_scores": (yy, ss),
    }


def obfuscation_recall(run, attacks: list[str], seed: int) -> dict[str, float]:
    from bastion_training.injection import augment

    out = {}
    for kind in augment.AUGMENTERS:
        texts = [augment.augment_text(t, kind, seed + i) for i, t in enumerate(attacks)]
        _, d = run(texts)
        out[kind] = float(d.mean())
    _, d = run(attacks)
    out["none"] = float(d.mean())
    return out


def single_latency(run, text: str, n: int = 30) -> float:
    run([text])
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        run([text])
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts) * 1000)


def plots(results: dict[str, Any], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for sys_name, r in results.items():
        y, s = r["_pooled_scores"]
        if len(y) == 0 or y.min() == y.max():
            continue
        order = np.argsort(-s)
        ys = y[order]
        tps = np.cumsum(ys)
        fps = np.cumsum(1 - ys)
        a1.plot(fps / max(1, fps[-1]), tps / max(1, tps[-1]), label=sys_name)
        prec = tps / np.arange(1, len(ys) + 1)
        a2.plot(tps / max(1, tps[-1]), prec, label=sys_name)
    a1.set_xscale("symlog", linthresh=0.01)
    a1.set(xlabel="FPR (pooled eval sets)", ylabel="TPR", title="ROC")
    a2.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    a1.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "roc_pr.png", dpi=110)
    files.append("roc_pr.png")
    plt.close(fig)
    names = list(next(iter(results.values()))["per_set"].keys())
    fig, ax = plt.subplots(figsize=(12, 4.5))
    w = 0.8 / max(1, len(results))
    for k, (sys_name, r) in enumerate(results.items()):
        ax.bar(np.arange(len(names)) + k * w, [r["per_set"][n]["accuracy"] for n in names], w, label=sys_name)
    ax.set_xticks(np.arange(len(names)) + 0.4, names, rotation=35, ha="right", fontsize=7)
    ax.set(ylabel="accuracy", title="Accuracy per eval set")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "per_set_accuracy.png", dpi=110)
    files.append("per_set_accuracy.png")
    plt.close(fig)
    return files


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    return f"{100 * v:.1f}" if isinstance(v, float) else str(v)


def history_rows(history_dir: Path) -> list[str]:
    """One summary row per earlier shipped version (``history/<version>.metrics.json``).

    Kept so each retrain shows what changed against the model it replaces, on the same sets.
    """
    rows = []
    for f in sorted(history_dir.glob("*.metrics.json")) if history_dir.exists() else []:
        data = json.loads(f.read_text(encoding="utf-8"))
        r = next(iter(data["systems"].values()))
        pg, per = r["piguard"], r["per_set"]
        rows.append(
            f"| {data['meta'].get('version', f.name)} | {_fmt(pg['notinject_accuracy'])} | "
            f"{_fmt(pg['benign_accuracy'])} | {_fmt(per.get('wildguard', {}).get('accuracy'))} | "
            f"{_fmt(pg['malicious_accuracy'])} | {_fmt(per.get('jbb', {}).get('accuracy'))} | "
            f"{_fmt(per.get('bipia_test', {}).get('fpr'))} | {_fmt(r['pooled']['auc'])} | "
            f"{_fmt(r['pooled']['tpr_at_1pct_fpr'])} |"
        )
    return rows


def markdown(
    results: dict[str, Any],
    obf: dict[str, dict[str, float]],
    meta: dict[str, Any],
    history: list[str] | None = None,
) -> str:
    systems = list(results)
    lines = [
        "# Injection classifier — evaluation",
        "",
        f"Model: `models/injection` version `{meta['version']}` (int8 ONNX, run through `Guard`). "
        f"Thresholds from validation: {meta['thresholds']}. All sets below are eval-only (never trained on). "
        f"Rows per set: up to {meta['caps']['default'] or 'all'}; the slow baseline (metatronnanoguard) is "
        f"scored on a seeded sample of up to {meta['caps']['slow']} rows per set.",
        "",
        "## PIGuard-style summary (accuracy, %)",
        "",
        "| system | NotInject (over-defense) | benign (WildGuard + XSTest-safe) | malicious (BIPIA + JBB + Tensor Trust) | pooled AUC | pooled TPR @1% FPR | ms/text (batched) | ms single text |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in systems:
        r = results[s]
        pg = r["piguard"]
        lines.append(
            f"| {s} | {_fmt(pg['notinject_accuracy'])} | {_fmt(pg['benign_accuracy'])} | "
            f"{_fmt(pg['malicious_accuracy'])} | {_fmt(r['pooled']['auc'])} | {_fmt(r['pooled']['tpr_at_1pct_fpr'])} | "
            f"{r['ms_per_text']:.2f} | {r.get('ms_single', float('nan')):.2f} |"
        )
    lines += [
        "",
        "Published for comparison (PIGuard paper): PIGuard 87.3 / 85.7 / 77.4; ProtectAI v2 NotInject 57.2; "
        "Lakera Guard NotInject 87.6.",
        "",
    ]
    if history:
        r0 = results[systems[0]]
        pg0, per0 = r0["piguard"], r0["per_set"]
        current = (
            f"| {meta['version']} (this model) | {_fmt(pg0['notinject_accuracy'])} | {_fmt(pg0['benign_accuracy'])} | "
            f"{_fmt(per0.get('wildguard', {}).get('accuracy'))} | {_fmt(pg0['malicious_accuracy'])} | "
            f"{_fmt(per0.get('jbb', {}).get('accuracy'))} | {_fmt(per0.get('bipia_test', {}).get('fpr'))} | "
            f"{_fmt(r0['pooled']['auc'])} | {_fmt(r0['pooled']['tpr_at_1pct_fpr'])} |"
        )
        lines += [
            "## Against earlier shipped versions (same sets, %)",
            "",
            "| version | NotInject | benign | WildGuard | malicious | JBB | BIPIA clean-doc FPR | pooled AUC | TPR @1% FPR |",
            "|---|---|---|---|---|---|---|---|---|",
            *history,
            current,
            "",
        ]
    lines += [
        "## Per set",
        "",
        "| set | group | n | " + " | ".join(f"{s} acc" for s in systems) + " |",
        "|---|---|---|" + "---|" * len(systems),
    ]
    for name, row in results[systems[0]]["per_set"].items():
        lines.append(
            f"| {name} | {row['group']} | {row['n']} | "
            + " | ".join(_fmt(results[s]["per_set"][name]["accuracy"]) for s in systems)
            + " |"
        )
    lines += [
        "",
        "Harmful-request sets (label 0 by the label policy: content moderation, not injection) show the share "
        "NOT flagged as injection.",
        "",
        "## Recall under obfuscation (eval attacks, %)",
        "",
    ]
    if obf:
        kinds = list(next(iter(obf.values())))
        lines += ["| system | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
        for s, row in obf.items():
            lines.append(f"| {s} | " + " | ".join(_fmt(row[k]) for k in kinds) + " |")
    main = results[systems[0]]["per_set"]
    fam_rows = [(n, f, v) for n, r in main.items() for f, v in (r.get("recall_by_family") or {}).items()]
    if fam_rows:
        lines += [
            "",
            f"## Recall per attack family ({systems[0]})",
            "",
            "| set | family | recall |",
            "|---|---|---|",
        ]
        lines += [f"| {n} | {f} | {_fmt(v)} |" for n, f, v in fam_rows]
    return "\n".join(lines) + "\n"


def rewrite_summary(out_dir: Path) -> int:
    data = json.loads((out_dir / "metrics.json").read_text())
    for r in data["systems"].values():
        r["piguard"] = piguard_summary(r["per_set"])
    write_json(out_dir / "metrics.json", data)
    md = markdown(
        data["systems"], data["obfuscation_recall"], data["meta"], history_rows(out_dir / "history")
    )
    (out_dir / "summary.md").write_text(md, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/injection"))
    ap.add_argument("--model", default=str(REPO_ROOT / "models/injection"))
    ap.add_argument("--out", default=str(REPO_ROOT / "reports/injection"))
    ap.add_argument("--cap", type=int, default=None, help="max rows per set (all by default)")
    ap.add_argument("--slow-cap", type=int, default=200, help="rows per set for slow baselines")
    ap.add_argument(
        "--rewrite-summary",
        action="store_true",
        help="recompute the summary and markdown from an existing metrics.json (no scoring)",
    )
    ap.add_argument(
        "--no-baselines",
        action="store_true",
        help="score only the model (for experiments: the baselines' numbers do not change)",
    )
    args = ap.parse_args(argv)
    if args.rewrite_summary:
        return rewrite_summary(Path(args.out))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    params = load_params(args.params)
    from bastion import Guard
    from bastion.detectors import build_detector

    data_dir, out_dir = Path(args.data), Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sets = load_eval_sets(data_dir)
    if not sets:
        raise SystemExit(f"no eval_*.parquet in {data_dir}: run the prepare stage first")
    train = pd.read_parquet(data_dir / "train.parquet")
    val = pd.read_parquet(data_dir / "val.parquet")
    # The shipped int8 model through the same Guard class and thresholds the runtime uses;
    # PII detectors are left out so the latency column compares injection detectors only.
    model_guard = Guard([build_detector("onnx_injection", path=Path(args.model))])
    manifest = json.loads((Path(args.model) / "manifest.json").read_text())
    systems: dict[str, Any] = {"bastion int8 (Guard)": guard_scorer(model_guard)}
    tfidf_thr, slow = None, set()
    if not args.no_baselines:
        systems["heuristic fallback"] = guard_scorer(Guard([build_detector("heuristic_injection")]))
        systems["phrase blocklist"] = guard_scorer(Guard([build_detector("blocklist")]))
        tfidf, tfidf_thr = tfidf_system(
            train, val, float(params["train_injection"].get("default_max_fpr", 0.03))
        )
        systems["tfidf+logreg"] = tfidf
        ng = nanoguard_system()
        if ng:
            slow = {"metatronnanoguard"}
            systems["metatronnanoguard"] = ng
    results, obf = {}, {}
    probe = (
        "Please summarise the following customer email and list any action items for the support team today."
    )
    attacks = pd.concat([df[df["label"] == 1] for n, df in sets.items() if set_group(n) == "malicious"])
    attacks = attacks.sample(n=min(300, len(attacks)), random_state=0)["text"].astype(str).tolist()
    for name, run in systems.items():
        log.info("evaluating %s", name)
        cap = args.slow_cap if name in slow else args.cap
        results[name] = evaluate_system(run, sets, cap)
        results[name]["ms_single"] = single_latency(run, probe, 10 if name in slow else 30)
        try:
            obf[name] = obfuscation_recall(run, attacks[: (60 if name in slow else len(attacks))], 0)
        except (ImportError, AttributeError) as exc:
            log.warning("obfuscation eval skipped: %s", exc)
        log.info("%s: %s %s", name, results[name]["piguard"], results[name]["pooled"])
    meta = {
        "version": manifest["version"],
        "thresholds": manifest.get("thresholds"),
        "tfidf_threshold": tfidf_thr,
        "caps": {"default": args.cap, "slow": args.slow_cap},
    }
    files = plots(results, out_dir)
    clean = {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")} for k, v in results.items()}
    write_json(
        out_dir / "metrics.json", {"meta": meta, "systems": clean, "obfuscation_recall": obf, "plots": files}
    )
    md = markdown(results, obf, meta, history_rows(out_dir / "history"))
    (out_dir / "summary.md").write_text(md, encoding="utf-8")
    try:
        import mlflow  # noqa: F401

        from bastion_training.common import mlflow_run, register_model_folder

        with mlflow_run("injection-eval", {"model_version": manifest["version"]}) as mlf:
            if mlf:
                pg = clean["bastion int8 (Guard)"]["piguard"]
                mlf.log_metrics({k: v for k, v in pg.items() if v is not None})
                mlf.log_artifacts(str(out_dir), artifact_path="report")
                reg = register_model_folder(mlf, Path(args.model), "bastion-injection", manifest["version"])
                log.info("registered bastion-injection version %s (%s)", reg, manifest["version"])
    except Exception as exc:  # tracking must never fail the evaluation
        log.warning("mlflow logging failed: %s", exc)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
