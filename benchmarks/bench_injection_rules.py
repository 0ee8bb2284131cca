"""Heuristic injection detector vs the naive phrase blocklist on the eval-only sets.

    python benchmarks/bench_injection_rules.py [--datasets-root PATH] [--batch 64]
    python benchmarks/bench_injection_rules.py --growth [--n 50000] [--shapes newlines,ignore]

Every text goes through ``bastion.Guard([detector])`` so the numbers include the
normalisation and policy that ship. Reports the flag rate per set: false-positive rate
on benign sets (NotInject, XSTest safe rows, deepset label 0) and recall on attack sets
(deepset label 1, JailbreakBench PAIR / GCG / random search / DSN prompts), plus
throughput in texts/s. These sets are eval-only: never tune rules on their rows.

``--growth`` instead times each detector on adversarial texts (newlines, digit runs,
repeated keywords...: the shapes ``tests/test_redos.py`` checks, or those ``--shapes``
names) of n and 2n characters, calls interleaved, min of 3, and prints the ratio: ~2 is
linear, ~4 quadratic (issue 11: 8,000 newlines took 8 s before the role-marker rules
were made linear).

Datasets root: ``$BASTION_DATASETS_ROOT``, else ``datasets_root`` in params.yaml, else
``../shared/datasets``; relative paths are relative to the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from bastion import Guard
from bastion.detectors import Detector
from bastion.detectors.blocklist import PhraseBlocklistDetector
from bastion.detectors.heuristic import HeuristicInjectionDetector

REPO_ROOT = Path(__file__).resolve().parents[1]
JBB_METHODS = ("PAIR", "GCG", "prompt_with_random_search", "DSN")


@dataclass(frozen=True)
class EvalSet:
    name: str
    kind: str  # "benign" -> report FPR, "attack" -> report recall
    texts: tuple[str, ...]


def resolve_root(cli: str | None) -> Path:
    raw = cli or os.environ.get("BASTION_DATASETS_ROOT")
    if not raw:
        params = REPO_ROOT / "params.yaml"
        data = yaml.safe_load(params.read_text(encoding="utf-8")) if params.is_file() else None
        raw = (data or {}).get("datasets_root") or "../shared/datasets"
    root = Path(raw).expanduser()
    return root if root.is_absolute() else (REPO_ROOT / root).resolve()


def _notinject(root: Path) -> list[EvalSet]:
    texts: list[str] = []
    for part in ("one", "two", "three"):
        rows = json.loads(
            (root / f"injection/PIGuard/datasets/NotInject_{part}.json").read_text(encoding="utf-8")
        )
        texts += [r["prompt"] for r in rows if isinstance(r.get("prompt"), str)]
    return [EvalSet("NotInject (1+2+3)", "benign", tuple(texts))]


def _xstest(root: Path) -> list[EvalSet]:
    import pandas as pd

    df = pd.read_csv(root / "injection/exaggerated-safety/xstest_prompts.csv")
    safe = df[df["label"] == "safe"]["prompt"].dropna().astype(str)
    return [EvalSet("XSTest safe", "benign", tuple(safe))]


def _deepset(root: Path) -> list[EvalSet]:
    import pandas as pd

    files = sorted((root / "injection/llm-security-prompt-injection/data/raw").glob("test-*.parquet"))
    if not files:
        raise FileNotFoundError("deepset test-*.parquet")
    df = pd.concat([pd.read_parquet(f) for f in files])
    return [
        EvalSet("deepset test label 0", "benign", tuple(df[df["label"] == 0]["text"].astype(str))),
        EvalSet("deepset test label 1", "attack", tuple(df[df["label"] == 1]["text"].astype(str))),
    ]


def _jbb(root: Path) -> list[EvalSet]:
    out = []
    base = root / "injection/jailbreakbench-artifacts/attack-artifacts"
    for method in JBB_METHODS:
        texts: list[str] = []
        for f in sorted((base / method).rglob("*.json")):
            if f.name == "attack-info.json":
                continue
            data = json.loads(f.read_text(encoding="utf-8"))
            for entry in data.get("jailbreaks") or []:
                if isinstance(entry.get("prompt"), str):
                    texts.append(entry["prompt"])
        if not texts:
            raise FileNotFoundError(f"no prompts under {base / method}")
        out.append(EvalSet(f"JailbreakBench {method}", "attack", tuple(texts)))
    return out


LOADERS: tuple[Callable[[Path], list[EvalSet]], ...] = (_notinject, _xstest, _deepset, _jbb)


def flag_rate(guard: Guard, texts: Sequence[str], batch: int) -> tuple[float, float]:
    """(fraction flagged as injection, CPU seconds).

    CPU time rather than wall time: the benchmark often shares the machine with a
    training job, and CPU time is what the detector itself costs.
    """
    flagged = 0
    t0 = time.process_time()
    for i in range(0, len(texts), batch):
        flagged += sum(r.is_injection for r in guard.check_many(texts[i : i + batch]))
    return flagged / max(1, len(texts)), time.process_time() - t0


def redos_shapes() -> dict[str, str]:
    """Name -> repeated unit: the adversarial shapes ``tests/test_redos.py`` holds every
    runtime regex and detector to, so the benchmark times the same texts the test guards."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("test_redos", REPO_ROOT / "tests" / "test_redos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.SHAPES)


def growth_table(fns: dict[str, Callable[[str], object]], n: int, shapes: dict[str, str]) -> None:
    """Print seconds at n and 2n characters and their ratio, per shape and detector."""
    import gc

    print(f"{'shape':<20} {'detector':<10} {'t(n) ms':>9} {'t(2n) ms':>9} {'ratio':>6}   (n={n})")
    for shape, unit in shapes.items():
        small = (unit * (n // len(unit) + 1))[:n]
        big = (unit * (2 * n // len(unit) + 1))[: 2 * n]
        for name, fn in fns.items():
            best = [float("inf"), float("inf")]
            gc.disable()
            try:
                for _ in range(3):
                    for k, text in enumerate((small, big)):
                        t0 = time.perf_counter()
                        fn(text)
                        best[k] = min(best[k], time.perf_counter() - t0)
            finally:
                gc.enable()
            ratio = best[1] / max(best[0], 1e-9)
            print(f"{shape:<20} {name:<10} {best[0] * 1e3:>9.2f} {best[1] * 1e3:>9.2f} {ratio:>6.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets-root", default=None)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--growth", action="store_true", help="time growth on adversarial texts instead")
    ap.add_argument("--n", type=int, default=50_000, help="--growth: base text length")
    ap.add_argument(
        "--shapes", help="--growth: comma-separated shape names (default: all of tests/test_redos.py)"
    )
    args = ap.parse_args(argv)
    if args.growth:
        shapes = redos_shapes()
        if args.shapes:
            names = args.shapes.split(",")
            unknown = [n for n in names if n not in shapes]
            if unknown:
                ap.error(f"unknown shape(s) {', '.join(unknown)}; see SHAPES in tests/test_redos.py")
            shapes = {n: shapes[n] for n in names}
        heur, block = HeuristicInjectionDetector(), PhraseBlocklistDetector()
        fns = {"heuristic": lambda t: heur.detect([t]), "blocklist": lambda t: block.detect([t])}
        growth_table(fns, args.n, shapes)
        return 0

    root = resolve_root(args.datasets_root)
    sets: list[EvalSet] = []
    for loader in LOADERS:
        try:
            sets += loader(root)
        except (OSError, ValueError, KeyError) as exc:
            print(f"skipping {loader.__name__.lstrip('_')}: {exc}", file=sys.stderr)
    if not sets:
        print(f"no eval sets found under {root}", file=sys.stderr)
        return 1

    detectors: dict[str, Detector] = {
        "blocklist": PhraseBlocklistDetector(),
        "heuristic": HeuristicInjectionDetector(),
    }
    guards = {name: Guard([d]) for name, d in detectors.items()}
    totals = {name: [0, 0.0] for name in detectors}

    header = f"{'set':<42} {'n':>5} {'metric':<7} " + " ".join(f"{n:>10}" for n in detectors)
    print(f"datasets root: {root}")
    print(header)
    print("-" * len(header))
    for s in sets:
        cells = []
        for name, guard in guards.items():
            rate, secs = flag_rate(guard, s.texts, args.batch)
            totals[name][0] += len(s.texts)
            totals[name][1] += secs
            cells.append(f"{rate:>10.3f}")
        metric = "FPR" if s.kind == "benign" else "recall"
        print(f"{s.name:<42} {len(s.texts):>5} {metric:<7} " + " ".join(cells))
    print("-" * len(header))
    speed = " ".join(f"{n / max(secs, 1e-9):>10.0f}" for n, secs in totals.values())
    print(f"{'throughput (texts/s of CPU, Guard.check_many)':<56} {speed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
