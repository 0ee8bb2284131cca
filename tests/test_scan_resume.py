"""`bastion scan` output is atomic and ``--resume`` continues a killed run (issue 11 item 8).

The run is killed for real: a detector SIGKILLs its own process (the CLI, in a subprocess)
when it meets the text CRASH and BASTION_SCAN_TEST_CRASH is set.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bastion import Guard
from test_scan_robust import AtPII, KeywordInjection

TESTS = Path(__file__).parent


class CrashOn:
    name, category, version, kind = "crash_on", "pii", "1", "rules"

    def detect(self, texts: Sequence[str]) -> list[list[object]]:
        if os.environ.get("BASTION_SCAN_TEST_CRASH") and any("CRASH" in t for t in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return [[] for _ in texts]


def crashing_guard() -> Guard:
    return Guard([AtPII(), KeywordInjection(), CrashOn()])


def bastion_scan(*args: str, crash: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    env.pop("BASTION_SCAN_TEST_CRASH", None)
    if crash:
        env["BASTION_SCAN_TEST_CRASH"] = "1"
    cmd = [sys.executable, "-m", "bastion.cli", "scan", *args, "--guard", "test_scan_resume:crashing_guard"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def write_input(path: Path, n: int = 95, crash_at: int = 57) -> None:
    texts = [f"row {i} " + ("mail u@ex.org" if i % 3 == 0 else "plain") for i in range(n)]
    texts[crash_at - 1] = "CRASH now"
    texts[20] = None  # an error row before the crash, and one after
    texts[80] = None
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))


def content(path: Path) -> object:
    if path.suffix == ".parquet":
        t = pq.read_table(path)
        return t.schema, t.to_pylist()
    return path.read_bytes()


@pytest.mark.parametrize("fmt, workers", [("jsonl", "1"), ("csv", "1"), ("parquet", "1"), ("jsonl", "2")])
def test_killed_run_leaves_no_output_and_resume_equals_an_uninterrupted_run(tmp_path, fmt, workers):
    inp = tmp_path / "in.jsonl"
    write_input(inp)
    ref, out = tmp_path / f"ref.{fmt}", tmp_path / f"out.{fmt}"
    done = bastion_scan(str(inp), "-o", str(ref), "--batch-size", "10", "--json")
    assert done.returncode == 0, done.stderr

    out.write_bytes(b"OLD")  # an earlier run's result must survive a killed run
    killed = bastion_scan(str(inp), "-o", str(out), "--batch-size", "10", crash=True)
    assert killed.returncode == -signal.SIGKILL
    assert out.read_bytes() == b"OLD"
    progress = json.loads(Path(f"{out}.progress.json").read_text())
    assert progress["state"]["rows"] == 50  # batches 1-5 done; batch 6 holds the CRASH row
    if fmt != "parquet":
        # what a write cut short would leave behind the last checkpoint
        with open(f"{out}.partial", "ab") as fh:
            fh.write(b'{"half a ro')

    resumed = bastion_scan(
        str(inp), "-o", str(out), "--batch-size", "7", "--resume", "--json", "--workers", workers
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["resumed"] == 50 and summary["rows"] == 95 and summary["errors"] == 2
    assert summary == {
        **json.loads(done.stdout),
        "seconds": summary["seconds"],
        "rows_per_s": summary["rows_per_s"],
        "output": str(out),
        "errors_path": f"{out}.errors.jsonl",
        "resumed": 50,
    }
    assert content(out) == content(ref)
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{ref}.errors.jsonl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in.jsonl", ref.name, f"{ref.name}.errors.jsonl", out.name, f"{out.name}.errors.jsonl"]
    )


def test_resume_refuses_other_options_and_a_fresh_run_starts_over(tmp_path):
    inp = tmp_path / "in.jsonl"
    write_input(inp)
    out = tmp_path / "out.jsonl"
    assert (
        bastion_scan(str(inp), "-o", str(out), "--batch-size", "10", crash=True).returncode == -signal.SIGKILL
    )
    other = bastion_scan(str(inp), "-o", str(out), "--redact", "--resume")
    assert other.returncode == 2 and "another input or options" in other.stderr
    fresh = bastion_scan(str(inp), "-o", str(out), "--json")
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["resumed"] == 0
    assert len(out.read_text().splitlines()) == 93
    # --resume with nothing to resume is just a run
    again = bastion_scan(str(inp), "-o", str(tmp_path / "o2.jsonl"), "--resume", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["rows"] == 95


@pytest.mark.parametrize("damage", ["missing", "cut"])
def test_resume_refuses_temp_files_that_lost_what_the_progress_file_promises(tmp_path, damage):
    # a missing .partial once made every "rerun with --resume" fail the same way, and a cut
    # one would have been padded with zero bytes up to the checkpoint
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(inp)
    assert (
        bastion_scan(str(inp), "-o", str(out), "--batch-size", "10", crash=True).returncode == -signal.SIGKILL
    )
    partial = Path(f"{out}.partial")
    if damage == "missing":
        partial.unlink()
    else:
        partial.write_bytes(partial.read_bytes()[:-30])
    r = bastion_scan(str(inp), "-o", str(out), "--resume")
    assert r.returncode == 2 and "rerun without --resume" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert bastion_scan(str(inp), "-o", str(out)).returncode == 0


def test_a_run_killed_between_the_final_renames_resumes_to_the_same_files(tmp_path, monkeypatch):
    import bastion.scan as scan_mod

    inp, ref, out = tmp_path / "in.jsonl", tmp_path / "ref.jsonl", tmp_path / "out.jsonl"
    write_input(inp)
    spec = "test_scan_resume:crashing_guard"
    scan_mod.scan(inp, ref, guard_spec=spec, batch_size=10)
    real_replace = os.replace
    calls = []

    def die_on_second(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies here: errors file renamed, output not yet
        real_replace(src, dst)

    with monkeypatch.context() as m:
        m.setattr(scan_mod.os, "replace", die_on_second)
        with pytest.raises(KeyboardInterrupt):
            scan_mod.scan(inp, out, guard_spec=spec, batch_size=10)
    assert not out.exists() and Path(f"{out}.errors.jsonl").exists()
    s = scan_mod.scan(inp, out, guard_spec=spec, batch_size=10, resume=True)
    assert (s.rows, s.resumed, s.errors) == (95, 95, 2)
    assert out.read_bytes() == ref.read_bytes()
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{ref}.errors.jsonl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in.jsonl", ref.name, f"{ref.name}.errors.jsonl", out.name, f"{out.name}.errors.jsonl"]
    )
