"""Model cards written next to the shipped models from the manifest and the eval report.
The prose and layout are the Markdown templates in ``bastion_training/templates`` (``card_*``,
``injection_card.md``, ``pii_card.md``); this module fills them.

python -m bastion_training.model_card --model injection
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bastion_training.common import REPO_ROOT, read_json, render_template

# what the manifest's homoglyph fold means for a reader of the card (bastion.normalize)
FOLD_LINES = {
    "all": "- **Homoglyphs**: every Cyrillic/Greek look-alike letter is folded to Latin before the model\n"
    "  (manifest `homoglyphs: all`), which also turns Russian and Greek prose into mixed scripts.",
    "mixed": "- **Homoglyphs**: only plausible spoofs are folded to Latin before the model (a word mixing\n"
    "  Latin with look-alikes, or look-alikes inside mostly-Latin text; manifest `homoglyphs: mixed`):\n"
    "  Russian and Greek text reach it as written.",
}

# how the model reads base64/hex runs (bastion.detectors.payloads); the runtime reads every
# model's input this way, the manifest says whether training did too
PAYLOAD_LINES = {
    "raw": "- **Encoded runs**: the Guard replaces a base64/hex run with its decoded text, or with `<base64>`\n"
    "  when it decodes to none; this model was trained on the runs as written (manifest `payloads: raw`,\n"
    "  or no `payloads` key: models exported before the option).\n",
    "masked": "- **Encoded runs**: the Guard replaces a base64/hex run with its decoded text, or with `<base64>`\n"
    "  when it decodes to none, and the model was trained on text read the same way (manifest\n"
    "  `payloads: masked`).\n",
}


ONEPASS_EVAL_NOTE = (
    "\nThese are the numbers of `Guard.default`, which runs this classifier inside the one-pass "
    "folder's cascade (`models/onepass`), each of its scores blended with the folder's blend head; "
    "the thresholds quoted below are the blend's, not this manifest's. This classifier alone is the "
    'report\'s "previous" column where its version is named there.\n'
)


def injection_card(model_dir: Path, report_dir: Path, data_card: Path) -> str:
    """The injection model's card: ``templates/injection_card.md`` with the manifest's numbers
    and the sections the inputs have (int8 parity, data card link, evaluation summary)."""
    m = read_json(model_dir / "manifest.json")
    th = m.get("thresholds", {})
    sections = ""
    par = m.get("parity_fp32_vs_int8")
    if par:
        sections += render_template(
            "card_injection_parity.md",
            **{f"{k}_{s}": f"{par[k][s]:.4f}" for k in ("fp32", "int8") for s in ("auc", "accuracy")},
        )
    if data_card.exists():
        sections += render_template("card_training_data.md")
    summary = report_dir / "summary.md"
    if summary.exists():
        body = summary.read_text(encoding="utf-8").split("\n", 1)[1]
        # the per-language and per-family tables run to hundreds of rows: the card links them
        for long_table in ("\n## Per language", "\n## Per family"):
            if long_table in body:
                body = body.split(long_table, 1)[0].rstrip() + render_template("card_long_tables.md")
        if "one-pass folder" in body.lstrip().split("\n", 1)[0]:
            # the report measures Guard.default, which reads this classifier through the
            # one-pass folder's cascade: say so before its thresholds meet this manifest's
            body = ONEPASS_EVAL_NOTE + body
        sections += render_template("card_injection_evaluation.md", body=body.replace("\n## ", "\n### "))
    base = str(m.get("base_model", ""))
    # the MiniLM models (uncased, English) came first; a manifest without base_model is one
    cased = "e5" in base.lower()
    kind = "cased" if cased else "minilm"
    what = render_template(
        f"card_injection_what_{kind}.md",
        base_model=base,
        quant_extra=(
            "; activations quantised per row, so a text scores the same alone or in a batch "
            "(`batch_invariant`, probed at load)"
            if m.get("batch_invariant")
            else ""
        ),
        fold_line=FOLD_LINES.get(str(m.get("homoglyphs", "all")), "").rstrip("\n"),
    )
    runs = (m.get("training") or {}).get("runs")
    return render_template(
        "injection_card.md",
        what_it_is=what,
        payloads_line=PAYLOAD_LINES[str(m.get("payloads", "raw"))],
        base_limit=render_template(f"card_injection_limit_{kind}.md"),
        runs=render_template("card_pii_runs.md", runs="\n".join(f"- {r}" for r in runs)) if runs else "",
        max_length=m["max_length"],
        stride=m.get("stride"),
        version=m["version"],
        t_default=f"{th.get('default', 0.5):.4f}",
        t_strict=f"{th.get('strict', 0.5):.4f}",
        sections=sections,
    )


def _n_locales(params: dict | None = None) -> str:
    """How many locales the generator draws identities from (``pii.locales`` of ``params``,
    the run's own; else of the repository's params.yaml)."""
    import yaml

    path = REPO_ROOT / "params.yaml"
    if params is None:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    locales = ((params or {}).get("pii") or {}).get("locales")
    # no generator import here: the injection stages render cards too and must not depend on it
    return str(len(locales)) if locales else "several"


def generator_summary(params: dict | None = None) -> dict:
    """The generator's template counts (total, per format, languages) and locales as they are
    now: export_pii stores this in the manifest, so the card describes the data the model
    trained on, not whatever the generator holds when the card is rendered later."""
    from bastion_training.pii.templates import TEMPLATES

    formats = Counter(t.format for t in TEMPLATES)
    return {
        "n_templates": len(TEMPLATES),
        "formats": dict(formats.most_common()),
        "n_langs": len({t.lang for t in TEMPLATES}),
        "n_locales": _n_locales() if params is None else _n_locales(params),
    }


def pii_card(model_dir: Path, report_dir: Path) -> str:
    """The PII model's card: ``templates/pii_card.md`` with the manifest's numbers, the
    generator's template counts and the sections the manifest and report have."""
    m = read_json(model_dir / "manifest.json")
    labels = sorted({t.split("-", 1)[1] for t in m["labels"] if "-" in t})
    # the export's record; a manifest from before it falls back to the generator as it is now
    data = m.get("training_data") or generator_summary()
    sections = ""
    runs = (m.get("training") or {}).get("runs")
    if runs:
        sections += render_template("card_pii_runs.md", runs="\n".join(f"- {r}" for r in runs))
    for key in ("ablation", "case_feature_ablation"):
        if key in m:
            sections += render_template("card_pii_ablation.md", ablation=json.dumps(m[key], indent=2))
    cal = m.get("threshold_calibration")
    if cal:
        table = "\n".join(
            f"| {lab} | {r['threshold']} | {r['f1_at_default']:.3f} | {r['f1_at_chosen']:.3f} |"
            for lab, r in sorted(cal["labels"].items())
        )
        sections += render_template(
            "card_pii_thresholds.md",
            rows=cal["rows"],
            metric=cal["metric"],
            default=m["thresholds"].get("default"),
            table=table,
        )
    par = m.get("parity_fp32_vs_int8") or m.get("parity")
    if par:
        sections += render_template("card_pii_parity.md", parity=json.dumps(par, indent=2)[:3000])
    summary = report_dir / "summary.md"
    if summary.exists():
        body = summary.read_text(encoding="utf-8").split("\n", 1)[1]
        sections += render_template("card_pii_evaluation.md", body=body.replace("\n## ", "\n### "))
    # v4 models are cased (multilingual-e5-small, no case-feature input) and also trained on the
    # train-role NER corpora; the MiniLM models before them take case features
    cased = m.get("case_features") is False
    return render_template(
        "pii_card.md",
        what_it_is=(
            render_template(
                "card_pii_what_cased.md",
                base_model=m.get("base_model", "a cased encoder"),
                quant_extra=(
                    "; activations quantised per row, so a text scores the same alone or in a batch "
                    "(`batch_invariant`, probed at load)"
                    if m.get("batch_invariant")
                    else ""
                ),
                fold_line=FOLD_LINES.get(str(m.get("homoglyphs", "all")), ""),
            )
            if cased
            else render_template("card_pii_what_minilm.md")
        ),
        corpora=(
            " and the train-role NER corpora (UNER train, GermEval dev, leNER-Br train, factRuEval dev, Europeana)"
            if cased
            else ""
        ),
        base_limit=render_template(
            "card_pii_limit_cased.md" if cased else "card_pii_limit_minilm.md",
            n_langs=data["n_langs"],
        ),
        labels=", ".join(labels),
        max_length=m["max_length"],
        stride=m.get("stride"),
        version=m["version"],
        n_templates=data["n_templates"],
        formats=", ".join(f"{k} {v}" for k, v in data["formats"].items()),
        n_langs=data["n_langs"],
        n_locales=data["n_locales"],
        sections=sections,
    )


def plot_links(report_dir: Path, name: str) -> str:
    """A "Plots" section linking the report's PNGs (relative to models/<name>/)."""
    pngs = sorted(report_dir.glob("*.png"))
    if not pngs:
        return ""
    links = "\n".join(f"- [`{p.name}`](../../reports/{name}/{p.name})" for p in pngs)
    return render_template("card_plots.md", links=links)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["injection", "pii"], default="injection")
    args = ap.parse_args(argv)
    model_dir = REPO_ROOT / "models" / args.model
    if args.model == "pii":
        card = pii_card(model_dir, REPO_ROOT / "reports" / "pii")
    else:
        card = injection_card(model_dir, REPO_ROOT / "reports" / args.model, REPO_ROOT / "data/README.md")
    card += plot_links(REPO_ROOT / "reports" / args.model, args.model)
    (model_dir / "README.md").write_text(card, encoding="utf-8")
    print(f"wrote {model_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
