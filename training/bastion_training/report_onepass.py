"""The one-pass student against its two teachers (issue 17): every eval set of both
evaluations side by side, the issue's "no set drops more than 1 point" rule per set, the
latency ratios against the issue's targets, a quality-vs-latency curve and the model card.

    python -m bastion_training.report_onepass \\
        --student-injection reports/onepass/injection \\
        --teacher-injection reports/injection/experiments/v3_on_new_sets_r2 \\
        --student-pii reports/onepass/pii --teacher-pii reports/pii \\
        --latency bench.json [bench2.json ...] [--long-text long_text.md] [--api-rps 95.1] \\
        --manifest models/onepass/manifest.json \\
        [--point "4 layers:4:reports/onepass_l4/injection:reports/onepass_l4/pii:bench_l4.json" ...] \\
        --out reports/onepass [--card models/onepass/README.md]

The four evaluation inputs are report folders (``metrics.json`` with its ``timing.json``) or
``metrics.json`` files, as ``evaluate_injection`` and ``evaluate_pii`` write them; both sides
of a pair must be scored on the same rows (same ``--cap``). ``--latency`` takes the files
``benchmarks/bench_latency.py --only onepass --json PATH`` writes (several runs: the median
of each ratio). Nothing is evaluated here: the module only reads and compares.

Writes to ``--out``: ``summary.md``, ``comparison.json`` (the same numbers), ``curve.png``
and ``card.md`` (the model card; ``--card PATH`` writes it there instead, e.g.
``models/onepass/README.md``).

What is compared, teacher vs student, in points (percentage points; one false positive per
1k tokens for the FP rates):

* injection: accuracy on every eval set, and every issue-12 target metric
  (``evaluate_injection.TARGETS``: recalls, FPRs, flag rates, ECE; the latency ratio is
  reported with the latency, not as quality);
* PII (main system, ``bastion (NER int8 + regex, Guard.default)``): micro F1 (IoU ≥ 0.5) on
  every set, FP per 1k tokens on the false-positive sets, PERSON F1 per language.

A row is *worse by* more than the tolerance in the metric's own direction (a FPR or an ECE
that rises is worse); a set one side lacks is reported as missing, never as a drop.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bastion_training.common import log, log_progress, render_template, text_lines, write_json
from bastion_training.timing import METRICS_FILE, TIMING_FILE, merge_timings

TOLERANCE_POINTS = 1.0
PII_MAIN_SYSTEM = "bastion (NER int8 + regex, Guard.default)"
FP_SETS = {
    "fp_benign_prompts": "benign prompts (CyberSecEval FRR)",
    "fp_pii_free_generator": "generator hard negatives (PII-free)",
}
API_TODAY_RPS = 42.8
CURVE_FILE = "curve.png"

# the sections of rows; the first three are an eval set's own number (the rule's "set")
INJ_SETS = "accuracy per eval set"
INJ_TARGETS = "issue-12 target metrics"
PII_SETS = "micro F1 (IoU ≥ 0.5) per set"
PII_FP = "false positives per 1k tokens"
PII_LANGS = "PERSON F1 (IoU ≥ 0.5) per language"
SET_SECTIONS = (INJ_SETS, PII_SETS, PII_FP)

# issue 17's target table: (key, measure, the issue's "now", target, "max" = at most / "min" = at least)
TARGETS: tuple[tuple[str, str, str, float, str], ...] = (
    ("ratio_64", "full `Guard.check` p50 at 64 tokens ÷ one reference forward", "2.4×", 0.6, "max"),
    ("ratio_256", "full `Guard.check` p50 at 256 tokens ÷ one reference forward", "2.2×", 0.8, "max"),
    (
        "presidio_x",
        "full Guard throughput on Presidio's texts, × Presidio (same process)",
        "1.31×",
        4.0,
        "min",
    ),
    (
        "api_x",
        f"API at concurrency 32 (`bench_api.py`), req/s × today's {API_TODAY_RPS}",
        "1.00×",
        2.0,
        "min",
    ),
    (
        "quality_drops",
        "compared rows (sets, target metrics, languages) worse than the teachers by > the tolerance",
        "–",
        0,
        "max",
    ),
)


@dataclass(frozen=True)
class Row:
    """One compared number: ``teacher`` and ``student`` on the metric's own scale (fractions,
    or FP per 1k tokens); ``scale`` turns a difference into points.

    >>> r = Row("pii", "FP / 1k tokens", "fp_benign_prompts", 0.7, 1.9, lower_is_better=True, scale=1.0)
    >>> round(r.delta, 2), round(r.worse_by, 2), r.status(1.0)
    (1.2, 1.2, 'worse')
    """

    evaluation: str
    section: str
    name: str
    teacher: float | None
    student: float | None
    lower_is_better: bool = False
    scale: float = 100.0
    n_teacher: int | None = None
    n_student: int | None = None
    label: str = ""

    @property
    def delta(self) -> float | None:
        """student − teacher, in points (None when a side is missing)."""
        if self.teacher is None or self.student is None:
            return None
        return (self.student - self.teacher) * self.scale

    @property
    def worse_by(self) -> float | None:
        """How many points the student is worse in the metric's direction (negative: better)."""
        d = self.delta
        return None if d is None else (d if self.lower_is_better else -d)

    def status(self, tolerance: float) -> str:
        """``missing: student`` / ``missing: teacher`` / ``missing: both`` / ``worse`` / ``ok``."""
        if self.teacher is None or self.student is None:
            sides = [s for s, v in (("teacher", self.teacher), ("student", self.student)) if v is None]
            return "missing: " + (sides[0] if len(sides) == 1 else "both")
        return "worse" if self.worse_by > tolerance + 1e-9 else "ok"

    def to_dict(self, tolerance: float) -> dict[str, Any]:
        return {
            **asdict(self),
            "delta_points": self.delta,
            "worse_by": self.worse_by,
            "status": self.status(tolerance),
        }


# -- reading the inputs -------------------------------------------------------------------


def load_report(path: str | Path) -> dict[str, Any]:
    """An evaluation report: a folder (``metrics.json`` joined with its ``timing.json``) or a
    metrics file (joined with a ``timing.json`` beside it when it is a ``metrics.json``)."""
    p = Path(path)
    metrics = p / METRICS_FILE if p.is_dir() else p
    data = json.loads(metrics.read_text(encoding="utf-8"))
    timing = metrics.parent / TIMING_FILE
    if metrics.name == METRICS_FILE and timing.exists():
        data = merge_timings(data, json.loads(timing.read_text(encoding="utf-8")))
    return data


def main_system(report: Mapping[str, Any], preferred: str | None = None) -> tuple[str, dict[str, Any]]:
    """(name, result) of the report's system under test: ``preferred`` when present, else the
    first one (the evaluators put the model under test first)."""
    systems = report.get("systems") or {}
    if not systems:
        return "", {}
    name = preferred if preferred in systems else next(iter(systems))
    return name, systems[name]


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return None if math.isnan(x) else float(x)


def _union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """The keys of ``a`` in order, then those only in ``b``."""
    seen = list(dict.fromkeys(a))
    return seen + [k for k in dict.fromkeys(b) if k not in seen]


# -- the rows -------------------------------------------------------------------------------


def injection_rows(teacher: Mapping[str, Any], student: Mapping[str, Any]) -> list[Row]:
    """Per-set accuracy, then the issue-12 target metrics (the stored ``targets``, else
    recomputed from ``per_set`` as the injection report does)."""
    from bastion_training.evaluate_injection import TARGETS as ISSUE12_TARGETS
    from bastion_training.evaluate_injection import target_metrics

    t_sets, s_sets = teacher.get("per_set") or {}, student.get("per_set") or {}
    rows = [
        Row(
            "injection",
            INJ_SETS,
            name,
            _num((t_sets.get(name) or {}).get("accuracy")),
            _num((s_sets.get(name) or {}).get("accuracy")),
            n_teacher=(t_sets.get(name) or {}).get("n"),
            n_student=(s_sets.get(name) or {}).get("n"),
        )
        for name in _union(t_sets, s_sets)
    ]

    def targets(r: Mapping[str, Any]) -> dict[str, Any]:
        return {**(target_metrics(dict(r)) if r else {}), **(r.get("targets") or {})}

    tt, st = targets(teacher), targets(student)
    for key, label, _, _ in ISSUE12_TARGETS:
        if key == "latency_ratio":  # a timing, reported with the latency
            continue
        t, s = _num(tt.get(key)), _num(st.get(key))
        if t is None and s is None:
            continue  # a set neither evaluation has
        rows.append(
            Row(
                "injection",
                INJ_TARGETS,
                key,
                t,
                s,
                lower_is_better=key.startswith(("fpr:", "flag:", "ece")),
                label=label,
            )
        )
    return rows


def pii_rows(teacher: Mapping[str, Any], student: Mapping[str, Any]) -> list[Row]:
    """Micro F1 (IoU ≥ 0.5) per set, FP per 1k tokens on the false-positive sets, PERSON F1
    per language (pooled over the eval-only sets: the keys without ``/``)."""

    def f1(r: Mapping[str, Any], name: str) -> float | None:
        return _num((((r.get("sets") or {}).get(name) or {}).get("iou") or {}).get("micro", {}).get("f1"))

    def n(r: Mapping[str, Any], name: str) -> int | None:
        return ((r.get("sets") or {}).get(name) or {}).get("n")

    rows = [
        Row(
            "pii",
            PII_SETS,
            name,
            f1(teacher, name),
            f1(student, name),
            n_teacher=n(teacher, name),
            n_student=n(student, name),
        )
        for name in _union(teacher.get("sets") or {}, student.get("sets") or {})
    ]
    for key, label in FP_SETS.items():
        t, s = teacher.get(key), student.get(key)
        if t is None and s is None:
            continue
        rows.append(
            Row(
                "pii",
                PII_FP,
                key,
                _num((t or {}).get("fp_per_1k_tokens")),
                _num((s or {}).get("fp_per_1k_tokens")),
                lower_is_better=True,
                scale=1.0,
                n_teacher=(t or {}).get("texts"),
                n_student=(s or {}).get("texts"),
                label=label,
            )
        )
    t_lang, s_lang = teacher.get("person_by_lang") or {}, student.get("person_by_lang") or {}
    for lang in sorted(k for k in _union(t_lang, s_lang) if "/" not in k):
        t, s = t_lang.get(lang) or {}, s_lang.get(lang) or {}
        rows.append(
            Row(
                "pii",
                PII_LANGS,
                lang,
                _num(t.get("f1")),
                _num(s.get("f1")),
                n_teacher=t.get("support"),
                n_student=s.get("support"),
            )
        )
    return rows


def verdict(rows: Sequence[Row], tolerance: float) -> dict[str, Any]:
    """Counts of rows compared, worse by more than ``tolerance`` points, and missing on a
    side: overall, per evaluation, and for the eval sets' own numbers alone (``sets``:
    injection accuracy, PII micro F1, FP rates); ``met`` is the issue's rule (no row worse)."""

    def count(rs: Sequence[Row]) -> dict[str, Any]:
        st = [r.status(tolerance) for r in rs]
        return {
            "rows": len(rs),
            "compared": sum(s in ("ok", "worse") for s in st),
            "drops": st.count("worse"),
            "missing": sum(s.startswith("missing") for s in st),
        }

    out = count(rows)
    out["by_evaluation"] = {e: count([r for r in rows if r.evaluation == e]) for e in ("injection", "pii")}
    out["sets"] = count([r for r in rows if r.section in SET_SECTIONS])
    out["met"] = out["drops"] == 0
    out["worst"] = [
        {"evaluation": r.evaluation, "section": r.section, "name": r.name, "worse_by": r.worse_by}
        for r in sorted(
            (r for r in rows if r.status(tolerance) == "worse"), key=lambda r: r.worse_by, reverse=True
        )
    ]
    return out


# -- latency ---------------------------------------------------------------------------------


def load_latency(paths: Sequence[str | Path]) -> dict[str, Any]:
    """The ``bench_latency.py --only onepass --json`` files merged: per token count and call
    key the median p50 and ratio over the runs (skipped runs are listed, not used)."""
    runs, skipped = [], []
    for p in paths:
        data = json.loads(Path(p).read_text(encoding="utf-8"))
        (skipped if data.get("skipped") else runs).append((str(p), data))
    tokens: dict[str, dict[str, Any]] = {}
    for _, data in runs:
        for n, block in (data.get("tokens") or {}).items():
            t = tokens.setdefault(n, {"calls": {}, "vs_separate": {}})
            for key, c in (block.get("calls") or {}).items():
                e = t["calls"].setdefault(key, {"call": c.get("call", key), "ratios": [], "p50s": []})
                e["ratios"].append(c["ratio"])
                e["p50s"].append(c["p50_ms"])
            for key, v in (block.get("vs_separate") or {}).items():
                t["vs_separate"].setdefault(key, []).append(v)
    for t in tokens.values():
        for e in t["calls"].values():
            e["ratio"] = statistics.median(e["ratios"])
            e["p50_ms"] = statistics.median(e["p50s"])
        t["vs_separate"] = {k: statistics.median(v) for k, v in t["vs_separate"].items()}
    return {
        "runs": [p for p, _ in runs],
        "skipped": {p: d["skipped"] for p, d in skipped},
        "model": runs[0][1].get("model") if runs else None,
        "reference": runs[0][1].get("reference") if runs else None,
        "tokens": tokens,
    }


def latency_ratio(latency: Mapping[str, Any] | None, key: str, tokens: int = 64) -> float | None:
    """A call's merged p50 ÷ reference p50 (``separate_guard``, ``onepass_guard``, ...)."""
    call = (((latency or {}).get("tokens") or {}).get(str(tokens)) or {}).get("calls", {}).get(key)
    return None if call is None else call["ratio"]


def eval_latency_ratio(injection_report: Mapping[str, Any]) -> float | None:
    """The injection evaluation's own full-check ratio at 64 tokens (``meta.latency``, from
    ``timing.json``): the fallback when no bench run is given."""
    lat = (injection_report.get("meta") or {}).get("latency") or {}
    return _num(lat.get("ratio_default", lat.get("ratio")))


def presidio_ratio(pii_report: Mapping[str, Any]) -> float | None:
    """Full-Guard texts/s ÷ Presidio's on the same texts (``throughput_eval_presidio``)."""
    tp = pii_report.get("throughput_eval_presidio") or {}
    full = next((v for k, v in tp.items() if k.startswith("bastion") and "PII only" not in k), None)
    ref = next((v for k, v in tp.items() if k.startswith("presidio")), None)
    return full / ref if full and ref else None


def target_rows(values: Mapping[str, tuple[float | None, float | None]]) -> list[dict[str, Any]]:
    """The issue-17 target table from ``{key: (teachers, student)}``."""
    out = []
    for key, measure, now, target, direction in TARGETS:
        t, s = values.get(key, (None, None))
        met = None if s is None else (s <= target if direction == "max" else s >= target)
        out.append(
            {
                "key": key,
                "measure": measure,
                "now": now,
                "teachers": t,
                "student": s,
                "target": target,
                "direction": direction,
                "met": met,
            }
        )
    return out


# -- the model ------------------------------------------------------------------------------


def onnx_parameters(model_path: Path) -> tuple[int, int] | None:
    """(weights, of them in the embedding tables) of an ONNX graph: initializer elements,
    quantisation scales and zero points left out. The split matters for a multilingual
    student, whose vocabulary can outweigh its few layers. None without the file or the
    ``onnx`` package."""
    try:
        import onnx
    except ImportError:
        return None
    if not model_path.is_file():
        return None
    graph = onnx.load(str(model_path), load_external_data=False).graph
    sizes = [
        (t.name, math.prod(t.dims))
        for t in graph.initializer
        if t.dims and not t.name.endswith(("_scale", "_zero_point"))
    ]
    return sum(n for _, n in sizes), sum(n for name, n in sizes if "embeddings" in name)


def _count(n: int | None, embeddings: int | None = None) -> str:
    """A parameter count in words (``22.7 M``; small counts exactly), with the embeddings'
    share when known.

    >>> _count(22_700_000, 12_000_000), _count(28_583)
    ('22.7 M parameters (12.0 M of them in the embeddings)', '28,583 parameters')
    """

    def size(k: int) -> str:
        return f"{k / 1e6:.1f} M" if k >= 100_000 else f"{k:,}"

    if not n:
        return "– parameters"
    share = f" ({size(embeddings)} of them in the embeddings)" if embeddings else ""
    return f"{size(n)} parameters{share}"


def quantization_text(q: Mapping[str, Any] | str | None) -> str:
    """``{"method": "dynamic", "activations": "u8", "weights": "s8", ...}`` in words; a
    manifest that already words it (a screen folder copies its trunk's sentence) as it is.

    >>> quantization_text("int8 dynamic")
    'int8 dynamic'
    """
    if not q:
        return "–"
    if isinstance(q, str):
        return q
    parts = [
        f"{q.get('method', '?')} int8",
        f"{q.get('activations', '?')} activations",
        f"{q.get('weights', '?')} weights",
    ]
    parts.append("per-channel" if q.get("per_channel") else "per-tensor")
    if q.get("reduce_range"):
        parts.append("reduce_range")
    if q.get("attention_products"):
        parts.append(f"attention products {q['attention_products']}")
    return ", ".join(parts)


def graph_depth(graph: Path) -> tuple[int | None, int | None]:
    """(encoder layers, width) of an exported encoder graph, read from its layers' output
    LayerNorms; ``(None, None)`` when the graph has none."""
    import onnx

    from bastion_training.screen import _hidden_size, layer_outputs

    model = onnx.load(str(graph), load_external_data=False)
    try:
        names = layer_outputs(model)
    except ValueError:
        return None, None
    return len(names), _hidden_size(model, names[max(names)])


def student_info(manifest_path: Path | None) -> dict[str, Any]:
    """The student's description from its manifest (and the graph beside it)."""
    if manifest_path is None or not manifest_path.is_file():
        return {}
    m = json.loads(manifest_path.read_text(encoding="utf-8"))
    graph = manifest_path.parent / "model.onnx"
    heads = m.get("heads") or {}
    counted = None if m.get("parameters") else onnx_parameters(graph)
    layers, width = m.get("layers"), m.get("hidden_size")
    if (layers is None or width is None) and graph.is_file():
        # a screen folder's manifest describes its trunk by version only: read the graph
        layers, width = layers or graph_depth(graph)[0], width or graph_depth(graph)[1]
    return {
        "version": m.get("version"),
        "layers": layers,
        "hidden_size": width,
        "max_length": m.get("max_length"),
        "stride": m.get("stride"),
        "quantization": m.get("quantization"),
        "parameters": m.get("parameters") or (counted or (None, None))[0],
        "embedding_parameters": None if m.get("parameters") else (counted or (None, None))[1],
        "size_mb": graph.stat().st_size / 1e6 if graph.is_file() else None,
        "teachers": {k: (v or {}).get("version") for k, v in (m.get("teachers") or {}).items()},
        "thresholds_source": {k: h.get("thresholds_source") for k, h in heads.items()},
        "init": m.get("init"),
        "distillation": m.get("distillation"),
        "variant": m.get("variant"),
        "parity": m.get("parity_fp32_vs_int8"),
    }


# -- the curve ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One model on the curve: x = full ``Guard.check`` p50 at 64 tokens ÷ one reference
    forward, y = mean injection per-set accuracy / mean PII micro F1 (fractions)."""

    name: str
    kind: str  # "teachers" | "student"
    layers: int | None
    latency_ratio: float | None
    latency_source: str
    injection: dict[str, Any]
    pii: dict[str, Any]


def parse_point(spec: str) -> tuple[str, int | None, str, str, str | None]:
    """``NAME:LAYERS:INJECTION:PII[:LATENCY_JSON]`` (LAYERS may be empty).

    >>> parse_point("l4:4:r/inj:r/pii")
    ('l4', 4, 'r/inj', 'r/pii', None)
    """
    parts = spec.split(":")
    if len(parts) not in (4, 5) or not all(parts[:1] + parts[2:4]):
        raise argparse.ArgumentTypeError(
            f"--point wants NAME:LAYERS:INJECTION:PII[:LATENCY_JSON], got {spec!r}"
        )
    layers = int(parts[1]) if parts[1].strip() else None
    return parts[0], layers, parts[2], parts[3], (parts[4] if len(parts) == 5 else None)


def _injection_accuracies(r: Mapping[str, Any]) -> dict[str, float]:
    return {
        k: v["accuracy"] for k, v in (r.get("per_set") or {}).items() if _num(v.get("accuracy")) is not None
    }


def _pii_f1s(r: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in (r.get("sets") or {}).items():
        f = _num(((v.get("iou") or {}).get("micro") or {}).get("f1"))
        if f is not None:
            out[k] = f
    return out


def curve_means(points: Sequence[Point]) -> tuple[dict[str, float | None], dict[str, float | None], dict]:
    """Per point the mean injection accuracy and mean PII micro F1 over the sets EVERY point
    has (so the means compare), and those sets."""
    inj = [_injection_accuracies(p.injection) for p in points]
    pii = [_pii_f1s(p.pii) for p in points]
    inj_sets = sorted(set.intersection(*(set(d) for d in inj))) if inj else []
    pii_sets = sorted(set.intersection(*(set(d) for d in pii))) if pii else []

    def mean(d: Mapping[str, float], keys: Sequence[str]) -> float | None:
        return statistics.fmean(d[k] for k in keys) if keys else None

    return (
        {p.name: mean(d, inj_sets) for p, d in zip(points, inj, strict=True)},
        {p.name: mean(d, pii_sets) for p, d in zip(points, pii, strict=True)},
        {"injection": inj_sets, "pii": pii_sets},
    )


def plot_curve(
    points: Sequence[Point],
    inj_mean: Mapping,
    pii_mean: Mapping,
    path: Path,
    tolerance: float = TOLERANCE_POINTS,
) -> Path | None:
    """Two panels sharing x (latency ratio): mean injection accuracy and mean PII micro F1;
    teachers as stars, students as circles joined by layer count, the issue's 0.6× target as
    a dashed line and the teachers' mean less ``tolerance`` points as a dotted one. None when
    no point has both a latency and a quality."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("mean injection accuracy per set (%)", inj_mean),
        ("mean PII micro F1, IoU ≥ 0.5 (%)", pii_mean),
    )
    if not any(p.latency_ratio is not None and (inj_mean[p.name] or pii_mean[p.name]) for p in points):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for ax, (ylabel, means) in zip(axes, panels, strict=True):
        students = sorted(
            (
                p
                for p in points
                if p.kind == "student" and p.latency_ratio is not None and means[p.name] is not None
            ),
            key=lambda p: (p.layers or 0, p.latency_ratio),
        )
        if len(students) > 1:
            ax.plot(
                [p.latency_ratio for p in students], [100 * means[p.name] for p in students], "-", color="0.7"
            )
        for p in points:
            if p.latency_ratio is None or means[p.name] is None:
                continue
            marker, color = ("*", "tab:red") if p.kind == "teachers" else ("o", "tab:blue")
            ax.plot(
                p.latency_ratio,
                100 * means[p.name],
                marker,
                color=color,
                markersize=12 if marker == "*" else 7,
            )
            label = p.name if p.layers is None or f"{p.layers}" in p.name else f"{p.name} ({p.layers} layers)"
            ax.annotate(
                label,
                (p.latency_ratio, 100 * means[p.name]),
                textcoords="offset points",
                # teachers below their star: a student as good sits right above it
                xytext=(5, -12) if p.kind == "teachers" else (5, 5),
                fontsize=7,
            )
        ax.axvline(0.6, linestyle="--", color="tab:green", linewidth=1, label="latency target 0.6×")
        teachers = next((p for p in points if p.kind == "teachers" and means[p.name] is not None), None)
        if teachers is not None:
            ax.axhline(
                100 * means[teachers.name] - tolerance,
                linestyle=":",
                color="tab:red",
                linewidth=1,
                label=f"teachers − {tolerance:g} point",
            )
        ax.margins(x=0.2, y=0.15)
        ax.set_xlabel("full Guard.check p50 @64 tokens ÷ reference forward")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(
        "One-pass students vs the separate teachers: quality vs latency (issue 17)\n"
        "reference = one forward of the first MiniLM-L6 int8 injection model, same loop"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- Markdown -------------------------------------------------------------------------------


def _fmt(row: Row, v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.2f}" if row.scale == 1.0 else f"{100 * v:.1f}"


def _n(row: Row) -> str:
    a, b = row.n_teacher, row.n_student
    if a is None or b is None or a == b:
        return str(a if a is not None else b if b is not None else "–")
    return f"{a} / {b}"


def _status_cell(row: Row, tolerance: float) -> str:
    st = row.status(tolerance)
    if st == "worse":
        return f"**worse by {row.worse_by:.2f}**"
    return "ok" if st == "ok" else st


def row_lines(rows: Sequence[Row], tolerance: float) -> list[str]:
    out = []
    for r in rows:
        name = f"{r.label} (`{r.name}`)" if r.label else r.name
        arrow = "↓" if r.lower_is_better else "↑"
        delta = "–" if r.delta is None else f"{r.delta:+.2f}"
        out.append(
            f"| {name} | {_n(r)} | {_fmt(r, r.teacher)} | {_fmt(r, r.student)} | {delta} | {arrow} | "
            f"{_status_cell(r, tolerance)} |"
        )
    return out


SECTION_NOTES = {
    INJ_SETS: "Accuracy in %, same rows on both sides (n: texts).",
    INJ_TARGETS: "The injection report's target metrics in % (ECE as a fraction × 100); "
    "FPR, flag rates and ECE are worse when they rise.",
    PII_SETS: f"Micro F1 × 100 of the main system (`{PII_MAIN_SYSTEM}`), same rows on both sides (n: texts).",
    PII_FP: "Spans found on texts without PII, per 1k tokens (lower is better; "
    "one point = one false positive per 1k tokens; n: texts).",
    PII_LANGS: "PERSON F1 × 100 pooled over the eval-only sets per language (n: gold PERSON spans).",
}


def sections_markdown(rows: Sequence[Row], tolerance: float) -> str:
    text = ""
    for evaluation, title in (("injection", "Injection"), ("pii", "PII")):
        for section in dict.fromkeys(r.section for r in rows if r.evaluation == evaluation):
            rs = [r for r in rows if r.evaluation == evaluation and r.section == section]
            text += render_template(
                "onepass_rows.md",
                title=f"{title}: {section}",
                note=SECTION_NOTES.get(section, ""),
                first={INJ_TARGETS: "metric", PII_LANGS: "language"}.get(section, "set"),
                tolerance=f"{tolerance:g}",
                rows=text_lines(row_lines(rs, tolerance)),
            )
    return text


def _x(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}×"


def target_lines(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    out = []
    for t in targets:
        sign = "≤" if t["direction"] == "max" else "≥"
        if t["key"] == "quality_drops":
            cells = (
                "–" if t["teachers"] is None else str(t["teachers"]),
                "–" if t["student"] is None else str(int(t["student"])),
                f"{sign} {t['target']}",
            )
        else:
            cells = (_x(t["teachers"]), _x(t["student"]), f"{sign} {t['target']}×")
        met = "–" if t["met"] is None else "yes" if t["met"] else "**no**"
        out.append(f"| {t['measure']} | {t['now']} | {cells[0]} | {cells[1]} | {cells[2]} | {met} |")
    return out


def latency_lines(latency: Mapping[str, Any]) -> list[str]:
    out = []
    for n, block in sorted((latency.get("tokens") or {}).items(), key=lambda kv: int(kv[0])):
        for key, c in block["calls"].items():
            runs = ", ".join(f"{r:.2f}" for r in c["ratios"]) if len(c["ratios"]) > 1 else ""
            out.append(f"| {n} | {c['call']} (`{key}`) | {c['p50_ms']:.2f} | {c['ratio']:.2f}× | {runs} |")
        for key, v in block.get("vs_separate", {}).items():
            out.append(f"| {n} | `{key}` ÷ `separate_guard` | | {v:.2f}× | |")
    return out


def point_lines(points: Sequence[Point], inj_mean: Mapping, pii_mean: Mapping) -> list[str]:
    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.1f}"

    return [
        f"| {p.name} | {p.kind} | {p.layers if p.layers is not None else '–'} | {_x(p.latency_ratio)} "
        f"({p.latency_source}) | {pct(inj_mean[p.name])} | {pct(pii_mean[p.name])} |"
        for p in points
    ]


# -- the whole report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    teacher_injection: dict[str, Any]
    student_injection: dict[str, Any]
    teacher_pii: dict[str, Any]
    student_pii: dict[str, Any]
    latency: dict[str, Any] | None = None
    manifest: Path | None = None
    extra_points: tuple[tuple[str, int | None, dict, dict, dict | None], ...] = ()
    long_text: str | None = None
    api_rps: float | None = None
    tolerance: float = TOLERANCE_POINTS


def build(inp: Inputs) -> dict[str, Any]:
    """Every number of the report (``comparison.json``) from the loaded inputs."""
    _, t_inj = main_system(inp.teacher_injection)
    _, s_inj = main_system(inp.student_injection)
    _, t_pii = main_system(inp.teacher_pii, PII_MAIN_SYSTEM)
    _, s_pii = main_system(inp.student_pii, PII_MAIN_SYSTEM)
    rows = injection_rows(t_inj, s_inj) + pii_rows(t_pii, s_pii)
    v = verdict(rows, inp.tolerance)
    student = student_info(inp.manifest)

    def x64(latency: Mapping | None, key: str, report: Mapping) -> tuple[float | None, str]:
        bench = latency_ratio(latency, key, 64)
        if bench is not None:
            return bench, "bench_latency"
        ev = eval_latency_ratio(report)
        return ev, ("evaluate_injection" if ev is not None else "–")

    t_x, t_src = x64(inp.latency, "separate_guard", inp.teacher_injection)
    s_x, s_src = x64(inp.latency, "onepass_guard", inp.student_injection)
    values = {
        "ratio_64": (t_x, s_x),
        "ratio_256": (
            latency_ratio(inp.latency, "separate_guard", 256),
            latency_ratio(inp.latency, "onepass_guard", 256),
        ),
        "presidio_x": (presidio_ratio(inp.teacher_pii), presidio_ratio(inp.student_pii)),
        "api_x": (1.0, None if inp.api_rps is None else inp.api_rps / API_TODAY_RPS),
        "quality_drops": (None, v["drops"]),
    }
    layers = student.get("layers") or ((inp.latency or {}).get("model") or {}).get("layers")
    points = [
        Point("teachers (separate models)", "teachers", None, t_x, t_src, t_inj, t_pii),
        Point("student", "student", layers, s_x, s_src, s_inj, s_pii),
    ]
    for name, n_layers, inj, pii, lat in inp.extra_points:
        _, pi = main_system(inj)
        _, pp = main_system(pii, PII_MAIN_SYSTEM)
        x, src = x64(lat, "onepass_guard", inj)
        points.append(Point(name, "student", n_layers, x, src, pi, pp))
    inj_mean, pii_mean, curve_sets = curve_means(points)
    return {
        "tolerance_points": inp.tolerance,
        "rule": f"no eval set drops more than {inp.tolerance:g} point",
        "verdict": v,
        "rows": [r.to_dict(inp.tolerance) for r in rows],
        "targets": target_rows(values),
        "latency": inp.latency,
        "eval_latency_ratio_64": {
            "teachers": eval_latency_ratio(inp.teacher_injection),
            "student": eval_latency_ratio(inp.student_injection),
        },
        "student": student,
        "teacher_reports": {
            "injection": (inp.teacher_injection.get("meta") or {}).get("version"),
            "pii": inp.teacher_pii.get("model_version"),
        },
        "student_reports": {
            "injection": (inp.student_injection.get("meta") or {}).get("version"),
            "pii": inp.student_pii.get("model_version"),
        },
        "points": [
            {
                "name": p.name,
                "kind": p.kind,
                "layers": p.layers,
                "latency_ratio_64": p.latency_ratio,
                "latency_source": p.latency_source,
                "injection_mean_accuracy": inj_mean[p.name],
                "pii_mean_micro_f1": pii_mean[p.name],
            }
            for p in points
        ],
        "curve_sets": curve_sets,
        "api_rps": inp.api_rps,
        "_rows": rows,
        "_points": (points, inj_mean, pii_mean),
    }


def _teacher_note(c: Mapping[str, Any]) -> str:
    """A warning when the teacher reports are not of the teachers the manifest names."""
    named = (c["student"] or {}).get("teachers") or {}
    notes = [
        f"the {task} teacher report is of `{c['teacher_reports'][task]}`, the manifest names `{named[task]}`"
        for task in ("injection", "pii")
        if named.get(task) and c["teacher_reports"].get(task) and named[task] != c["teacher_reports"][task]
    ]
    return f" **Check: {'; '.join(notes)}.**" if notes else ""


def student_fields(s: Mapping[str, Any]) -> dict[str, Any]:
    """The student's facts as the summary and card templates print them."""
    return {
        "version": s.get("version") or "–",
        "layers": s.get("layers") or "–",
        "width": s.get("hidden_size") or "–",
        "parameters": _count(s.get("parameters"), s.get("embedding_parameters")),
        "size_mb": f"{s['size_mb']:.1f}" if s.get("size_mb") else "–",
        "quantization": quantization_text(s.get("quantization")),
    }


def summary_markdown(c: Mapping[str, Any], curve: str | None, long_text: str | None) -> str:
    """``summary.md`` from :func:`build`'s result."""
    s, v, tol = c["student"] or {}, c["verdict"], c["tolerance_points"]
    by = v["by_evaluation"]
    latency = c.get("latency") or {}
    lat_section = ""
    if latency.get("tokens"):
        lat_section = render_template(
            "onepass_latency.md",
            runs=len(latency["runs"]),
            reference=latency.get("reference") or "–",
            rows=text_lines(latency_lines(latency)),
        )
    if latency.get("skipped"):
        lat_section += (
            "\nSkipped bench runs: " + "; ".join(f"`{p}`: {r}" for p, r in latency["skipped"].items()) + "\n"
        )
    ev = c["eval_latency_ratio_64"]
    points, inj_mean, pii_mean = c["_points"]
    return render_template(
        "onepass_summary.md",
        **student_fields(s),
        teacher_injection=(s.get("teachers") or {}).get("injection")
        or c["teacher_reports"]["injection"]
        or "–",
        teacher_pii=(s.get("teachers") or {}).get("pii") or c["teacher_reports"]["pii"] or "–",
        report_injection=c["teacher_reports"]["injection"] or "–",
        report_pii=c["teacher_reports"]["pii"] or "–",
        teacher_note=_teacher_note(c),
        tolerance=f"{tol:g}",
        rule="met" if v["met"] else "NOT met",
        drops=v["drops"],
        compared=v["compared"],
        inj_drops=by["injection"]["drops"],
        inj_compared=by["injection"]["compared"],
        pii_drops=by["pii"]["drops"],
        pii_compared=by["pii"]["compared"],
        missing=v["missing"],
        set_drops=v["sets"]["drops"],
        set_compared=v["sets"]["compared"],
        worst=", ".join(f"{w['evaluation']} {w['name']} ({w['worse_by']:.2f})" for w in v["worst"][:5])
        or "none",
        target_rows=text_lines(target_lines(c["targets"])),
        eval_latency=f"{_x(ev['teachers'])} (teachers) and {_x(ev['student'])} (student)",
        latency=lat_section,
        long_text=render_template("onepass_long_text.md", text=long_text.strip()) if long_text else "",
        sections=sections_markdown(c["_rows"], tol),
        point_rows=text_lines(point_lines(points, inj_mean, pii_mean)),
        inj_sets=len(c["curve_sets"]["injection"]),
        pii_sets=len(c["curve_sets"]["pii"]),
        curve=f"![quality vs latency]({curve})"
        if curve
        else "(no point has both a latency and a quality: no plot)",
    )


def _scalars(d: Mapping[str, Any] | None) -> str:
    """A manifest block's scalar entries as ``k v, ...`` (nested ones left out)."""
    items = [
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in (d or {}).items()
        if isinstance(v, (int, float, str)) and not isinstance(v, bool)
    ]
    return ", ".join(items) or "–"


def card_markdown(c: Mapping[str, Any], summary: str, curve_link: str | None) -> str:
    """The model card (``templates/onepass_card.md``): the student's facts and the full
    comparison (the summary, its headings one level down)."""
    s = c["student"] or {}
    body = summary.split("\n", 1)[1] if "\n" in summary else ""
    if curve_link:  # the summary's image path is relative to the report, the card's to itself
        body = body.replace(f"]({CURVE_FILE})", f"]({curve_link})")
    sources = s.get("thresholds_source") or {}
    return render_template(
        "onepass_card.md",
        **student_fields(s),
        max_length=s.get("max_length") or "–",
        stride=s.get("stride") or "–",
        teacher_injection=(s.get("teachers") or {}).get("injection") or "–",
        teacher_pii=(s.get("teachers") or {}).get("pii") or "–",
        thresholds="; ".join(f"{k}: {v}" for k, v in sources.items() if v) or "–",
        distillation=_scalars(s.get("distillation")),
        parity=_scalars(s.get("parity")),
        body=body.replace("\n## ", "\n### "),
    )


def write(inp: Inputs, out_dir: Path, card_path: Path | None = None) -> dict[str, Any]:
    """``summary.md``, ``comparison.json``, ``curve.png`` and the card; returns the numbers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    c = build(inp)
    points, inj_mean, pii_mean = c["_points"]
    curve = plot_curve(points, inj_mean, pii_mean, out_dir / CURVE_FILE, inp.tolerance)
    summary = summary_markdown(c, CURVE_FILE if curve else None, inp.long_text)
    (out_dir / "summary.md").write_text(summary, encoding="utf-8")
    write_json(out_dir / "comparison.json", {k: v for k, v in c.items() if not k.startswith("_")})
    card_path = card_path or out_dir / "card.md"
    link = os.path.relpath(curve, card_path.parent) if curve else None
    card_path.parent.mkdir(parents=True, exist_ok=True)
    card_path.write_text(card_markdown(c, summary, link), encoding="utf-8")
    return c


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--student-injection", required=True, help="evaluate_injection report of the student")
    ap.add_argument("--teacher-injection", required=True, help="... of the injection teacher, same rows")
    ap.add_argument("--student-pii", required=True, help="evaluate_pii report of the student")
    ap.add_argument("--teacher-pii", required=True, help="... of the PII teacher, same rows")
    ap.add_argument("--latency", nargs="+", default=[], help="bench_latency.py --only onepass --json files")
    ap.add_argument("--manifest", type=Path, default=None, help="the student's manifest.json")
    ap.add_argument(
        "--point",
        action="append",
        type=parse_point,
        default=[],
        help="another student on the curve: NAME:LAYERS:INJECTION:PII[:LATENCY_JSON] (repeatable)",
    )
    ap.add_argument("--long-text", type=Path, default=None, help="bench_long_text.py output to include")
    ap.add_argument(
        "--api-rps",
        type=float,
        default=None,
        help=f"bench_api.py req/s at concurrency 32 (today {API_TODAY_RPS})",
    )
    ap.add_argument("--tolerance", type=float, default=TOLERANCE_POINTS, help="points a set may drop")
    ap.add_argument("--out", type=Path, default=Path("reports/onepass"))
    ap.add_argument(
        "--card", type=Path, default=None, help="where to write the model card (default OUT/card.md)"
    )
    args = ap.parse_args(argv)
    log_progress()
    inp = Inputs(
        teacher_injection=load_report(args.teacher_injection),
        student_injection=load_report(args.student_injection),
        teacher_pii=load_report(args.teacher_pii),
        student_pii=load_report(args.student_pii),
        latency=load_latency(args.latency) if args.latency else None,
        manifest=args.manifest,
        extra_points=tuple(
            (name, layers, load_report(inj), load_report(pii), load_latency([lat]) if lat else None)
            for name, layers, inj, pii, lat in args.point
        ),
        long_text=args.long_text.read_text(encoding="utf-8") if args.long_text else None,
        api_rps=args.api_rps,
        tolerance=args.tolerance,
    )
    c = write(inp, args.out, args.card)
    v = c["verdict"]
    log.info(
        "wrote %s: %d of %d compared rows drop more than %g point, %d missing",
        args.out,
        v["drops"],
        v["compared"],
        args.tolerance,
        v["missing"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
