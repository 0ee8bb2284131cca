"""`bastion scan` fixes from the s32 QA report (H1, H2, M1-M6, L1-L4).

Regex-style fake guards only (tests/test_scan_robust.py's ``linear_guard``): no model is
loaded. Process-level behaviour (the output lock, SIGTERM, worker processes outliving
their parent) runs the real CLI in subprocesses, and every such test kills what it
started by PID before it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bastion import Guard
from bastion.cli import main as cli_main
from bastion.errors import ConfigError
from bastion.scan import scan
from bastion.types import Finding
from test_scan_robust import AtPII, KeywordInjection, check_invariant, read_errors

TESTS = Path(__file__).parent
SPEC = "test_scan_robust:linear_guard"
GATED = "test_scan_s32:gated_guard"


class Gate:
    """Holds a batch with the text WAIT until the file $BASTION_TEST_GATE exists (30 s at
    most), so a run is reliably still going when the test acts on it."""

    name, category, version, kind = "gate", "pii", "1", "rules"

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        gate = os.environ.get("BASTION_TEST_GATE")
        if gate and "WAIT" in texts:
            end = time.monotonic() + 30
            while not os.path.exists(gate) and time.monotonic() < end:
                time.sleep(0.02)
        return [[] for _ in texts]


def gated_guard() -> Guard:
    return Guard([AtPII(), KeywordInjection(), Gate()])


def injection_only_guard() -> Guard:
    return Guard([KeywordInjection()])


# a detector with a side effect on the run's own files, for the in-process tests below
ACTIONS: dict[str, object] = {}


class SideEffect:
    name, category, version, kind = "side_effect", "pii", "1", "rules"

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        for t in texts:
            action = ACTIONS.get(t)
            if callable(action):
                action()
        return [[] for _ in texts]


def side_effect_guard() -> Guard:
    return Guard([AtPII(), KeywordInjection(), SideEffect()])


def bastion(*args: str, gate: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    env.pop("BASTION_TEST_GATE", None)
    if gate is not None:
        env["BASTION_TEST_GATE"] = str(gate)
    return subprocess.Popen(
        [sys.executable, "-m", "bastion.cli", "scan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    proc = bastion(*args)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def wait_for(cond, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def progress_rows(out: Path) -> int:
    try:
        return json.loads(Path(f"{out}.progress.json").read_text())["state"]["rows"]
    except (OSError, ValueError, KeyError):
        return 0


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (from /proc: no psutil needed)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie waits for an init that may never reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_all(pids: list[int]) -> None:
    """Kill leftover workers of the test's own scan, by PID, checking first that the PID
    still is a multiprocessing child (not a new process that reused the number)."""
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


# H1: one run per output --------------------------------------------------------------------------


def texts_with_a_wait(n: int, at: int) -> list[dict]:
    return [{"id": i, "text": "WAIT" if i == at else f"row {i}"} for i in range(n)]


def test_a_second_run_on_a_busy_output_is_refused_and_the_first_one_completes(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", texts_with_a_wait(60, 5))
    out, gate = tmp_path / "race.jsonl", tmp_path / "gate"
    first = bastion(str(inp), "-o", str(out), "--guard", GATED, "--batch-size", "1", "--json", gate=gate)
    try:
        assert wait_for(lambda: progress_rows(out) >= 5), "the first run never got going"
        second = run_cli(str(inp), "-o", str(out), "--guard", GATED, "--batch-size", "1")
        assert second.returncode == 2, second.stderr
        assert "another scan is writing" in second.stderr and "Traceback" not in second.stderr
        gate.touch()
        stdout, stderr = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert json.loads(stdout)["rows"] == 60
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == list(range(60))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate", "in.jsonl", "race.jsonl"]  # lock gone


def test_a_held_lock_refuses_the_run_before_it_touches_any_file(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "hi"}])
    out = tmp_path / "o.jsonl"
    Path(f"{out}.partial").write_text("the other run's unfinished rows\n")
    with open(f"{out}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running scan holds it
        with pytest.raises(ConfigError, match="another scan is writing"):
            scan(inp, out, guard_spec=SPEC)
    assert Path(f"{out}.partial").read_text() == "the other run's unfinished rows\n"
    assert not out.exists()


def test_a_stale_lock_file_from_a_killed_run_does_not_block(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "hi"}])
    out = tmp_path / "o.jsonl"
    Path(f"{out}.lock").write_text("12345\n")  # nobody holds it
    assert scan(inp, out, guard_spec=SPEC).rows == 1
    assert not Path(f"{out}.lock").exists()


def test_a_partial_file_replaced_behind_the_runs_back_is_not_published(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in ("a", "SWAP", "c")])
    out = tmp_path / "o.jsonl"
    partial = Path(f"{out}.partial")

    def swap() -> None:  # what a second run without the lock did: a new file at the same name
        partial.unlink()
        partial.write_text('{"text": "not mine"}\n')

    ACTIONS["SWAP"] = swap
    try:
        with pytest.raises(RuntimeError, match="replaced by another process"):
            scan(inp, out, guard_spec="test_scan_s32:side_effect_guard", batch_size=1)
    finally:
        ACTIONS.clear()
    assert not out.exists()


# H2: a JSONL column no record has is a usage error ---------------------------------------------


@pytest.mark.parametrize("out_fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("redact", [False, True])
def test_a_jsonl_column_no_record_has_is_refused_like_csv_and_parquet(tmp_path, out_fmt, redact):
    inp = write_jsonl(
        tmp_path / "typo.jsonl",
        [{"id": 1, "prompt": "I am Jane, jane@example.com"}, {"id": 2, "prompt": "call 415-555-0132"}],
    )
    r = run_cli(str(inp), "-o", str(tmp_path / f"o.{out_fmt}"), "--guard", SPEC, *(["--redact"] * redact))
    assert r.returncode == 2, r.stderr
    assert "column 'text' not in the input" in r.stderr and "'prompt'" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["typo.jsonl"]


def test_a_jsonl_record_without_the_column_is_still_an_error_row_but_never_a_raw_copy(tmp_path):
    secret = "jane@example.com"
    inp = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": 1, "text": "fine"}, {"id": 2, "txt": f"typo key {secret}"}, {"id": 3, "text": "ok"}],
    )
    out = tmp_path / "o.jsonl"
    s = scan(inp, out, guard_spec=SPEC, redact=True, id_column="id")
    _, rows, errors = check_invariant(s, out)
    assert [r["id"] for r in rows] == [1, 3]
    assert [(e["id"], e["error"]) for e in errors] == [(2, "column 'text' is missing")]
    assert "record" not in errors[0] and "raw" not in errors[0]
    assert secret not in Path(f"{out}.errors.jsonl").read_text()
    # without --redact the record is kept, as for any other error row
    s = scan(inp, tmp_path / "o2.jsonl", guard_spec=SPEC)
    assert read_errors(tmp_path / "o2.jsonl")[0]["record"] == {"id": 2, "txt": f"typo key {secret}"}


# M1: no sidecar of the output may be the input ------------------------------------------------


@pytest.mark.parametrize(
    "input_name", ["r.errors.jsonl", "r.partial", "r.progress.json", "r.lock", "r.errors.jsonl.partial"]
)
def test_an_input_that_is_one_of_the_outputs_sidecars_is_refused(tmp_path, input_name):
    inp = write_jsonl(tmp_path / input_name, [{"text": "hello"}, {"text": "x"}])
    before = inp.read_bytes()
    with pytest.raises(ConfigError, match="must not overwrite the input"):
        scan(inp, tmp_path / "r", fmt="jsonl", input_format="jsonl", guard_spec=SPEC)
    assert inp.read_bytes() == before


def test_an_input_inside_the_outputs_parts_folder_is_refused(tmp_path):
    parts = tmp_path / "o.parquet.parts"
    parts.mkdir()
    inp = parts / "part-0000000.parquet"
    pq.write_table(pa.table({"text": ["a"]}), inp)
    with pytest.raises(ConfigError, match="must not overwrite the input"):
        scan(inp, tmp_path / "o.parquet", guard_spec=SPEC)
    assert inp.exists()


# M2: SIGTERM and a dead parent leave no worker behind ---------------------------------------------


@needs_proc
def test_sigterm_stops_the_workers_prints_the_resume_hint_and_resume_completes(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", texts_with_a_wait(200, 20))
    out = tmp_path / "o.jsonl"
    args = [str(inp), "-o", str(out), "--guard", GATED, "--batch-size", "1", "--workers", "2"]
    proc = bastion(*args, gate=tmp_path / "never")
    kids: list[int] = []
    try:
        assert wait_for(lambda: progress_rows(out) >= 4, timeout=30), "the run never got going"
        kids = children(proc.pid)
        assert len(kids) >= 2  # the two workers (and the resource tracker)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode == 143, stderr
        assert "terminated (SIGTERM); rerun with --resume" in stderr and "Traceback" not in stderr
        assert wait_for(lambda: not any(alive(k) for k in kids), timeout=10), "orphaned workers"
    finally:
        proc.kill()
        kill_all(kids)
    assert not out.exists() and progress_rows(out) > 0
    resumed = run_cli(*args, "--resume", "--json")  # no gate now: WAIT passes
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["rows"] == 200 and json.loads(resumed.stdout)["resumed"] > 0
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == list(range(200))


@needs_proc
def test_workers_exit_when_the_scan_process_is_killed(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", texts_with_a_wait(200, 20))
    out = tmp_path / "o.jsonl"
    args = [str(inp), "-o", str(out), "--guard", GATED, "--batch-size", "1", "--workers", "2"]
    proc = bastion(*args, gate=tmp_path / "never")
    kids: list[int] = []
    try:
        assert wait_for(lambda: progress_rows(out) >= 4, timeout=30), "the run never got going"
        kids = children(proc.pid)
        assert len(kids) >= 2
        proc.kill()  # SIGKILL: no handler runs, only the kernel can clean up
        proc.wait(timeout=10)
        assert wait_for(lambda: not any(alive(k) for k in kids), timeout=10), "orphaned workers"
    finally:
        proc.kill()
        kill_all(kids)


def test_the_cli_restores_the_sigterm_handler(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "hi"}])
    before = signal.getsignal(signal.SIGTERM)
    assert cli_main(["scan", str(inp), "-o", str(tmp_path / "o.jsonl"), "--guard", SPEC]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_exit_code_table_names_sigterm():
    assert "| 143 | terminated (SIGTERM)" in (TESTS.parent / "docs" / "scan.md").read_text()


# M3: --redact without a PII detector ------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_redact_with_a_guard_without_pii_detectors_is_refused(tmp_path, workers):
    inp = tmp_path / "in.csv"
    inp.write_text("id,text\n1,mail jane.doe@example.com\n")
    with pytest.raises(ConfigError, match="--redact needs a PII detector"):
        scan(
            inp,
            tmp_path / "o.csv",
            guard_spec="test_scan_s32:injection_only_guard",
            redact=True,
            workers=workers,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    # without --redact such a guard is fine: it only scores injection
    assert scan(inp, tmp_path / "o.csv", guard_spec="test_scan_s32:injection_only_guard").rows == 1


# M4: strict JSON out -------------------------------------------------------------------------------


def strict_json(line: str) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"not JSON: {token}")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("in_fmt", ["jsonl", "parquet"])
def test_non_finite_floats_are_written_as_null(tmp_path, in_fmt):
    values = [1.5, float("inf"), float("-inf"), float("nan")]
    texts = ["a", "b", None, "d"]  # the null text makes an error row carrying a NaN too
    if in_fmt == "jsonl":
        inp = tmp_path / "in.jsonl"
        inp.write_text(
            '{"text": "a", "x": 1.5}\n{"text": "b", "x": 1e400}\n'
            '{"text": null, "x": -Infinity}\n{"text": "d", "x": NaN}\n'
        )
    else:
        inp = tmp_path / "in.parquet"
        pq.write_table(pa.table({"text": texts, "x": pa.array(values, pa.float64())}), inp)
    out = tmp_path / "o.jsonl"
    scan(inp, out, guard_spec=SPEC)
    rows = [strict_json(x) for x in out.read_text().splitlines()]
    errors = [strict_json(x) for x in Path(f"{out}.errors.jsonl").read_text().splitlines()]
    assert [r["x"] for r in rows] == [1.5, None, None]
    assert errors[0]["record"]["x"] is None


# M5: each file's extension picks its separator ------------------------------------------------


@pytest.mark.parametrize(
    "in_name, out_name, delimiter, out_sep",
    [
        ("in.csv", "o.tsv", None, "\t"),
        ("in.tsv", "o.csv", None, ","),
        ("in.jsonl", "o.tsv", None, "\t"),
        ("in.csv", "o.tsv", ";", ";"),  # --delimiter still sets both
    ],
)
def test_the_output_extension_picks_the_output_delimiter(tmp_path, in_name, out_name, delimiter, out_sep):
    inp = tmp_path / in_name
    if in_name.endswith(".jsonl"):
        write_jsonl(inp, [{"id": 1, "text": "hi"}])
    else:
        sep = delimiter or ("\t" if in_name.endswith(".tsv") else ",")
        inp.write_text(f"id{sep}text\n1{sep}hi\n")
    out = tmp_path / out_name
    scan(inp, out, guard_spec=SPEC, delimiter=delimiter)
    header = out.read_text().splitlines()[0]
    assert header.split(out_sep)[:3] == ["id", "text", "bastion_action"]
    # and bastion reads it back by its extension
    if delimiter is None:
        assert scan(out, tmp_path / "again.jsonl", guard_spec=SPEC, prefix="again_").rows == 1


# M6: lines appended during the run --------------------------------------------------------------


@pytest.mark.parametrize("out_fmt", ["csv", "parquet", "jsonl"])
def test_lines_appended_during_the_run_are_left_for_the_next_run(tmp_path, out_fmt):
    inp = write_jsonl(
        tmp_path / "grow.jsonl", [{"id": i, "text": "APPEND" if i == 0 else "x"} for i in range(5)]
    )

    def append() -> None:
        with open(inp, "a") as fh:
            fh.write(json.dumps({"id": "new", "text": "appended", "new_key": "value"}) + "\n")

    ACTIONS["APPEND"] = append
    out = tmp_path / f"o.{out_fmt}"
    try:
        s = scan(inp, out, guard_spec="test_scan_s32:side_effect_guard", batch_size=1)
    finally:
        ACTIONS.clear()
    cols, rows, errors = check_invariant(s, out)
    assert s.rows == 5 and errors == [] and [str(r["id"]) for r in rows] == ["0", "1", "2", "3", "4"]
    # the next run reads the whole file, the new key included
    s = scan(inp, tmp_path / f"o2.{out_fmt}", guard_spec=SPEC)
    cols, rows, _ = check_invariant(s, tmp_path / f"o2.{out_fmt}")
    assert s.rows == 6 and rows[-1]["new_key"] == "value"


# L1: an output extension that names no format --------------------------------------------------


@pytest.mark.parametrize("name", ["o.json", "o.xlsx", "o"])
def test_an_unknown_output_extension_is_refused_without_format(tmp_path, name):
    inp = tmp_path / "in.csv"
    inp.write_text("id,text\n1,hi\n")
    r = run_cli(str(inp), "-o", str(tmp_path / name), "--guard", SPEC)
    assert r.returncode == 2 and "pass --format" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    scan(inp, tmp_path / name, fmt="jsonl", guard_spec=SPEC)
    assert json.loads((tmp_path / name).read_text())["text"] == "hi"


# L2: control characters and UTF-16/32 ---------------------------------------------------------


def test_control_characters_from_a_header_are_escaped_in_messages(tmp_path):
    inp = tmp_path / "esc.csv"
    inp.write_bytes(b"id,\x1b]0;PWNED\x07\x1b[31mRED\n1,x\n")
    r = run_cli(str(inp), "--guard", SPEC)
    assert r.returncode == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "'\\x1b]0;PWNED\\x07\\x1b[31mRED'" in r.stderr


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_utf16_or_utf32_file_is_refused_with_the_encoding_named(tmp_path, encoding, name, suffix):
    inp = tmp_path / f"u{suffix}"
    body = "id,text\n1,x\n" if suffix == ".csv" else '{"text": "x"}\n'
    inp.write_text(body, encoding=encoding)  # Python writes the BOM
    r = run_cli(str(inp), "-o", str(tmp_path / "o.jsonl"), "--guard", SPEC)
    assert r.returncode == 2, r.stderr
    assert f"is not UTF-8: it starts with a {name}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [inp.name]


# L3: empty inputs and directories --------------------------------------------------------------


def _empty_parquet(path: Path) -> None:
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)


@pytest.mark.parametrize(
    "name, make",
    [
        ("e.csv", lambda p: p.write_bytes(b"")),
        ("e.jsonl", lambda p: p.write_bytes(b"")),
        ("b.jsonl", lambda p: p.write_bytes(b"\n  \n")),
        ("e.parquet", _empty_parquet),
    ],
)
@pytest.mark.parametrize("out_fmt", ["csv", "jsonl", "parquet"])
def test_an_empty_input_is_an_empty_output_for_every_format(tmp_path, name, make, out_fmt):
    inp = tmp_path / name
    make(inp)
    out = tmp_path / f"o.{out_fmt}"
    s = scan(inp, out, guard_spec=SPEC, id_column=None if name.endswith(".parquet") else "id")
    assert (s.rows, s.errors) == (0, 0) and out.exists()
    check_invariant(s, out)


def test_a_directory_input_says_it_is_a_directory(tmp_path):
    d = tmp_path / "spark_out.parquet"
    d.mkdir()
    r = run_cli(str(d), "--guard", SPEC)
    assert r.returncode == 2 and "is a directory" in r.stderr and "not found" not in r.stderr


# L4: the Python example -------------------------------------------------------------------------


def test_the_python_example_has_a_main_guard_and_says_why():
    doc = (TESTS.parent / "docs" / "scan.md").read_text()
    example = doc.split("## From Python", 1)[1]
    assert 'if __name__ == "__main__":' in example and "workers > 1" in example
