"""Carriers: the containers an attack (or a benign sentence) is planted in.

A carrier renders a list of *units* (sentences, records, code lines) as the text an AI
reads: a chat transcript, a system+user pair, an e-mail, an HTML page, markdown, PDF-like
extracted text, code with comments, a CSV table, a JSON tool result, calendar / drive /
Slack / banking records, search results or RAG chunks. :func:`place` inserts the planted
unit(s) at a position (start, middle, end, or split in two); :func:`carrier_rows` composes
positives (an :class:`~bastion_training.injection.attacks.Attack` planted) and hard
negatives (the same carriers with a benign imperative planted, or nothing) in equal number.

>>> import random
>>> place(["a", "b", "c"], ["X"], "start", random.Random(0))
['X', 'a', 'b', 'c']
>>> txt = render("csv", ["hello world", "second row"], "en", random.Random(0))
>>> txt.count("\\n") >= 2
True
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pandas as pd

from bastion_training.injection.attacks import ATTACK_KINDS, compose_attack, split_payload
from bastion_training.injection.multilingual import PHRASES
from bastion_training.injection.sources import COLUMNS

CARRIERS: tuple[str, ...] = (
    "chat",
    "system_user",
    "email",
    "html",
    "markdown",
    "pdf",
    "code_comment",
    "csv",
    "json_tool",
    "calendar",
    "drive",
    "slack",
    "banking",
    "search_results",
    "rag",
)
POSITIONS: tuple[str, ...] = ("start", "middle", "end", "split")

_NAMES = (
    "Alice Martin",
    "Jonas Weber",
    "Priya Nair",
    "Chen Wei",
    "Sofia Rossi",
    "Omar Haddad",
    "Lena Kowalska",
    "Tom Becker",
    "Yuki Tanaka",
    "Ana Souza",
)
_SITES = (
    "news.example.com",
    "wiki.example.org",
    "shop.example.net",
    "blog.example.io",
    "docs.example.dev",
    "forum.example.com",
)
_SUBJECTS = (
    "Update",
    "Re: next steps",
    "Notes",
    "Weekly summary",
    "Fwd: info",
    "Reminder",
    "Q3 review",
    "Overview",
    "Follow-up",
    "Details",
)
_SYSTEMS = (
    "You are a helpful assistant for Contoso Travel. Answer questions about bookings politely.",
    "You are a summarisation assistant. Summarise the user's document in three bullet points.",
    "You are an email assistant. Draft replies in the user's tone and never send without approval.",
    "You are a coding assistant. Explain code clearly and suggest fixes.",
    "Du bist ein hilfreicher Assistent für ein Möbelhaus. Antworte kurz und freundlich.",
    "Tu es un assistant de support client pour une banque en ligne.",
    "You translate the user's text into plain English.",
    "Eres un asistente que clasifica reseñas como positivas o negativas.",
)
_CODE = (
    [
        "import os",
        "",
        "def load_config(path):",
        "    with open(path) as fh:",
        "        return fh.read()",
        "",
        "print(load_config('settings.ini'))",
    ],
    [
        "function debounce(fn, ms) {",
        "  let t;",
        "  return (...args) => {",
        "    clearTimeout(t);",
        "    t = setTimeout(() => fn(...args), ms);",
        "  };",
        "}",
    ],
    [
        "package main",
        "",
        'import "fmt"',
        "",
        "func main() {",
        "    total := 0",
        "    for i := 1; i <= 10; i++ { total += i }",
        "    fmt.Println(total)",
        "}",
    ],
    [
        "SELECT customer_id, SUM(amount) AS total",
        "FROM orders",
        "WHERE created_at >= '2024-01-01'",
        "GROUP BY customer_id",
        "ORDER BY total DESC",
        "LIMIT 20;",
    ],
    [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        "for f in logs/*.log; do",
        '  gzip -9 "$f"',
        "done",
        'echo "compressed $(ls logs | wc -l) files"',
    ],
    [
        "class Stack:",
        "    def __init__(self):",
        "        self.items = []",
        "    def push(self, x):",
        "        self.items.append(x)",
        "    def pop(self):",
        "        return self.items.pop()",
    ],
    [
        "const express = require('express');",
        "const app = express();",
        "app.get('/health', (req, res) => res.json({ ok: true }));",
        "app.listen(3000);",
    ],
    [
        "fn main() {",
        "    let v: Vec<i32> = (1..=5).collect();",
        "    let s: i32 = v.iter().map(|x| x * x).sum();",
        '    println!("{}", s);',
        "}",
    ],
)
_COMMENT = {"#": ("#", ""), "//": ("//", ""), "--": ("--", "")}


def place(units: list[str], planted: list[str], position: str, rng: random.Random) -> list[str]:
    """Insert the planted unit(s) into ``units``; with two planted units and position
    ``split`` they go to two different places (payload splitting)."""
    out = list(units)
    if not planted:
        return out
    if position == "start":
        return planted + out
    if position == "end":
        return out + planted
    if position == "middle" or len(planted) == 1:
        i = max(1, len(out) // 2) if len(out) > 1 else len(out)
        return out[:i] + planted + out[i:]
    a = rng.randint(0, max(0, len(out) // 2))
    b = rng.randint(a + 1, len(out) + 1)
    out.insert(a, planted[0])
    out.insert(min(b, len(out)), planted[1])
    return out


def _chat(units, lang, rng):
    lines = []
    for i, u in enumerate(units):
        lines.append(f"{'User' if i % 2 == 0 else 'Assistant'}: {u}")
    return "\n".join(lines)


def _system_user(units, lang, rng):
    return f"System: {rng.choice(_SYSTEMS)}\n\nUser: " + " ".join(units)


def _email(units, lang, rng):
    sender = rng.choice(_NAMES)
    subj = rng.choice(_SUBJECTS)
    return (
        f"From: {sender} <{sender.split()[0].lower()}@example.com>\nTo: me@example.com\n"
        f"Subject: {subj}\nDate: 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n\n"
        + "\n\n".join(units)
        + f"\n\n{sender.split()[0]}"
    )


def _html(units, lang, rng):
    parts = []
    for u in units:
        style = rng.random()
        if style < 0.7:
            parts.append(f"  <p>{u}</p>")
        elif style < 0.8:
            parts.append(f'  <div style="display:none">{u}</div>')
        elif style < 0.9:
            parts.append(f"  <!-- {u} -->")
        else:
            parts.append(f'  <span style="font-size:0px">{u}</span>')
    site = rng.choice(_SITES)
    return (
        f'<html lang="{lang}"><head><title>{site}</title></head>\n<body>\n'
        + "\n".join(parts)
        + "\n</body></html>"
    )


def _markdown(units, lang, rng):
    parts = [f"# {rng.choice(_SUBJECTS)}"]
    for u in units:
        style = rng.random()
        parts.append(u if style < 0.7 else (f"> {u}" if style < 0.85 else f"- {u}"))
    return "\n\n".join(parts)


def _pdf(units, lang, rng):
    pages, out = rng.randint(3, 40), []
    for i, u in enumerate(units):
        if i and i % 3 == 0:
            out.append(f"\n— {i // 3 + 1} / {pages} —\n")
        words = u.split(" ")
        if len(words) > 6 and rng.random() < 0.5:
            k = rng.randint(2, len(words) - 2)
            u = " ".join(words[:k]) + "\n" + " ".join(words[k:])
        out.append(u)
    return (
        f"REPORT {rng.randint(2019, 2025)}  ·  CONFIDENTIAL DRAFT\n"
        + "\n".join(out)
        + f"\n\n— {pages} / {pages} —"
    )


def _code(units, lang, rng):
    code = list(rng.choice(_CODE))
    marker = "--" if code[0].startswith("SELECT") else ("#" if code[0][:1] in "i#c" else "//")
    # the natural-language units become comments, spread through the code
    out = []
    for i, u in enumerate(units):
        out.append(f"{marker} {u}")
        if code and i < len(units) - 1:
            out.append(code.pop(0))
    return "\n".join(out + code)


def _csv(units, lang, rng):
    rows = ["id,date,author,comment"]
    for i, u in enumerate(units):
        rows.append(f'{100 + i},2024-03-{10 + i % 18},{rng.choice(_NAMES)},"{u.replace(chr(34), chr(39))}"')
    return "\n".join(rows)


def _json_tool(units, lang, rng):
    tool = rng.choice(("get_reviews", "search_notes", "fetch_page", "list_tickets", "read_file"))
    items = [{"id": f"{rng.randint(1000, 9999)}", "text": u} for u in units]
    return json.dumps(
        {"tool": tool, "status": "ok", "results": items}, ensure_ascii=False, indent=rng.choice((None, 2))
    )


def _calendar(units, lang, rng):
    ev = [
        {
            "id_": str(i),
            "title": rng.choice(("Team sync", "Dentist", "1:1", "Project kickoff", "Lunch", "Review")),
            "description": u,
            "start_time": f"2024-05-{10 + i % 18}T{9 + i % 8}:00",
            "participants": [rng.choice(_NAMES)],
        }
        for i, u in enumerate(units)
    ]
    return json.dumps(ev, ensure_ascii=False)


def _drive(units, lang, rng):
    name = rng.choice(("notes.docx", "budget.xlsx", "trip-plan.txt", "minutes.md"))
    return (
        f"id_: '{rng.randint(1, 40)}'\nfilename: {name}\nowner: {rng.choice(_NAMES)}\ncontent: |\n  "
        + "\n  ".join(units)
    )


def _slack(units, lang, rng):
    ch = rng.choice(("general", "random", "dev", "support"))
    return "\n".join(f"[#{ch}] {rng.choice(_NAMES).split()[0]}: {u}" for u in units)


def _banking(units, lang, rng):
    tx = [
        {
            "id": i + 1,
            "sender": "me"
            if rng.random() < 0.5
            else rng.choice(("GB29NWBK60161331926819", "CH9300762011623852957")),
            "amount": round(rng.uniform(5, 900), 2),
            "subject": u,
            "date": f"2024-0{1 + i % 9}-0{1 + i % 9}",
        }
        for i, u in enumerate(units)
    ]
    return json.dumps({"transactions": tx}, ensure_ascii=False)


def _search(units, lang, rng):
    return "\n\n".join(
        f"{i + 1}. {u[:40]} — https://{rng.choice(_SITES)}/{rng.randint(100, 999)}\n   {u}"
        for i, u in enumerate(units)
    )


def _rag(units, lang, rng):
    return "\n\n".join(f"[doc {i + 1}] source: {rng.choice(_SITES)}\n{u}" for i, u in enumerate(units))


_RENDER: dict[str, Callable[[list[str], str, random.Random], str]] = {
    "chat": _chat,
    "system_user": _system_user,
    "email": _email,
    "html": _html,
    "markdown": _markdown,
    "pdf": _pdf,
    "code_comment": _code,
    "csv": _csv,
    "json_tool": _json_tool,
    "calendar": _calendar,
    "drive": _drive,
    "slack": _slack,
    "banking": _banking,
    "search_results": _search,
    "rag": _rag,
}


def render(carrier: str, units: list[str], lang: str, rng: random.Random) -> str:
    """The text of ``carrier`` holding ``units`` (already including any planted unit)."""
    if carrier not in _RENDER:
        raise ValueError(f"unknown carrier {carrier!r}; choose from {CARRIERS}")
    return _RENDER[carrier](units, lang, rng)


def carrier_rows(
    n_pos: int,
    n_neg: int,
    split: str,
    pools: dict[str, list[str]],
    seed: int,
    template_ok: Callable[[str], bool] | None = None,
    lang_weights: dict[str, float] | None = None,
    benign_imp_ok: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """``n_pos`` attacks planted in carriers plus ``n_neg`` hard negatives (same carriers,
    a benign imperative planted at the same positions, or nothing planted).

    ``pools`` maps a language to benign units of that split; ``template_ok`` keeps only the
    attack templates of this split; ``benign_imp_ok`` does the same for benign imperatives.
    """
    rng = random.Random(f"{seed}:{split}:carriers")
    langs = [lg for lg in PHRASES if pools.get(lg)]
    weights = [(lang_weights or {}).get(lg, 1.0) for lg in langs]
    rows = []
    for i in range(n_pos + n_neg):
        positive = i < n_pos
        lang = rng.choices(langs, weights)[0]
        carrier = rng.choice(CARRIERS)
        position = rng.choice(POSITIONS)
        # an attack in another language than its document is common (attackers write English)
        doc_lang = "en" if lang != "en" and rng.random() < 0.2 and pools.get("en") else lang
        units = rng.sample(pools[doc_lang], k=min(len(pools[doc_lang]), rng.randint(2, 6)))
        if positive:
            kind = rng.choice(ATTACK_KINDS)
            atk = compose_attack(lang, kind, rng, template_ok)
            planted = list(split_payload(atk.text, rng)) if position == "split" else [atk.text]
            family, group = f"carrier:{kind}", atk.template
        else:
            imps = [s for s in PHRASES[lang]["benign_imp"] if benign_imp_ok is None or benign_imp_ok(s)]
            imps = imps or list(PHRASES[lang]["benign_imp"])
            k = 0 if rng.random() < 0.3 else (2 if position == "split" else 1)
            planted = rng.sample(imps, k=min(k, len(imps)))
            if planted and rng.random() < 0.25:
                # alarm-style markers alone are not attacks ("IMPORTANT!!! The office is closed")
                marker = rng.choice((PHRASES[lang]["urgent"][0], PHRASES[lang]["urgent"][3]))
                planted[0] = f"{marker} {planted[0]}"
            family, group = "carrier_negative", f"neg:{lang}:{carrier}"
        text = render(carrier, place(units, planted, position, rng), doc_lang, rng)
        rows.append(
            {
                "text": text,
                "label": int(positive),
                "source": "synthetic_carrier",
                "family": family,
                "lang": lang,
                "group": group,
                "carrier": carrier,
                "position": position,
                "split": split,
            }
        )
    cols = [*COLUMNS, "carrier", "position", "split"]
    return pd.DataFrame(rows, columns=cols).astype({"label": "int64"})
