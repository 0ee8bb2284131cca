"""``bastion scan``: score a CSV, JSONL or Parquet file in streaming batches.

Every input record ends up either in the output or in ``OUT.errors.jsonl``, never in
neither: ``rows in = rows out + rows in the errors file``. Output rows keep every input
column and add the result columns, namespaced so they cannot collide with input columns:
``bastion_action``, ``bastion_injection_score``, ``bastion_pii`` (a list of
``{label, start, end}``: nested in JSONL and Parquet, a JSON string in CSV) and
``bastion_redacted_text`` (``--prefix`` changes ``bastion_``). With ``redact=True`` the
scanned column itself holds the redacted text and no raw copy is written anywhere.

Error rows say which record and why: ``row`` (1-based record number; blank lines and the
CSV header are not records), ``line`` (1-based line where the record starts; null for
Parquet), ``id`` (the ``id_column`` value), ``error``, ``message`` (the same in words) and
the parsed ``record`` or, when the record could not be parsed, its ``raw`` text.

The output is written to ``OUT.partial`` (Parquet: parts in ``OUT.parts/``) and renamed
when complete, so an interrupted run never leaves a truncated file at ``OUT``. After each
batch ``OUT.progress.json`` records how far the run got; ``resume=True`` continues from
there, and the result equals an uninterrupted run. ``OUT.lock`` keeps a second run off the
same output while one is running.

    bastion scan prompts.csv --column text --output scored.csv --workers 2

>>> from bastion.scan import scan  # doctest: +SKIP
>>> scan("in.jsonl", "out.jsonl", column="prompt").rows_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bastion.errors import ConfigError
from bastion.results import row_columns
from bastion.scan_io import (
    CsvEncoder,
    ParquetLayout,
    Row,
    Source,
    check_encoding,
    jsonl_columns,
    jsonl_line,
    read_rows,
    serialise,
    shown,
)
from bastion.scoring import cached_guard, score_values
from bastion.types import PII, Action

FORMATS = ("csv", "jsonl", "parquet")
DEFAULT_PREFIX = "bastion_"
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_PROGRESS_VERSION = 1
# JSONL has no header: a --column that none of the first this-many records has is taken
# for a typo (the usage error CSV and Parquet give), not turned into one error row per line
_COLUMN_PEEK = 100


class _Terminated(BaseException):  # noqa: N818 - named like KeyboardInterrupt, its sibling
    """SIGTERM (kill, docker stop, Kubernetes, Slurm) during ``bastion scan``. A
    BaseException like KeyboardInterrupt, so the run stops the same way: workers stopped,
    finished batches kept for ``--resume``."""


def _score_in_worker(spec: str | None, values: list[Any]) -> list[dict[str, Any] | str]:
    return score_values(cached_guard(spec), values)


def _worker_init(parent: int) -> None:
    """Make a pool worker die with the scan: a parent killed by a signal it cannot catch
    (SIGKILL, the OOM killer) would otherwise leave every worker running with its models
    loaded, reparented to init."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
        watch = False
    except (OSError, AttributeError, TypeError):  # not Linux: poll instead
        watch = True
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    if watch:

        def poll() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=poll, name="bastion-scan-parent-watch", daemon=True).start()


def _has_pii(guard: Any) -> bool:
    return any(getattr(d, "category", None) == PII for d in guard.detectors)


def _guard_state(guard: Any) -> tuple[bool, tuple[str, ...], tuple[tuple[str, str], ...]]:
    """What the summary reports of a guard: whether it has a PII detector, why it runs
    degraded (a model missing or unusable) and the model versions it runs."""
    versions = getattr(guard, "model_versions", None) or {}
    return (
        _has_pii(guard),
        tuple(getattr(guard, "degraded_reasons", ()) or ()),
        tuple(sorted((str(k), str(v)) for k, v in versions.items())),
    )


def _stop_workers(pool: Any) -> None:
    """Kill the pool's processes now: on Ctrl-C or SIGTERM a clean shutdown would wait for
    every batch in flight, possibly longer than the grace period before SIGKILL. (``_processes``
    is private, hence getattr: without it the clean shutdown still runs, only slower.)"""
    for proc in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            proc.terminate()


def _batched(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _scored_batches(
    batches: Iterator[list[Row]], column: str, guard_spec: str | None, pool: Any, workers: int
) -> Iterator[tuple[list[Row], list[dict[str, Any] | str]]]:
    """Batches with their scores, in input order; with a worker pool a bounded window of
    batches is in flight so reading never runs far ahead of scoring."""

    def values(batch: list[Row]) -> list[Any]:
        return [r.record[column] for r in batch if r.error is None and r.record is not None]

    if pool is None:
        guard = cached_guard(guard_spec)
        for batch in batches:
            yield batch, score_values(guard, values(batch))
        return
    window: deque[tuple[list[Row], Any]] = deque()
    for batch in batches:
        window.append((batch, pool.submit(_score_in_worker, guard_spec, values(batch))))
        if len(window) >= 2 * workers:
            b, fut = window.popleft()
            yield b, fut.result()
    while window:
        b, fut = window.popleft()
        yield b, fut.result()


@contextlib.contextmanager
def _workers(workers: int, guard_spec: str | None, redact: bool) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(None with one worker, else a pool of ``workers`` processes; the guard's
    :func:`_guard_state`). Either way the Guard is built already, so a bad guard spec or
    config fails with its own message before any output is created (a pool initializer
    that raised would only show as a BrokenProcessPool, once per worker)."""
    if workers <= 1:
        state = _guard_state(cached_guard(guard_spec))
        _check_redact(state[0], redact)
        yield None, state
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: forking a process that may hold ONNX sessions and threads is unsafe
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    try:
        state = pool.submit(_build_in_worker, guard_spec).result()
        _check_redact(state[0], redact)
        yield pool, state
    except BaseException:
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _build_in_worker(spec: str | None) -> tuple[bool, tuple[str, ...], tuple[tuple[str, str], ...]]:
    return _guard_state(cached_guard(spec))


def _check_redact(has_pii: bool, redact: bool) -> None:
    # without a PII detector --redact would write every text raw into a file that looks
    # redacted (bastion_redacted_text dropped)
    if redact and not has_pii:
        raise ConfigError(
            "--redact needs a PII detector, and this guard has none (every text would stay unredacted)"
        )


# the run ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did. ``rows`` counts every input record (output + errors), including
    the ``resumed`` ones an earlier, interrupted run had already done."""

    rows: int
    allowed: int
    redacted: int
    blocked: int
    errors: int
    seconds: float
    output: str
    errors_path: str | None
    labels: tuple[tuple[str, int], ...] = ()  # PII label counts, most frequent first
    resumed: int = 0
    # why this run's guard ran degraded (a model missing or unusable: names left in clear,
    # attacks judged by the heuristic); empty when it ran the models it was meant to
    degraded_reasons: tuple[str, ...] = ()
    model_versions: tuple[tuple[str, str], ...] = ()  # (detector, version) of this run's guard

    @property
    def degraded(self) -> bool:
        return bool(self.degraded_reasons)

    @property
    def rows_per_s(self) -> float:
        done = self.rows - self.resumed
        return done / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        counts = {name: getattr(self, name) for name in ("rows", "allowed", "redacted", "blocked", "errors")}
        return {
            **counts,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows_per_s, 1),
            "output": self.output,
            "errors_path": self.errors_path,
            "labels": dict(self.labels),
            "resumed": self.resumed,
            "degraded": self.degraded,
            "degraded_reasons": list(self.degraded_reasons),
            "model_versions": dict(self.model_versions),
        }


def detect_format(path: str | os.PathLike[str]) -> str:
    fmt = _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot tell the format of {path}; pass --input-format ({', '.join(FORMATS)})")
    return fmt


def default_output(input_path: str | os.PathLike[str], fmt: str) -> Path:
    p = Path(input_path)
    ext = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt]
    if fmt == "csv" and p.suffix.lower() == ".tsv":
        ext = ".tsv"  # written with the input's tabs
    return p.with_name(f"{p.stem}.scanned{ext}")


def result_names(prefix: str = DEFAULT_PREFIX, redact: bool = False) -> dict[str, str]:
    """Result column kind → output column name.

    >>> result_names()["action"], list(result_names("r_", redact=True))
    ('bastion_action', ['action', 'injection_score', 'pii'])
    """
    return row_columns(prefix, redacted_text=not redact)


@dataclass
class _State:
    """Progress of a run, saved after every batch to ``OUT.progress.json``."""

    rows: int = 0
    out_bytes: int = 0
    err_bytes: int = 0
    parts: int = 0
    errors: int = 0
    counts: dict[str, int] | None = None
    labels: dict[str, int] | None = None


class _Run:
    """Temp output + temp errors file + progress sidecar of one scan."""

    def __init__(self, out: Path, out_fmt: str, fingerprint: dict[str, Any], resume: bool) -> None:
        self.out, self.fmt, self.fingerprint = out, out_fmt, fingerprint
        self.errors_path = Path(f"{out}.errors.jsonl")
        self.partial = Path(f"{out}.partial")
        self.err_partial = Path(f"{self.errors_path}.partial")
        self.parts = Path(f"{out}.parts")
        self.progress = Path(f"{out}.progress.json")
        self.state = _State(counts={a.value: 0 for a in Action}, labels={})
        self.resumed = False
        if resume and self.progress.exists():
            saved = json.loads(self.progress.read_text(encoding="utf-8"))
            if saved.get("version") != _PROGRESS_VERSION or saved.get("fingerprint") != fingerprint:
                raise ConfigError(
                    f"{self.progress} is from a run with another input or options; "
                    "rerun without --resume to start over"
                )
            self.state = _State(**saved["state"])
            self.resumed = True
            self._check_resumable()
        else:
            for p in (self.partial, self.err_partial, self.progress):
                p.unlink(missing_ok=True)
            shutil.rmtree(self.parts, ignore_errors=True)
        self._progress_fd: int | None = None
        self._progress_len = 0
        self.out_fh: IO[bytes] | None = None
        if out_fmt == "parquet":
            self.parts.mkdir(exist_ok=True)
            for part in self.parts.glob("part-*.parquet"):
                if int(part.stem.split("-")[1]) >= self.state.parts:
                    part.unlink()  # written after the last saved checkpoint
        else:
            self.out_fh = self._open(self.partial, self.state.out_bytes)
        self.err_fh = self._open(self.err_partial, self.state.err_bytes)

    def _check_resumable(self) -> None:
        """The temp files hold at least what the progress file says; else resuming would
        pad a cut file with zeros or loop on a missing one."""
        st = self.state
        if not self.err_partial.exists():
            if st.err_bytes == 0:
                self.err_partial.touch()
            elif self.errors_path.exists() and self.errors_path.stat().st_size == st.err_bytes:
                # a run killed inside finish(), between its two renames: take the file back
                os.replace(self.errors_path, self.err_partial)
        done = self.out.is_file() and self.out.stat().st_size == st.out_bytes
        if self.fmt != "parquet" and not self.partial.exists() and done:
            os.replace(self.out, self.partial)  # killed after finish()'s last rename
        needed = [(self.err_partial, st.err_bytes)]
        if self.fmt == "parquet":
            needed += [(self.parts / f"part-{i:07d}.parquet", 0) for i in range(st.parts)]
        else:
            needed.append((self.partial, st.out_bytes))
        for path, size in needed:
            if not path.is_file() or path.stat().st_size < size:
                raise ConfigError(
                    f"cannot resume: {path} is {'shorter than the progress file says' if path.is_file() else 'missing'}; "
                    "rerun without --resume to start over"
                )

    def _open(self, path: Path, size: int) -> IO[bytes]:
        if self.resumed:
            fh = open(path, "r+b")  # noqa: SIM115
            fh.truncate(size)  # drop what a killed run wrote after its last checkpoint
            fh.seek(size)
            return fh
        return open(path, "wb")  # noqa: SIM115

    def write_out(self, data: bytes) -> None:
        assert self.out_fh is not None
        self.out_fh.write(data)
        self.state.out_bytes += len(data)

    def write_part(self, table: Any) -> None:
        import pyarrow.parquet as pq

        path = self.parts / f"part-{self.state.parts:07d}.parquet"
        pq.write_table(table, path)
        self.state.parts += 1

    def write_errors(self, lines: list[bytes]) -> None:
        data = b"".join(lines)
        self.err_fh.write(data)
        self.state.err_bytes += len(data)
        self.state.errors += len(lines)

    def checkpoint(self) -> None:
        """Everything up to ``state.rows`` is in the temp files; say so atomically."""
        if self.out_fh is not None:
            self.out_fh.flush()
        self.err_fh.flush()
        data = json.dumps(
            {"version": _PROGRESS_VERSION, "fingerprint": self.fingerprint, "state": vars(self.state)}
        ).encode("utf-8")
        # one pwrite at offset 0, padded with spaces (JSON ignores them) to never shrink:
        # a killed process cannot leave it half-written, and it costs a fraction of the
        # write-and-rename this would otherwise take (milliseconds per batch on overlayfs)
        if self._progress_fd is None:
            self._progress_fd = os.open(self.progress, os.O_RDWR | os.O_CREAT, 0o644)
            self._progress_len = os.fstat(self._progress_fd).st_size  # a resumed run's file
        self._progress_len = max(self._progress_len, len(data))
        os.pwrite(self._progress_fd, data.ljust(self._progress_len), 0)

    def finish(self, schema: Any) -> None:
        if self.fmt == "parquet":
            self._merge_parts(schema)
        else:
            assert self.out_fh is not None
            self.out_fh.flush()
            os.fsync(self.out_fh.fileno())
            # the lock should make this impossible; if it failed (a lock file deleted by
            # hand, a file system without locks), never publish another run's file
            mine = os.fstat(self.out_fh.fileno())
            now = self.partial.stat() if self.partial.exists() else None
            self.out_fh.close()
            if now is None or (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
                raise RuntimeError(f"{self.partial} was replaced by another process; not publishing it")
        self.err_fh.flush()
        os.fsync(self.err_fh.fileno())
        self.err_fh.close()
        if self.state.errors:
            os.replace(self.err_partial, self.errors_path)
        else:
            self.err_partial.unlink(missing_ok=True)
            self.errors_path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead
        os.replace(self.partial, self.out)
        self.progress.unlink(missing_ok=True)
        shutil.rmtree(self.parts, ignore_errors=True)

    def close(self) -> None:
        if self._progress_fd is not None:
            os.close(self._progress_fd)
            self._progress_fd = None
        for fh in (self.out_fh, self.err_fh):
            if fh is not None and not fh.closed:
                fh.close()

    def _merge_parts(self, schema: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        with pq.ParquetWriter(self.partial, schema) as writer:
            pending: list[Any] = []
            n = 0
            for i in range(self.state.parts):
                t = pq.read_table(self.parts / f"part-{i:07d}.parquet", schema=schema)
                pending.append(t)
                n += t.num_rows
                if n >= 65_536:  # row groups of a sensible size, not one per batch
                    writer.write_table(pa.concat_tables(pending))
                    pending, n = [], 0
            if pending:
                writer.write_table(pa.concat_tables(pending))


@contextlib.contextmanager
def _output_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT.lock`` (an exclusive flock) for the whole run: two runs on one output
    would share its fixed temp names, and the first to finish would publish the other's
    unfinished file. Also tells ``--resume`` that the earlier run is really gone. The
    kernel drops the lock when the process dies, however it dies."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; runs are not guarded against each other
        yield
        return
    path = Path(f"{out}.lock")
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(
                f"another scan is writing {out} (it holds {path}); wait for it, or write to another output"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # the holder before us unlinks the file before it unlocks: if we locked that old
        # file, the path is someone else's by now, so start over on the current one
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a person looking at who holds it
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _sidecars(out: Path) -> list[Path]:
    """Every file a run on ``out`` writes or deletes."""
    suffixes = ("", ".partial", ".errors.jsonl", ".errors.jsonl.partial", ".progress.json", ".parts", ".lock")
    return [Path(f"{out}{suffix}") for suffix in suffixes]


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # b does not exist (yet)
        return False


def _where(row: Row, id_value: Any, has_id: bool) -> str:
    bits = [f"row {row.number}"]
    if row.line is not None:
        bits.append(f"line {row.line}")
    if has_id:
        bits.append(f"id {id_value!r}" if id_value is not None else "no id")
    return bits[0] + (f" ({', '.join(bits[1:])})" if len(bits) > 1 else "")


def _error_line(row: Row, reason: str, column: str, id_column: str | None, redact: bool) -> bytes:
    id_value = row.record.get(id_column) if (id_column and row.record is not None) else None
    rec: dict[str, Any] = {"row": row.number, "line": row.line, "column": column}
    if id_column:
        rec["id"] = id_value
    rec["error"] = reason
    rec["message"] = f"{_where(row, id_value, bool(id_column))}: {reason}"
    if row.record is not None and not (redact and column not in row.record):
        # with --redact the raw text never leaves the input file, not even for a bad row
        rec["record"] = {k: v for k, v in row.record.items() if not (redact and k == column)}
    elif row.record is None and not redact:
        rec["raw"] = row.raw
    # (a record without the scanned column, with --redact: its text may be under another
    # key, a typo of --column, so none of it is copied)
    try:
        return jsonl_line(rec)
    except (ValueError, TypeError, RecursionError):
        rec.pop("record", None)
        rec["message"] += " (the record itself could not be written)"
        return jsonl_line(rec)


def _output_format(out: Path) -> str:
    fmt = _EXTENSIONS.get(out.suffix.lower())
    if fmt is None:
        # as for the input: a guess would write, say, CSV into out.json or JSONL into .xlsx
        hint = " (JSON Lines is written as .jsonl)" if out.suffix.lower() == ".json" else ""
        raise ConfigError(
            f"cannot tell the output format of {out} from its extension{hint}; "
            f"pass --format ({', '.join(FORMATS)}) or use .csv/.tsv, .jsonl/.ndjson, .parquet/.pq"
        )
    return fmt


def _check_not_the_input(src: Path, out: Path) -> None:
    """The run writes, renames over and deletes the output and its sidecar files: none of
    them may be the input (rescanning ``r.errors.jsonl`` to ``-o r`` once deleted it)."""
    if _same_file(src, out):
        raise ConfigError("output must not overwrite the input")
    for side in _sidecars(out)[1:]:
        if _same_file(src, side) or side.resolve() in src.resolve().parents:
            raise ConfigError(f"output must not overwrite the input: the run writes or deletes {side}")


def _check_jsonl_column(head: list[Row], column: str) -> None:
    """JSONL's stand-in for a header check: refuse a column none of the first records has
    (a typo, or the default ``text``), instead of one error row, with a raw copy of the
    record, per line. Rows that are no JSON object prove nothing either way."""
    objects = [r.record for r in head if r.record is not None]
    if objects and not any(column in r for r in objects):
        keys = list(dict.fromkeys(k for r in objects for k in r))
        more = ", ..." if len(keys) > 20 else ""
        raise ConfigError(
            f"column {column!r} not in the input (none of the first {len(head)} records has it; "
            f"keys: {shown(keys[:20]) or 'none'}{more})"
        )


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
    redact: bool = False,
    id_column: str | None = None,
    prefix: str = DEFAULT_PREFIX,
    resume: bool = False,
    delimiter: str | None = None,
) -> ScanSummary:
    """Score every record of a file; see the module docstring.

    ``fmt`` is the output format (default: from the output's extension, which must be a
    known one; the input's format without an output). ``guard_spec`` names the Guard (a
    :class:`bastion.config.GuardSpec` string; every worker process builds its own when
    ``workers > 1``, so a script that uses workers needs an ``if __name__ == "__main__":``
    guard). ``resume`` continues an interrupted run with the same input and options from
    its last complete batch. ``delimiter``: the CSV field separator, of the input and a CSV
    output (default: each file's own extension decides, tab for ``.tsv``, else a comma).
    A second run on an output that a running scan holds raises :class:`ConfigError`.
    """
    src = Path(input_path)
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum()):
        raise ConfigError(
            f"the delimiter must be one character, not a quote, letter, digit or newline: {delimiter!r}"
        )
    if src.is_dir():
        raise ConfigError(f"input {src} is a directory; scan one file in it (e.g. one part-*.parquet)")
    if not src.is_file():
        raise ConfigError(f"input file not found: {src}")
    if output is not None and Path(output).is_dir():
        raise ConfigError(f"output {output} is a directory; name a file in it")
    in_fmt = input_format or detect_format(src)
    out_fmt = fmt or (_output_format(Path(output)) if output is not None else in_fmt)
    for f in (in_fmt, out_fmt):
        if f not in FORMATS:
            raise ConfigError(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    if batch_size <= 0 or workers <= 0:
        raise ConfigError("batch size and workers must be positive")
    if not prefix:
        raise ConfigError("the result column prefix must not be empty")
    if redact and id_column == column:
        raise ConfigError(
            "--id-column must not be the scanned column with --redact (it would copy the raw text)"
        )
    out = Path(output) if output is not None else default_output(src, out_fmt)
    _check_not_the_input(src, out)
    if not out.parent.is_dir():
        raise ConfigError(f"output directory not found: {out.parent}")
    # each file's own extension picks its separator: -o x.tsv from a .csv writes tabs
    in_delimiter = delimiter or ("\t" if src.suffix.lower() == ".tsv" else ",")
    out_delimiter = delimiter or ("\t" if out.suffix.lower() == ".tsv" else ",")
    names = result_names(prefix, redact)
    reserved = list(names.values())
    if in_fmt != "parquet":
        check_encoding(src)

    # the run reads the input as it is now, up to this size: lines appended meanwhile are
    # left for the next run (see _lines), and the fingerprint describes what was read
    stat = src.stat()
    limit = stat.st_size if in_fmt != "parquet" else None
    source = Source()
    if in_fmt == "jsonl" and out_fmt != "jsonl":
        # CSV and Parquet need every column up front; JSONL keys may first appear anywhere
        source.columns, source.types = jsonl_columns(src, limit)
        source.columns = [c for c in source.columns if c not in reserved]
    rows = read_rows(src, in_fmt, column, reserved, source, batch_size, in_delimiter, limit)
    try:
        first = next(rows, None)  # reads the header/schema: a wrong --column fails here, before any output
    except ValueError as exc:  # pyarrow's ArrowInvalid too: a CSV read as Parquet, say
        raise ConfigError(f"cannot read {src} as {in_fmt}: {exc}") from exc
    if id_column and in_fmt != "jsonl" and source.columns and id_column not in source.columns:
        raise ConfigError(f"id column {id_column!r} not in the input (columns: {shown(source.columns)})")
    head = [first] if first is not None else []
    if in_fmt == "jsonl" and head:
        head += itertools.islice(rows, _COLUMN_PEEK - 1)
        _check_jsonl_column(head, column)
    rows = itertools.chain(head, rows)

    # a bad guard spec or a missing model fails here, before any output; so does a second
    # run on the same output, before it touches the first one's files
    with _output_lock(out), _workers(workers, guard_spec, redact) as (pool, guard_state):
        fingerprint = {
            "input": str(src.resolve()),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "input_format": in_fmt,
            "format": out_fmt,
            "column": column,
            "id_column": id_column,
            "redact": redact,
            "prefix": prefix,
            "delimiter": in_delimiter,
            "output_delimiter": out_delimiter,
            "guard": guard_spec,
        }
        run = _Run(out, out_fmt, fingerprint, resume)
        st = run.state
        resumed = st.rows
        assert st.counts is not None and st.labels is not None
        rows = itertools.islice(rows, resumed, None)

        fields = list(source.columns) + list(names.values())
        encoder: Any = None
        layout: ParquetLayout | None = None
        if out_fmt == "csv":
            encoder = CsvEncoder(fields, out_delimiter)
            if not run.resumed:
                run.write_out(encoder.header())
        elif out_fmt == "parquet":
            result = [(name, kind) for kind, name in names.items()]
            layout = ParquetLayout.build(
                list(source.columns), source.types, result, column if redact else None
            )
        run.checkpoint()

        total = _total(src, in_fmt, stat.st_size)
        bar = _progress(total, in_fmt, progress)
        if bar is not None:
            bar.update(resumed if in_fmt == "parquet" else 0)
        t0 = time.perf_counter()
        try:
            batches = _scored_batches(_batched(rows, batch_size), column, guard_spec, pool, workers)
            for batch, scores in batches:
                errs: list[bytes] = []
                good: list[tuple[Row, dict[str, Any], dict[str, Any]]] = []
                it = iter(scores)
                for row in batch:
                    score = row.error if row.error is not None else next(it)
                    if isinstance(score, str):
                        errs.append(_error_line(row, score, column, id_column, redact))
                        continue
                    rec = dict(row.record or {})
                    if redact:
                        rec[column] = score["redacted_text"]
                    for kind, name in names.items():
                        rec[name] = score[kind]
                    good.append((row, rec, score))
                written = _write_good(run, out_fmt, good, encoder, layout)
                for (row, _, score), why in zip(good, written, strict=True):
                    if why is not None:
                        errs.append(_error_line(row, why, column, id_column, redact))
                        continue
                    st.counts[score["action"]] += 1
                    for f in score["pii"]:
                        st.labels[f["label"]] = st.labels.get(f["label"], 0) + 1
                run.write_errors(errs)
                st.rows += len(batch)
                run.checkpoint()
                if bar is not None:
                    bar.update(len(batch) if in_fmt == "parquet" else source.bytes_read - bar.n)
            run.finish(layout.schema if layout is not None else None)
        except Exception as exc:
            exc.add_note("finished batches are kept; rerun with --resume to continue")
            raise
        finally:
            run.close()
            if bar is not None:
                bar.close()
        return ScanSummary(
            rows=st.rows,
            allowed=st.counts[Action.ALLOW.value],
            redacted=st.counts[Action.REDACT.value],
            blocked=st.counts[Action.BLOCK.value],
            errors=st.errors,
            seconds=time.perf_counter() - t0,
            output=str(out),
            errors_path=str(run.errors_path) if st.errors else None,
            labels=tuple(Counter(st.labels).most_common()),
            resumed=resumed,
            degraded_reasons=guard_state[1],
            model_versions=guard_state[2],
        )


def _write_good(
    run: _Run,
    out_fmt: str,
    good: list[tuple[Row, dict[str, Any], dict[str, Any]]],
    encoder: Any,
    layout: ParquetLayout | None,
) -> list[str | None]:
    """Write the scored rows; returns, per row, None or why it could not be written."""
    records = [rec for _, rec, _ in good]
    if layout is not None:
        if not records:
            return []
        try:
            run.write_part(layout.table(records))
            return [None] * len(records)
        except Exception:
            pass  # find the rows Arrow cannot take; write the others
        ok: list[dict[str, Any]] = []
        why: list[str | None] = []
        for r in records:
            try:
                layout.table([r])
                ok.append(r)
                why.append(None)
            except Exception as exc:
                why.append(f"row cannot be written as Parquet: {type(exc).__name__}: {exc}")
        if ok:
            run.write_part(layout.table(ok))
        return why
    if out_fmt == "csv":
        data, why = serialise(records, encoder.rows, encoder.row)
    else:
        data, why = serialise(records, lambda rs: b"".join(map(jsonl_line, rs)), jsonl_line)
    run.write_out(data)
    return why


def _total(src: Path, in_fmt: str, size: int) -> int | None:
    if in_fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(src).metadata.num_rows
    return size  # CSV/JSONL: progress in bytes read, up to the size at the start


def _progress(total: int | None, in_fmt: str, wanted: bool | None) -> Any:
    if wanted is None:
        wanted = sys.stderr.isatty()
    if not wanted:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    if in_fmt == "parquet":
        return tqdm(total=total, unit="rows", file=sys.stderr)
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


def summary_table(s: ScanSummary, top: int = 5) -> str:
    """The table ``bastion scan`` prints at the end.

    >>> print(summary_table(ScanSummary(3, 1, 1, 0, 1, 2.0, "o.csv", "o.csv.errors.jsonl", (("EMAIL", 2),))))
    rows        3  (1.5 rows/s, 2.0 s)
    allowed     1
    redacted    1
    blocked     0
    errors      1  -> o.csv.errors.jsonl
    top labels  EMAIL 2
    output      o.csv
    """
    labels = ", ".join(f"{k} {v}" for k, v in s.labels[:top]) or "-"
    lines = [
        f"rows        {s.rows}  ({s.rows_per_s:.1f} rows/s, {s.seconds:.1f} s"
        + (f", {s.resumed} done by the earlier run" if s.resumed else "")
        + ")",
        f"allowed     {s.allowed}",
        f"redacted    {s.redacted}",
        f"blocked     {s.blocked}",
        f"errors      {s.errors}" + (f"  -> {s.errors_path}" if s.errors_path else ""),
        f"top labels  {labels}",
        f"output      {s.output}",
    ]
    if s.degraded:
        lines.append(f"degraded    yes: {'; '.join(s.degraded_reasons)}")
    return "\n".join(lines)


# CLI -------------------------------------------------------------------------------------------------------------

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2

_EPILOG = """\
output columns:
  every input column, plus bastion_action (allow|redact|block), bastion_injection_score,
  bastion_pii (list of {label, start, end}; a JSON string in CSV) and bastion_redacted_text.
  --prefix changes "bastion_". With --redact the scanned column holds the redacted text
  and bastion_redacted_text is not written. Duplicate CSV header names get .1, .2, ...
  Records that cannot be scored or parsed go to OUTPUT.errors.jsonl (row, line, id,
  error, message, and the record or raw line; never the raw text with --redact).

exit codes:
  0  the run completed (also when rows were blocked or went to the errors file, and
     when the guard ran degraded: the summary says so, with "degraded" in --json)
  1  runtime error (model failed to load, I/O error, worker crashed); the finished
     batches are kept: rerun with --resume to continue
  2  usage error (bad option, missing file or column, bad guard spec, --redact with
     no PII detector, another scan already writing OUTPUT)
  130  interrupted (Ctrl-C); rerun with --resume to continue
  143  terminated (SIGTERM: kill, docker stop, Kubernetes); rerun with --resume to continue
  (3, "blocked", is used by bastion check, not by scan)
"""


def _run(args: argparse.Namespace) -> int:
    if args.tasks and (args.guard or args.config):
        print(
            "bastion scan: --tasks applies to the default guard, not with --guard/--config", file=sys.stderr
        )
        return EXIT_USAGE
    guard_spec = args.guard or args.config or (f"tasks={args.tasks}" if args.tasks else None)
    with _sigterm_stops_the_run():
        return _scan_cli(args, guard_spec)


EXIT_TERMINATED = 128 + signal.SIGTERM


@contextlib.contextmanager
def _sigterm_stops_the_run() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` in the main thread, so the run stops as on
    Ctrl-C: workers stopped, the resume hint printed. Its default action would kill this
    process alone, at once, silently, leaving the worker processes to the kernel."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        # a second SIGTERM while shutting down kills at once, as the default would
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise _Terminated

    old = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _printable(text: str) -> str:
    """A message for the terminal: control characters (from a file's header, a path)
    escaped, so data cannot retitle, recolour or clear the user's terminal."""
    return "".join(c if c == "\n" or c.isprintable() else repr(c)[1:-1] for c in text)


def _scan_cli(args: argparse.Namespace, guard_spec: str | None) -> int:
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
            progress=args.progress,
            redact=args.redact,
            id_column=args.id_column,
            prefix=args.prefix,
            resume=args.resume,
            delimiter=args.delimiter,
        )
    except ConfigError as exc:
        print(_printable(f"bastion scan: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("bastion scan: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130
    except _Terminated:
        print("bastion scan: terminated (SIGTERM); rerun with --resume to continue", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:  # noqa: BLE001 - a message and exit 1, never a traceback
        # the resume hint is a note scan() adds only once output exists to resume from
        notes = "".join(f"\n{n}" for n in getattr(exc, "__notes__", ()))
        print(_printable(f"bastion scan: error: {type(exc).__name__}: {exc}{notes}"), file=sys.stderr)
        return EXIT_RUNTIME
    if summary.degraded:
        # as bastion check and redact say it: the rows alone do not show it
        print(
            _printable(f"bastion scan: warning: running degraded: {'; '.join(summary.degraded_reasons)}"),
            file=sys.stderr,
        )
    print(_printable(summary_table(summary)), file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_dict()))
    return EXIT_OK


def _delimiter(text: str) -> str:
    return {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(text.lower(), text)


def add_parser(subparsers: Any) -> None:
    """Register ``bastion scan``."""
    p = subparsers.add_parser(
        "scan",
        help="score every row of a CSV/JSONL/Parquet file (injection + PII), streaming in batches",
        description="Score every row of a CSV, JSONL or Parquet file in streaming batches.\n"
        "Every input row ends up in the output or in OUTPUT.errors.jsonl; the output appears\n"
        "at its final name only when complete (see docs/scan.md).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="the file to scan (.csv/.tsv, .jsonl/.ndjson, .parquet/.pq)")
    p.add_argument("--column", default="text", help="the column holding the text to score (default: text)")
    p.add_argument(
        "--delimiter",
        type=_delimiter,
        help="CSV field separator, for the input and a CSV output: ';', '|', 'tab' "
        "(default: from each file's extension, tab for .tsv, else ',')",
    )
    p.add_argument(
        "--output",
        "-o",
        help="output file (default: INPUT.scanned.<format>); its extension sets the format unless --format",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from --output's extension, which must be a known one; "
        "without --output the input's)",
    )
    p.add_argument(
        "--input-format", choices=FORMATS, help="input format (default: from the input's extension)"
    )
    p.add_argument(
        "--workers", type=int, default=1, help="scoring processes, each loading its own Guard (default: 1)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=256,
        help="rows scored together and written per checkpoint (default: 256); larger is faster, "
        "--resume restarts from the last complete batch",
    )
    p.add_argument("--config", help="Guard YAML config (default: the shipped models)")
    p.add_argument(
        "--guard",
        help="the guard as Guard.from_spec takes it: a YAML path, 'module:function' returning a Guard "
        "(custom detectors), 'tasks=pii' or 'default'",
    )
    p.add_argument(
        "--tasks",
        help="default guard only: 'pii' for PII-only scans (no injection model), 'injection', or both",
    )
    p.add_argument(
        "--redact",
        action="store_true",
        help="replace the scanned column with the redacted text; no raw copy anywhere in the "
        "output or the errors file",
    )
    p.add_argument("--id-column", help="a column whose value identifies the row in the errors file (e.g. id)")
    p.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help=f"prefix of the result columns (default: {DEFAULT_PREFIX}); change it if the input has such columns",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run with the same input, output and options "
        "(from OUTPUT.progress.json); without it a new run starts over",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar with total and ETA (default: when stderr is a terminal)",
    )
    p.add_argument("--json", action="store_true", help="also print the summary as JSON on stdout")
    p.set_defaults(func=_run)
