"""Readers and writers behind ``bastion scan``: damaged input becomes error rows, never a crash.

Readers yield :class:`Row` objects, one per input record (blank lines are not records).
A record that cannot be parsed is still a row, with ``error`` set and its raw text kept,
so ``rows in = rows out + rows in the errors file`` holds for any input. Writers turn
scored rows into bytes per row, so a value that cannot be serialised sends just its own
row to the errors file. Nothing here loads a model.

>>> import io
>>> rows = list(_csv_rows(io.BytesIO(b'id,text\\n1,"open\\n2,fine\\n'), "text", [], Source()))
>>> [(r.number, r.line, r.error is None) for r in rows]
[(1, 2, False), (2, 3, True)]
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bastion.errors import ConfigError

# a field may be as long as a whole text the Guard accepts and more; the csv module's
# default (131,072 chars) is a global limit, so it is raised once for the process
_CSV_FIELD_LIMIT = 2**31 - 1
# a quoted field may span this many physical lines; past it the opening quote is taken as
# stray (otherwise one stray quote would swallow, and re-read, the rest of the file)
MAX_RECORD_LINES = 10_000
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


@dataclass
class Row:
    """One input record. ``record`` is None when the record could not be parsed at all."""

    number: int  # 1-based record number (after the CSV header; blank lines not counted)
    line: int | None  # 1-based physical line where the record starts (None for Parquet)
    record: dict[str, Any] | None
    raw: str | None = None  # the unparseable text, for the errors file
    error: str | None = None


@dataclass
class Source:
    """What a reader learns about its input while it runs (columns, types, bytes read)."""

    columns: list[str] = field(default_factory=list)
    # Arrow types of input columns whose values need no conversion for Parquet output
    # (Parquet input: all; JSONL pre-pass: keys holding only numbers or only booleans)
    types: dict[str, Any] = field(default_factory=dict)
    bytes_read: int = 0


def _lines(fh: IO[bytes], limit: int | None) -> Iterator[bytes]:
    """The file's lines, but no byte past ``limit``: the run reads the input as it was when
    it started, so lines a live writer appends meanwhile are not half-read (their keys
    unknown to the JSONL pre-pass) and ``--resume``'s size check means what it says."""
    if limit is None:
        yield from fh
        return
    left = limit
    for raw in fh:
        if left <= 0:
            return
        if len(raw) > left:
            raw = raw[:left]
        left -= len(raw)
        yield raw


# UTF-32 first: its little-endian mark starts with UTF-16's
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)


def check_encoding(path: Path) -> None:
    """Refuse a CSV/JSONL file that starts with a UTF-16/32 byte-order mark (Excel's
    "Unicode text", PowerShell 5's default): read as UTF-8 it would only give a garbled
    header or an error row per line."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise ConfigError(
                f"{path} is not UTF-8: it starts with a {name} byte-order mark; "
                f"convert it first (e.g. iconv -f {name.split()[0]} -t UTF-8)"
            )


def shown(names: list[str]) -> str:
    """Column names for a message: repr() escapes control characters, so a header cannot
    retitle or recolour the terminal, and shows where a name starts and ends."""
    return ", ".join(map(repr, names))


# reading: CSV -------------------------------------------------------------------------------


class _StrayQuote(Exception):
    pass


class _Lines:
    """Feeds csv.reader one physical line at a time and remembers which lines the current
    record used, so a malformed record can be pushed back and re-read from its 2nd line."""

    def __init__(self, fh: IO[bytes], source: Source, limit: int | None = None) -> None:
        self._it = self._decoded(fh, source, limit)
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    @staticmethod
    def _decoded(fh: IO[bytes], source: Source, limit: int | None) -> Iterator[tuple[int, str]]:
        n = 0
        for raw in _lines(fh, limit):
            source.bytes_read += len(raw)
            # surrogateescape keeps invalid bytes: the scored column rejects them, other
            # columns are written back byte for byte
            text = raw.decode("utf-8", "surrogateescape")
            if n == 0 and text.startswith("\ufeff"):
                text = text[1:]
            # old Mac line ends (a lone \r) are line breaks too
            for piece in _LONE_CR.split(text) if "\r" in text else (text,):
                if piece:
                    n += 1
                    yield n, piece

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        item = self.pending.popleft() if self.pending else next(self._it)
        self.taken.append(item)
        if len(self.taken) > MAX_RECORD_LINES:
            raise _StrayQuote(f"a quoted field runs over {MAX_RECORD_LINES} lines")
        return item[1]


def _csv_records(
    fh: IO[bytes], source: Source, delimiter: str = ",", limit: int | None = None
) -> Iterator[tuple[int, list[str] | None, str, str | None]]:
    """(first line, fields or None, raw text, error) per record, header included."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    lines = _Lines(fh, source, limit)
    reader = csv.reader(lines, strict=True, delimiter=delimiter)
    width: int | None = None
    while True:
        lines.taken = []
        try:
            fields = next(reader)
            taken = lines.taken
        except StopIteration:
            return
        except (csv.Error, _StrayQuote) as exc:
            taken = lines.taken
            if not taken:
                return
            # the record's first line is the bad one; re-read from the line after it
            lines.pending.extendleft(reversed(taken[1:]))
            reader = csv.reader(
                lines, strict=True, delimiter=delimiter
            )  # a fresh parser: no quote state left
            yield taken[0][0], None, taken[0][1], f"malformed CSV (unbalanced quote?): {exc}"
            continue
        if not fields and len(taken) == 1 and not taken[0][1].strip("\r\n"):
            continue  # a blank line is not a record
        raw = "".join(t for _, t in taken)
        if width is None:
            width = len(fields)
        elif len(taken) > 1 and len(fields) != width:
            # a quoted field over several lines and the wrong field count: most likely a
            # stray quote that closed lines later and swallowed the records in between.
            # Say so, and keep the whole span (one record to the csv module) as one row
            yield (
                taken[0][0],
                None,
                raw,
                (
                    f"malformed CSV: a quoted field runs over {len(taken)} lines and the record has "
                    f"{len(fields)} fields, the header {width} (a stray quote may have merged records)"
                ),
            )
            continue
        yield taken[0][0], fields, raw, None


def unique_names(names: list[str]) -> list[str]:
    """Duplicate column names get ``.1``, ``.2``, ... so no value overwrites another.

    >>> unique_names(["id", "text", "id", "id.1"])
    ['id', 'text', 'id.2', 'id.1']
    """
    taken = set(names)
    seen: set[str] = set()
    out = []
    for n in names:
        if n in seen:
            k = 1
            while f"{n}.{k}" in taken or f"{n}.{k}" in seen:
                k += 1
            n = f"{n}.{k}"
        seen.add(n)
        out.append(n)
    return out


def _csv_rows(
    fh: IO[bytes],
    column: str,
    reserved: list[str],
    source: Source,
    delimiter: str = ",",
    limit: int | None = None,
) -> Iterator[Row]:
    records = _csv_records(fh, source, delimiter, limit)
    first = next(records, None)
    if first is None:
        # an empty table exported as a 0-byte file is no usage error: no rows, like an
        # empty JSONL or Parquet file
        return
    if first[1] is None:
        raise ConfigError(f"cannot parse the CSV header: {first[3]}")
    header = first[1]
    if column not in header:
        hint = ""
        if len(header) == 1:
            # one column holding the separators: a ';' (European spreadsheets) or tab file
            seen = [d for d in (";", "\t", "|", ",") if d != delimiter and d in header[0]]
            if seen:
                hint = f"; the header holds {seen[0]!r}: pass --delimiter {seen[0]!r}"
        raise ConfigError(f"column {column!r} not in the input (columns: {shown(header)}){hint}")
    names = unique_names(header)
    clash = [n for n in names if n in reserved]
    if clash:
        raise ConfigError(f"input column(s) {shown(clash)} collide with result columns; pass --prefix")
    source.columns.extend(names)
    for n, (line, fields, raw, error) in enumerate(records, start=1):
        if fields is None:
            yield Row(n, line, None, raw=raw, error=error)
            continue
        record = {h: (fields[i] if i < len(fields) else None) for i, h in enumerate(names)}
        if len(fields) > len(names):
            # the extra values have no column to go to: keep the row whole in the errors file
            yield Row(
                n, line, None, raw=raw, error=f"record has {len(fields)} fields, the header {len(names)}"
            )
        elif len(fields) < len(names) and record[column] is None:
            yield Row(n, line, record, error=f"record has {len(fields)} fields, the header {len(names)}")
        else:
            yield Row(n, line, record)


# reading: JSONL ---------------------------------------------------------------------------


def _json_line(raw: bytes) -> tuple[Any, str | None]:
    # Windows tools (PowerShell Out-File, Notepad) start a file with a BOM, and files
    # concatenated with cat carry theirs mid-stream: a BOM is never part of a record
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        return None, f"line is not valid UTF-8 (byte {exc.start})"
    except RecursionError:
        return None, "line is nested too deeply to parse"
    except ValueError as exc:  # JSONDecodeError, or an integer over the digit limit
        return None, f"line is not valid JSON: {getattr(exc, 'msg', exc)}"


def _jsonl_rows(
    fh: IO[bytes], column: str, reserved: list[str], source: Source, limit: int | None = None
) -> Iterator[Row]:
    seen = set(source.columns)
    n = 0
    for line_no, raw in enumerate(_lines(fh, limit), start=1):
        source.bytes_read += len(raw)
        if not raw.strip():
            continue  # a blank line is not a record
        n += 1
        obj, error = _json_line(raw)
        if error is None and not isinstance(obj, dict):
            error = f"line is a JSON {type(obj).__name__}, not an object"
        if error is not None:
            yield Row(
                n, line_no, None, raw=raw.decode("utf-8", "surrogateescape").rstrip("\r\n"), error=error
            )
            continue
        clash = [k for k in obj if k in reserved]
        if clash:
            yield Row(
                n, line_no, obj, error=f"key(s) {', '.join(clash)} collide with result columns; use --prefix"
            )
            continue
        for k in obj:
            if k not in seen:
                seen.add(k)
                source.columns.append(k)
        yield Row(n, line_no, obj, error=None if column in obj else f"column {column!r} is missing")


def jsonl_columns(path: Path, limit: int | None = None) -> tuple[list[str], dict[str, Any]]:
    """Pre-pass for CSV/Parquet output from JSONL: every top-level key in first-seen order,
    and the Arrow type of each key that holds only numbers or only booleans. ``limit``:
    read no byte past it, as the main pass will not."""
    import pyarrow as pa

    columns: dict[str, set[str]] = {}
    with open(path, "rb") as fh:
        for raw in _lines(fh, limit):
            if not raw.strip():
                continue
            obj, error = _json_line(raw)
            if error is None and isinstance(obj, dict):
                for k, v in obj.items():
                    columns.setdefault(k, set()).add(_kind(v))
    types = {
        frozenset({"int"}): pa.int64(),
        frozenset({"int", "float"}): pa.float64(),
        frozenset({"float"}): pa.float64(),
        frozenset({"bool"}): pa.bool_(),
    }
    typed = {
        k: types[frozenset(kinds - {"null"})]
        for k, kinds in columns.items()
        if frozenset(kinds - {"null"}) in types
    }
    return list(columns), typed


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int" if -(2**63) <= v < 2**63 else "other"
    if isinstance(v, float):
        return "float"
    return "str" if isinstance(v, str) else "other"


# reading: Parquet -------------------------------------------------------------------------


def _parquet_rows(
    path: Path, column: str, reserved: list[str], source: Source, batch_size: int
) -> Iterator[Row]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    if column not in names:
        raise ConfigError(f"column {column!r} not in the input (columns: {shown(names)})")
    if len(set(names)) != len(names):
        raise ConfigError("the Parquet file has duplicate column names; rename them first")
    clash = [n for n in names if n in reserved]
    if clash:
        raise ConfigError(f"input column(s) {shown(clash)} collide with result columns; pass --prefix")
    source.columns.extend(names)
    source.types = {f.name: f.type for f in pf.schema_arrow}
    n = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            n += 1
            yield Row(n, None, record)


def read_rows(
    path: Path,
    fmt: str,
    column: str,
    reserved: list[str],
    source: Source,
    batch_size: int,
    delimiter: str = ",",
    limit: int | None = None,
) -> Iterator[Row]:
    """Every record of ``path`` as a :class:`Row` (the header/schema is checked on the first
    ``next``: a missing column raises :class:`ConfigError` before any row is scored).
    ``limit``: CSV/JSONL are read up to this byte offset only."""
    if fmt == "parquet":
        yield from _parquet_rows(path, column, reserved, source, batch_size)
        return
    with open(path, "rb") as fh:
        if fmt == "csv":
            yield from _csv_rows(fh, column, reserved, source, delimiter, limit)
        else:
            yield from _jsonl_rows(fh, column, reserved, source, limit)


# writing ------------------------------------------------------------------------------------


def _escape_surrogates(s: str, raw_bytes: bool) -> str:
    """A str that encodes to UTF-8. ``\\udc80``-``\\udcff`` (invalid input bytes kept by
    surrogateescape) stay bytes when ``raw_bytes`` (CSV output), else become ``\\xNN``;
    other lone surrogates become ``\\udNNN`` text."""
    out = []
    for c in s:
        if "\ud800" <= c <= "\udfff":
            if "\udc80" <= c <= "\udcff":
                out.append(c if raw_bytes else f"\\x{ord(c) - 0xDC00:02x}")
            else:
                out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def _clean(s: str, raw_bytes: bool) -> str:
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return _escape_surrogates(s, raw_bytes)


def _json_default(v: Any) -> Any:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "surrogateescape")
    return str(v)


def _finite(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def jsonl_line(record: dict[str, Any]) -> bytes:
    """One JSON line, valid UTF-8 and strict JSON. Lone surrogates are kept as ``\\uXXXX``
    escapes, so nothing is lost (only lines that need it are ASCII-escaped). NaN and
    infinities become null: Python would write bare ``NaN``/``Infinity`` tokens, which JSON
    has no syntax for and strict parsers (JavaScript, Go, serde, BigQuery) reject."""
    try:
        text = json.dumps(record, ensure_ascii=False, default=_json_default, allow_nan=False)
    except ValueError:
        # the rare line with a non-finite float pays for a second pass, the others do not
        record = _finite(record)
        text = json.dumps(record, ensure_ascii=False, default=_json_default, allow_nan=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(record, ensure_ascii=True, default=_json_default, allow_nan=False)
        return (text + "\n").encode("ascii")


def _csv_cell(v: Any) -> Any:
    if type(v) is str:
        return v if v.isascii() else _clean(v, raw_bytes=True)
    if v is None:
        return ""
    if isinstance(v, str):
        return _clean(v, raw_bytes=True)
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "surrogateescape")
    if isinstance(v, dict | list | tuple):
        return _clean(json.dumps(v, ensure_ascii=False, default=_json_default), raw_bytes=True)
    if isinstance(v, bool):
        return "true" if v else "false"  # as JSON wrote it, not Python's True
    return v


def _text_cell(v: Any) -> str | None:
    """A value of an all-text Parquet column (CSV input, or a JSONL key of mixed types)."""
    if v is None:
        return None
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "backslashreplace")
    if not isinstance(v, str):
        v = json.dumps(v, ensure_ascii=False, default=_json_default)
    return _clean(v, raw_bytes=False)


class CsvEncoder:
    """Encodes rows as CSV lines under a fixed header."""

    def __init__(self, fields: list[str], delimiter: str = ",") -> None:
        self.fields = fields
        self._buf = io.StringIO()
        self._w = csv.writer(self._buf, delimiter=delimiter)

    def header(self) -> bytes:
        return self._encode([_csv_cell(f) for f in self.fields])

    def row(self, record: dict[str, Any]) -> bytes:
        return self.rows([record])

    def rows(self, records: list[dict[str, Any]]) -> bytes:
        self._buf.seek(0)
        self._buf.truncate()
        fields, cell = self.fields, _csv_cell
        self._w.writerows([cell(r.get(f)) for f in fields] for r in records)
        return self._buf.getvalue().encode("utf-8", "surrogateescape")

    def _encode(self, cells: list[Any]) -> bytes:
        self._buf.seek(0)
        self._buf.truncate()
        self._w.writerow(cells)
        return self._buf.getvalue().encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class ParquetLayout:
    """How rows become Parquet: the schema, input names that are not valid UTF-8 (Arrow
    needs valid names) renamed, and which columns are stored as text (non-str → JSON)."""

    schema: Any
    rename: dict[str, str]
    text_columns: frozenset[str]

    @classmethod
    def build(
        cls, columns: list[str], types: dict[str, Any], result: list[tuple[str, str]], redacted: str | None
    ) -> ParquetLayout:
        """``result``: (output name, kind) of the result columns; ``redacted``: the scanned
        column when ``--redact`` puts the redacted str in it."""
        import pyarrow as pa

        names = unique_names([_clean(c, raw_bytes=False) for c in columns])
        fields, text = [], set()
        for c, n in zip(columns, names, strict=True):
            if c in types and c != redacted:
                fields.append(pa.field(n, types[c]))
            else:
                fields.append(pa.field(n, pa.string()))
                text.add(n)
        kinds = {
            "action": pa.string(),
            "injection_score": pa.float64(),
            "pii": pa.list_(pa.struct([("label", pa.string()), ("start", pa.int64()), ("end", pa.int64())])),
            "redacted_text": pa.string(),
        }
        fields += [pa.field(name, kinds[kind]) for name, kind in result]
        rename = {c: n for c, n in zip(columns, names, strict=True) if c != n}
        return cls(pa.schema(fields), rename, frozenset(text))

    def table(self, rows: list[dict[str, Any]]) -> Any:
        import pyarrow as pa

        ren, text = self.rename, self.text_columns
        if ren or text:
            rows = [
                {(n := ren.get(k, k)): (_text_cell(v) if n in text else v) for k, v in r.items()}
                for r in rows
            ]
        return pa.Table.from_pylist(rows, schema=self.schema)


_UNWRITABLE = (ValueError, TypeError, RecursionError, OverflowError, UnicodeError)


def serialise(
    rows: list[dict[str, Any]],
    encode_all: Callable[[list[dict[str, Any]]], bytes],
    encode: Callable[[dict[str, Any]], bytes],
) -> tuple[bytes, list[str | None]]:
    """The bytes of every row that can be encoded, and per row None or why it cannot.
    The whole batch is tried at once; only a batch with a bad row is done row by row."""
    try:
        return encode_all(rows), [None] * len(rows)
    except _UNWRITABLE:
        pass
    data, why = serialise_each(rows, encode)
    return b"".join(d for d in data if d is not None), why


def serialise_each(
    rows: list[dict[str, Any]], encode: Callable[[dict[str, Any]], bytes]
) -> tuple[list[bytes | None], list[str | None]]:
    """Encode each row; a row that cannot be encoded gets None and its reason."""
    out: list[bytes | None] = []
    why: list[str | None] = []
    for r in rows:
        try:
            out.append(encode(r))
            why.append(None)
        except _UNWRITABLE as exc:
            out.append(None)
            why.append(f"row cannot be written: {type(exc).__name__}: {exc}")
    return out, why
