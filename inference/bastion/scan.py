"""``bastion scan``: score a CSV, JSONL or Parquet file in streaming batches.

Every input row ends up either in the output (its columns plus ``action``,
``injection_score``, ``pii`` and ``redacted_text``) or in ``OUT.errors.jsonl`` (its row
number and why: null, not text, invalid UTF-8, unparseable line). Rows are read, scored
and written batch by batch, so memory stays flat however large the file is.

Row numbers are 1-based: the record number after the header for CSV, the line number
for JSONL, the row index for Parquet.

    bastion scan prompts.csv --column text --output scored.csv --workers 2

>>> from bastion.scan import scan  # doctest: +SKIP
>>> scan("in.jsonl", "out.jsonl", column="prompt").rows_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bastion.errors import ConfigError, InputError
from bastion.guard import Guard, coerce_text
from bastion.types import Action, CheckResult

FORMATS = ("csv", "jsonl", "parquet")
RESULT_COLUMNS = ("action", "injection_score", "pii", "redacted_text")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


# guard loading --------------------------------------------------------------------------------


def load_guard(spec: str | None = None) -> Guard:
    """Build a Guard from a spec: ``None`` → :meth:`Guard.default`; ``"tasks=pii"`` (or
    ``"tasks=pii,injection"``) → :meth:`Guard.default` with those tasks; a YAML path →
    :meth:`Guard.from_config`; ``"package.module:function"`` → that zero-argument factory.

    >>> load_guard("no/such/file.yaml")
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: guard spec 'no/such/file.yaml' is neither a config file nor 'module:function'
    """
    if spec is None or spec == "default":
        return Guard.default()
    if spec.startswith("tasks="):
        return Guard.default(tasks=tuple(t.strip() for t in spec[len("tasks=") :].split(",") if t.strip()))
    if os.path.isfile(spec):
        return Guard.from_config(spec)
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr.isidentifier():
        raise ConfigError(f"guard spec {spec!r} is neither a config file nor 'module:function'")
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import guard factory {spec!r}: {exc}") from exc
    guard = factory()
    if not isinstance(guard, Guard):
        raise ConfigError(f"guard factory {spec!r} returned {type(guard).__name__}, not a Guard")
    return guard


@functools.lru_cache(maxsize=4)
def cached_guard(spec: str | None) -> Guard:
    """One Guard per process and spec: worker processes and Spark executors call this
    for every batch, and must not reload models each time."""
    return load_guard(spec)


# scoring --------------------------------------------------------------------------------------------


def result_fields(result: CheckResult) -> dict[str, Any]:
    """The columns a scored row gets (``pii`` is a JSON list of {label, start, end})."""
    return {
        "action": result.action.value,
        "injection_score": None
        if result.injection_score is None
        else round(float(result.injection_score), 6),
        "pii": json.dumps([{"label": f.label, "start": f.start, "end": f.end} for f in result.pii]),
        "redacted_text": result.redacted_text,
    }


def _as_text(value: Any) -> str:
    if value is None:
        raise InputError("value is null")
    if isinstance(value, str) and any("\udc80" <= c <= "\udcff" for c in value):
        # CSV is read with surrogateescape, which turns invalid UTF-8 bytes into these
        raise InputError("value is not valid UTF-8")
    return coerce_text(value)


def score_values(guard: Guard, values: list[Any]) -> list[dict[str, Any] | str]:
    """Score a batch of raw column values; each entry is the result columns or an error message.

    >>> from bastion.types import Finding
    >>> class D:
    ...     name, category, version, kind = "d", "pii", "1", "rules"
    ...     def detect(self, texts): return [[] for _ in texts]
    >>> [r if isinstance(r, str) else r["action"] for r in score_values(Guard([D()]), ["hi", None, 3])]
    ['allow', 'value is null', 'input must be str or UTF-8 bytes, got int']
    """
    out: list[dict[str, Any] | str] = [""] * len(values)
    texts: list[str] = []
    where: list[int] = []
    for i, v in enumerate(values):
        try:
            texts.append(_as_text(v))
            where.append(i)
        except InputError as exc:
            out[i] = str(exc)
    if not texts:
        return out
    try:
        results: list[CheckResult | str] = list(guard.check_many(texts))
    except InputError:
        # one bad text (e.g. over policy.max_chars) must not fail the whole batch
        results = []
        for t in texts:
            try:
                results.append(guard.check(t))
            except InputError as exc:
                results.append(str(exc))
    for i, r in zip(where, results, strict=True):
        out[i] = r if isinstance(r, str) else result_fields(r)
    return out


def _score_in_worker(spec: str | None, values: list[Any]) -> list[dict[str, Any] | str]:
    return score_values(cached_guard(spec), values)


# reading ------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    record: dict[str, Any] | None  # None: the row could not be parsed at all
    value: Any = None
    error: str | None = None


def detect_format(path: str | os.PathLike[str]) -> str:
    fmt = _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot tell the format of {path}; pass --input-format ({', '.join(FORMATS)})")
    return fmt


def _batched(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_csv(path: Path, column: str, columns_out: list[str]) -> Iterator[_Row]:
    # surrogateescape keeps invalid bytes instead of failing the whole file; the scored
    # column rejects them, other columns are written back byte for byte
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        if column not in header:
            raise ConfigError(f"column {column!r} not in {path} (columns: {', '.join(header)})")
        columns_out.extend(header)
        idx = header.index(column)
        for n, fields in enumerate(reader, start=1):
            record = {h: (fields[i] if i < len(fields) else None) for i, h in enumerate(header)}
            yield _Row(n, record, fields[idx] if idx < len(fields) else None)


def _read_jsonl(path: Path, column: str, columns_out: list[str]) -> Iterator[_Row]:
    seen: set[str] = set()
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield _Row(n, None, error=f"line is not valid UTF-8 (byte {exc.start})")
                continue
            except json.JSONDecodeError as exc:
                yield _Row(n, None, error=f"line is not valid JSON: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield _Row(n, None, error=f"line is a JSON {type(obj).__name__}, not an object")
                continue
            for k in obj:
                if k not in seen:
                    seen.add(k)
                    columns_out.append(k)
            if column not in obj:
                yield _Row(n, obj, error=f"column {column!r} is missing")
                continue
            yield _Row(n, obj, obj[column])


def _read_parquet(path: Path, column: str, columns_out: list[str], batch_size: int, schema_out: list[Any]):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    if column not in names:
        raise ConfigError(f"column {column!r} not in {path} (columns: {', '.join(names)})")
    columns_out.extend(names)
    schema_out.append(pf.schema_arrow)
    n = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            n += 1
            yield _Row(n, record, record[column])


# writing -------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, path: Path, fmt: str, columns: list[str], in_schema: Any | None) -> None:
        self.path, self.fmt, self.columns = path, fmt, columns
        self.fields = columns + [c for c in RESULT_COLUMNS if c not in columns]
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self._pq: Any = None
        self._schema: Any = None
        self.in_schema = in_schema

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.fmt == "csv":
            if self._fh is None:
                self._fh = open(self.path, "w", newline="", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
                self._csv = csv.DictWriter(self._fh, self.fields, extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerows({k: _csv_value(v) for k, v in r.items()} for r in rows)
        elif self.fmt == "jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            for r in rows:
                line = json.dumps(r, ensure_ascii=False, default=str) + "\n"
                try:
                    self._fh.write(line)
                except UnicodeEncodeError:
                    # invalid bytes carried from a CSV column: JSONL output stays valid UTF-8
                    self._fh.write(_text_value(line) or "")
        else:
            self._write_parquet(rows)

    def _write_parquet(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._schema is None:
            if self.in_schema is not None:
                base = [f for f in self.in_schema if f.name not in RESULT_COLUMNS]
            else:
                # rows from CSV/JSONL have no fixed types: store every input column as text
                base = [pa.field(c, pa.string()) for c in self.columns if c not in RESULT_COLUMNS]
            self._schema = pa.schema(
                [
                    *base,
                    pa.field("action", pa.string()),
                    pa.field("injection_score", pa.float64()),
                    pa.field("pii", pa.string()),
                    pa.field("redacted_text", pa.string()),
                ]
            )
            self._pq = pq.ParquetWriter(self.path, self._schema)
        if self.in_schema is None:
            rows = [{k: (v if k in RESULT_COLUMNS else _text_value(v)) for k, v in r.items()} for r in rows]
        self._pq.write_table(pa.Table.from_pylist(rows, schema=self._schema))

    def close(self) -> None:
        if self._fh is None and self._pq is None:
            self.write([])  # no scored row at all: still leave a valid, empty output
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()


def _csv_value(v: Any) -> Any:
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    return v


def _text_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if not isinstance(v, str):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# the run ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did. ``rows`` counts every input row (scored + errors)."""

    rows: int
    allowed: int
    redacted: int
    blocked: int
    errors: int
    seconds: float
    output: str
    errors_path: str | None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "allowed": self.allowed,
            "redacted": self.redacted,
            "blocked": self.blocked,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows_per_s, 1),
            "output": self.output,
            "errors_path": self.errors_path,
        }


def default_output(input_path: str | os.PathLike[str], fmt: str) -> Path:
    p = Path(input_path)
    ext = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt]
    return p.with_name(f"{p.stem}.scanned{ext}")


def _scored_batches(
    batches: Iterator[list[_Row]], guard_spec: str | None, workers: int
) -> Iterator[tuple[list[_Row], list[dict[str, Any] | str]]]:
    """Batches with their scores, in input order; with workers > 1 a bounded window of
    batches is in flight so reading never runs far ahead of scoring."""
    if workers <= 1:
        guard = cached_guard(guard_spec)
        for batch in batches:
            yield batch, score_values(guard, [r.value for r in batch if r.error is None])
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: forking a process that may hold ONNX sessions and threads is unsafe
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=cached_guard, initargs=(guard_spec,)
    ) as pool:
        window: deque[tuple[list[_Row], Any]] = deque()
        for batch in batches:
            values = [r.value for r in batch if r.error is None]
            window.append((batch, pool.submit(_score_in_worker, guard_spec, values)))
            if len(window) >= 2 * workers:
                b, fut = window.popleft()
                yield b, fut.result()
        while window:
            b, fut = window.popleft()
            yield b, fut.result()


def scan(
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    column: str = "text",
    fmt: str | None = None,
    input_format: str | None = None,
    workers: int = 1,
    batch_size: int = 256,
    guard_spec: str | None = None,
    progress: bool | None = None,
) -> ScanSummary:
    """Score every row of a file; see the module docstring.

    ``fmt`` is the output format (default: the input's). ``guard_spec`` is passed to
    :func:`load_guard` (in every worker process when ``workers > 1``).
    """
    src = Path(input_path)
    if not src.is_file():
        raise ConfigError(f"input file not found: {src}")
    in_fmt = input_format or detect_format(src)
    out_fmt = fmt or in_fmt
    for f in (in_fmt, out_fmt):
        if f not in FORMATS:
            raise ConfigError(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    if batch_size <= 0 or workers <= 0:
        raise ConfigError("batch size and workers must be positive")
    out = Path(output) if output is not None else default_output(src, out_fmt)
    if out.resolve() == src.resolve():
        raise ConfigError("output must not overwrite the input")
    errors_path = Path(f"{out}.errors.jsonl")
    errors_path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead

    columns: list[str] = []
    schema: list[Any] = []
    if in_fmt == "csv":
        rows = _read_csv(src, column, columns)
    elif in_fmt == "jsonl":
        rows = _read_jsonl(src, column, columns)
    else:
        rows = _read_parquet(src, column, columns, batch_size, schema)

    total = None
    if in_fmt == "parquet":
        import pyarrow.parquet as pq

        total = pq.ParquetFile(src).metadata.num_rows
    bar = _progress(total, progress)
    counts = {a: 0 for a in Action}
    n_rows = n_err = 0
    err_fh: IO[str] | None = None
    writer: _Writer | None = None
    t0 = time.perf_counter()
    try:
        for batch, scores in _scored_batches(_batched(rows, batch_size), guard_spec, workers):
            if writer is None:
                writer = _Writer(
                    out, out_fmt, list(columns), schema[0] if schema and out_fmt == "parquet" else None
                )
            it = iter(scores)
            good: list[dict[str, Any]] = []
            for row in batch:
                score = row.error if row.error is not None else next(it)
                if isinstance(score, str):
                    if err_fh is None:
                        err_fh = open(errors_path, "w", encoding="utf-8")  # noqa: SIM115
                    err_fh.write(json.dumps({"row": row.number, "column": column, "error": score}) + "\n")
                    n_err += 1
                else:
                    counts[Action(score["action"])] += 1
                    good.append({**(row.record or {}), **score})
            n_rows += len(batch)
            writer.write(good)
            if bar is not None:
                bar.update(len(batch))
        if writer is None:
            writer = _Writer(
                out, out_fmt, list(columns), schema[0] if schema and out_fmt == "parquet" else None
            )
        writer.close()
    finally:
        if err_fh is not None:
            err_fh.close()
        if bar is not None:
            bar.close()
    return ScanSummary(
        rows=n_rows,
        allowed=counts[Action.ALLOW],
        redacted=counts[Action.REDACT],
        blocked=counts[Action.BLOCK],
        errors=n_err,
        seconds=time.perf_counter() - t0,
        output=str(out),
        errors_path=str(errors_path) if n_err else None,
    )


def _progress(total: int | None, wanted: bool | None) -> Any:
    if wanted is None:
        wanted = sys.stderr.isatty()
    if not wanted:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="rows", file=sys.stderr)


# CLI -------------------------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    if args.tasks and (args.guard or args.config):
        print(
            "bastion scan: --tasks applies to the default guard, not with --guard/--config", file=sys.stderr
        )
        return 2
    guard_spec = args.guard or args.config or (f"tasks={args.tasks}" if args.tasks else None)
    try:
        summary = scan(
            args.input,
            args.output,
            column=args.column,
            fmt=args.format,
            input_format=args.input_format,
            workers=args.workers,
            batch_size=args.batch_size,
            guard_spec=guard_spec,
        )
    except (ConfigError, OSError) as exc:
        print(f"bastion scan: {exc}", file=sys.stderr)
        return 2
    s = summary
    print(
        f"rows {s.rows}  allowed {s.allowed}  redacted {s.redacted}  blocked {s.blocked}  errors {s.errors}  "
        f"{s.seconds:.1f}s  {s.rows_per_s:.0f} rows/s\noutput: {s.output}"
        + (f"\nerrors: {s.errors_path}" if s.errors_path else ""),
        file=sys.stderr,
    )
    if args.json:
        print(json.dumps(s.to_dict()))
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``bastion scan``."""
    p = subparsers.add_parser("scan", help="score a CSV/JSONL/Parquet file in batches")
    p.add_argument("input")
    p.add_argument("--column", default="text", help="the column holding the text (default: text)")
    p.add_argument("--output", "-o", help="output file (default: INPUT.scanned.<format>)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: the input's)")
    p.add_argument("--input-format", choices=FORMATS, help="input format (default: from the extension)")
    p.add_argument("--workers", type=int, default=1, help="processes, each with its own Guard (default 1)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--config", help="Guard YAML config (default: shipped models)")
    p.add_argument("--guard", help="advanced: 'module:function' returning a Guard")
    p.add_argument(
        "--tasks",
        help="default guard only: 'pii' for PII-only scans (no injection model), 'injection', or both",
    )
    p.add_argument("--json", action="store_true", help="also print the summary as JSON on stdout")
    p.set_defaults(func=_run)
