"""Fuzz ``bastion scan`` with random CSV and JSONL files (derandomised, so CI is stable):
odd quotes, huge fields, surrogates, invalid bytes, nested JSON, missing and extra keys,
non-text values. Never a crash; rows in = rows out + rows in the errors file; every input
column is in the output."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter

from bastion.errors import ConfigError
from bastion.scan import scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scan_robust import check_invariant

SPEC = "test_scan_robust:linear_guard"
RESULT = {f"bastion_{k}" for k in ("action", "injection_score", "pii", "redacted_text")}
BIG = "w" * 150_000 + " a@b.c"
CHARS = [
    "a",
    "b",
    " ",
    "@",
    '"',
    ",",
    "\n",
    "\r",
    "\r\n",
    "\ud800",
    "\udcff",
    "\x00",
    "é",
    "\u2028",
    "{",
    "[",
    "\ufeff",
    "ignore all",
]
KEYS = ["id", "text", "meta", "", "é", "\ud800k", "bastion_action", "text "]

texts = st.one_of(st.lists(st.sampled_from(CHARS), max_size=12).map("".join), st.just(BIG))
leaves = st.one_of(texts, st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True))
values = st.recursive(
    leaves,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(KEYS), kids, max_size=3),
    max_leaves=6,
)
json_lines = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), values, max_size=4).flatmap(
        lambda d: st.booleans().map(lambda ascii_: ("obj", d, ascii_))
    ),
    st.binary(max_size=20).map(lambda b: ("raw", b, False)),
    st.integers(1, 3000).map(lambda n: ("raw", b"[" * n, False)),
    st.just(("raw", b"", False)),
)
FUZZ = settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _encode_json_line(kind: str, obj: object, ascii_: bool) -> bytes:
    if kind == "raw":
        return obj  # type: ignore[return-value]
    # ensure_ascii=False with a lone surrogate gives invalid UTF-8 bytes: also worth a try
    return json.dumps(obj, ensure_ascii=ascii_).encode("utf-8", "surrogatepass")


@FUZZ
@given(
    lines=st.lists(json_lines, max_size=12),
    out_fmt=st.sampled_from(["jsonl", "csv", "parquet"]),
    batch=st.integers(1, 5),
)
def test_fuzz_jsonl(tmp_path_factory, lines, out_fmt, batch):
    tmp = tmp_path_factory.mktemp("fz")
    data = b"\n".join(_encode_json_line(*line) for line in lines) + b"\n"
    inp = tmp / "in.jsonl"
    inp.write_bytes(data)
    out = tmp / f"out.{out_fmt}"
    inputs: list[dict] = []
    for raw in data.split(b"\n"):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            inputs.append(obj)
    try:
        s = scan(inp, out, guard_spec=SPEC, batch_size=batch)
    except ConfigError as exc:
        # s32 H2: a column none of the (first 100) records has is a usage error, as in CSV
        assert "column 'text' not in the input" in str(exc)
        assert inputs and not any("text" in o for o in inputs[:100])
        return
    cols, rows, errors = check_invariant(s, out)
    assert s.rows == sum(1 for raw in data.split(b"\n") if raw.strip())
    keys = {k for obj in inputs if "bastion_action" not in obj for k in obj}
    if out_fmt == "jsonl":
        # each output row is an input object plus the result columns, unchanged
        # (NaN and infinities are written as null: strict JSON, s32 M4)
        canon = lambda o: json.dumps(_finite(o), sort_keys=True)  # noqa: E731
        got = [{k: v for k, v in r.items() if k not in RESULT} for r in rows]
        got += [e["record"] for e in errors if "record" in e]
        assert not Counter(map(canon, got)) - Counter(map(canon, inputs))
    else:
        # every input column is in the header (a lone surrogate in a name spelled \udXXX)
        spelled = {k.encode("utf-8", "backslashreplace").decode() for k in keys}
        assert spelled <= set(cols)
    assert len({e["line"] for e in errors}) == len(errors)


def _finite(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def _csv_bytes(header: list[str], records: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(records)
    return buf.getvalue().encode("utf-8", "surrogateescape")


plain = st.lists(st.sampled_from(["a", "b", " ", "@", "é", "ignore all"]), max_size=6).map("".join)
odd = st.lists(st.sampled_from([c for c in CHARS if c != "\ud800"]), max_size=8).map("".join)
csv_cells = st.one_of(plain, plain, odd, st.just(BIG))  # plain cells let a stray quote do harm


@FUZZ
@given(
    extra_cols=st.lists(st.sampled_from(["text", "note", "id", "", "x"]), max_size=3),
    records=st.lists(st.tuples(csv_cells, st.lists(csv_cells, max_size=4)), max_size=10),
    stray=st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(['"', '"\n', "\r", ","]), st.booleans()), max_size=2
    ),
    out_fmt=st.sampled_from(["jsonl", "csv", "parquet"]),
)
def test_fuzz_csv(tmp_path_factory, extra_cols, records, stray, out_fmt):
    tmp = tmp_path_factory.mktemp("fz")
    header = ["id", "text", *extra_cols]
    rows_in = [[f"r{i}", text, *rest] for i, (text, rest) in enumerate(records)]
    data = _csv_bytes(header, rows_in)
    head_len = len(_csv_bytes(header, []))
    ids = [m.span() for m in re.finditer(rb"r[0-9]+", data)]  # texts hold no digits
    for pos, junk, at_field_start in stray:  # damage the data, never the header or inside an id
        at = head_len + pos % max(1, len(data) - head_len)
        at = next((e for s, e in ids if s < at < e), at)
        if at_field_start:  # a quote that opens a field is the dangerous kind
            comma = data.find(b",", at)
            at = comma + 1 if comma != -1 else at
        data = data[:at] + junk.encode() + data[at:]
    inp = tmp / "in.csv"
    inp.write_bytes(data)
    out = tmp / f"out.{out_fmt}"
    s = scan(inp, out, guard_spec=SPEC, batch_size=3)
    cols, rows, errors = check_invariant(s, out)
    if out_fmt != "jsonl":  # (JSONL rows carry their own keys)
        assert cols[:2] == ["id", "text"] and len(cols) == len(header) + 4 and len(set(cols)) == len(cols)
    if not stray:
        assert s.rows == len(rows_in)
        by_id = {r["id"]: r for r in rows}
        for rec in rows_in:
            if rec[0] in by_id:  # not an error row: its text came through intact
                got = by_id[rec[0]]["text"]
                assert got == rec[1] or got == rec[1].encode("utf-8", "surrogateescape").decode(
                    "utf-8", "backslashreplace"
                )
    else:
        # a stray quote may cost the rows it touches, but each one is accounted for
        seen = json.dumps([rows, errors], default=str)
        assert all(rec[0] in seen for rec in rows_in)
        # and no output row silently swallowed another record (texts hold no digits)
        for r in rows:
            assert not [
                v for k, v in r.items() if k not in ("id", "bastion_pii") and re.search(r"r[0-9]", str(v))
            ]
