"""Compare evaluation reports of two or more model versions, set by set, on the same rows.

The shipped model is replaced only when a candidate beats it on the eval sets, and the
one-pass issue allows no set to drop by more than a point: this prints the side-by-side
tables that decision reads (markdown), and with ``--gate`` exits 1 when any set of the
last report drops below the first by more than ``--max-drop`` points.

Each report is an ``evaluate_injection`` or ``evaluate_pii`` output folder (its
``metrics.json``) or a metrics file (``reports/pii/history/<version>.metrics.json``); name
them ``name=folder``, the reference first::

    python -m bastion_training.compare_reports injection shipped=reports/injection \\
        candidate=artifacts/reports/run8
    python -m bastion_training.compare_reports pii shipped=reports/pii candidate=/tmp/pii --gate

Injection sets compare by accuracy (%), PII sets by micro F1 at IoU >= 0.5 (x 100, so
both read in points). Sets missing from a report are left out of that row's delta, and
with ``--gate`` a set the reference scores but the last report did not measure on as many
rows (missing, empty, NaN) fails the gate like a drop.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INJECTION_SYSTEM = "bastion int8 (Guard)"
PII_SYSTEM_PREFIX = "bastion (NER"


@dataclass(frozen=True)
class Report:
    """One named report: per-set scores in points, plus the task's headline numbers."""

    name: str
    sets: Mapping[str, float]
    sizes: Mapping[str, int]
    headline: Mapping[str, float | None]


def _system(metrics: Mapping[str, Any], task: str) -> Mapping[str, Any]:
    systems = metrics.get("systems", {})
    if task == "injection":
        if INJECTION_SYSTEM not in systems:
            raise SystemExit(f"no {INJECTION_SYSTEM!r} system in the report")
        return systems[INJECTION_SYSTEM]
    key = next((k for k in systems if k.startswith(PII_SYSTEM_PREFIX)), None)
    if key is None:
        raise SystemExit(f"no {PII_SYSTEM_PREFIX!r}... system in the report")
    return systems[key]


def load_report(task: str, name: str, folder: Path) -> Report:
    """The scores of ``folder/metrics.json`` for ``task`` (``injection`` or ``pii``); ``folder``
    may also be a metrics file itself (an archived ``history/<version>.metrics.json``)."""
    path = folder if folder.suffix == ".json" else folder / "metrics.json"
    if not path.is_file():
        raise SystemExit(f"{name}: {path} not found")
    system = _system(json.loads(path.read_text(encoding="utf-8")), task)
    if task == "injection":
        per_set = system.get("per_set", {})
        sets = {k: 100.0 * v["accuracy"] for k, v in per_set.items() if v.get("accuracy") is not None}
        sizes = {k: int(v.get("n", 0)) for k, v in per_set.items()}
        headline = {
            k: v for k, v in system.get("targets", {}).items() if isinstance(v, (int, float)) or v is None
        }
    else:
        per_set = system.get("sets", {})
        sets = {k: 100.0 * v["iou"]["micro"]["f1"] for k, v in per_set.items() if v and "iou" in v}
        sizes = {k: int(v.get("n", 0)) for k, v in per_set.items() if v and "iou" in v}
        headline = {
            "fp_per_1k_benign_prompts": system.get("fp_benign_prompts", {}).get("fp_per_1k_tokens"),
            "fp_per_1k_pii_free_generator": system.get("fp_pii_free_generator", {}).get("fp_per_1k_tokens"),
            "natural_questions_changed": system.get("default_policy_changes", {})
            .get("natural_questions", {})
            .get("changed"),
        }
    return Report(name, sets, sizes, headline)


def _fmt(v: float | None, key: str = "") -> str:
    """A headline number as the reports print it: injection targets are fractions (shown
    in %), calibration errors and false-positive rates keep three decimals, counts none."""
    if v is None:
        return "–"
    if key.startswith(("ece", "fp_per_1k")):
        return f"{v:.3f}"
    if key.endswith("changed"):
        return f"{v:.0f}"
    return f"{100 * v:.1f}"


def drops(reports: Sequence[Report], max_drop: float) -> list[tuple[str, float]]:
    """Sets where the last report scores more than ``max_drop`` points below the first.

    >>> a = Report("a", {"x": 90.0, "y": 80.0}, {}, {})
    >>> b = Report("b", {"x": 88.5, "y": 80.5}, {}, {})
    >>> drops([a, b], 1.0)
    [('x', -1.5)]
    """
    first, last = reports[0], reports[-1]
    out = []
    for k, v in first.sets.items():
        if k in last.sets and last.sets[k] - v < -max_drop:
            out.append((k, round(last.sets[k] - v, 3)))
    return out


def unmeasured(reports: Sequence[Report]) -> list[str]:
    """Sets the reference scores that the last report did not measure on the same rows:
    missing, empty, NaN, or scored on another number of rows. Each fails the gate: a
    candidate with an empty eval set (a damaged data copy) once passed it untested.

    >>> a = Report("a", {"x": 90.0, "y": 80.0, "z": 70.0}, {"x": 10, "y": 10, "z": 10}, {})
    >>> b = Report("b", {"x": float("nan"), "z": 70.0}, {"x": 0, "z": 12}, {})
    >>> unmeasured([a, b])
    ['x: not measured (n 0)', 'y: not measured', 'z: 12 rows, the reference 10']
    """
    first, last = reports[0], reports[-1]
    out = []
    for k in first.sets:
        if first.sizes.get(k, 1) == 0:
            continue
        score, n = last.sets.get(k), last.sizes.get(k)
        if score is None or math.isnan(score) or n == 0:
            out.append(f"{k}: not measured" + (f" (n {n})" if n is not None else ""))
        elif n is not None and k in first.sizes and n != first.sizes[k]:
            out.append(f"{k}: {n} rows, the reference {first.sizes[k]}")
    return out


def markdown(task: str, reports: Sequence[Report], max_drop: float) -> str:
    """The headline table, the per-set table with the last-minus-first delta, and a count."""
    names = [r.name for r in reports]
    lines = [f"| {'target' if task == 'injection' else 'measure'} | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for key in reports[0].headline:
        lines.append(f"| {key} | " + " | ".join(_fmt(r.headline.get(key), key) for r in reports) + " |")
    unit = "accuracy %" if task == "injection" else "micro F1 x 100, IoU >= 0.5"
    lines += ["", f"| set ({unit}) | n | " + " | ".join(names) + " | Δ last - first |"]
    lines.append("|---|---|" + "---|" * (len(names) + 1))
    better = worse = 0
    for k in reports[0].sets:
        vals = [r.sets.get(k) for r in reports]
        delta = None if vals[-1] is None or vals[0] is None else vals[-1] - vals[0]
        if delta is not None:
            better += delta > max_drop
            worse += delta < -max_drop
        cells = " | ".join("–" if v is None else f"{v:.1f}" for v in vals)
        lines.append(
            f"| {k} | {reports[0].sizes.get(k, '')} | {cells} | {'–' if delta is None else f'{delta:+.1f}'} |"
        )
    lines += [
        "",
        f"{reports[-1].name} vs {reports[0].name}: {better} sets up and {worse} down by more than {max_drop:g} point(s).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=("injection", "pii"))
    ap.add_argument(
        "reports", nargs="+", metavar="NAME=FOLDER", help="evaluation output folders, reference first"
    )
    ap.add_argument("--max-drop", type=float, default=1.0, help="points a set may lose (default 1)")
    ap.add_argument("--gate", action="store_true", help="exit 1 when a set of the last report drops by more")
    args = ap.parse_args(argv)
    if len(args.reports) < 2:
        ap.error("give at least two reports")
    specs = [spec.partition("=") for spec in args.reports]
    for spec, (name, sep, folder) in zip(args.reports, specs, strict=True):
        if not sep or not name or not folder:
            ap.error(f"expected NAME=FOLDER, got {spec!r}")
    reports = [load_report(args.task, name, Path(folder)) for name, _, folder in specs]
    sys.stdout.write(markdown(args.task, reports, args.max_drop))
    bad = drops(reports, args.max_drop)
    if bad:
        sys.stdout.write("\ndrops: " + ", ".join(f"{k} {d:+.1f}" for k, d in bad) + "\n")
    missing = unmeasured(reports)
    if missing:
        sys.stdout.write("\nnot compared on the same rows: " + "; ".join(missing) + "\n")
    return 1 if args.gate and (bad or missing) else 0


if __name__ == "__main__":
    sys.exit(main())
