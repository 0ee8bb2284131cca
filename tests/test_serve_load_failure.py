"""`bastion serve` and `bastion proxy` whose Guard cannot load exit 1 with the reason,
instead of staying up and answering 503 forever (a supervisor or a health check only
ever saw "not ready yet")."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "proxy"])
@pytest.mark.parametrize("config", ["typo", "missing"])
def test_a_guard_that_fails_to_load_ends_the_server_with_exit_1(tmp_path, command, config):
    path = tmp_path / "guard.yaml"
    if config == "typo":
        path.write_text("polcy: {}\n")  # a typo: unknown key
    argv = [sys.executable, "-m", "bastion.cli", command, "--config", str(path), "--port", str(_free_port())]
    if command == "proxy":
        argv += ["--upstream", "http://127.0.0.1:9/v1"]
    else:
        argv += ["--no-auth"]
    r = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BASTION_HOME": str(tmp_path / "h")},
    )
    assert r.returncode == 1, r.stderr
    assert f"bastion {command}: error: the guard failed to load: ConfigError" in r.stderr
