"""The README's store commands on a fresh machine (issue 15): no environment variables,
an empty home directory; everything lands in ``$BASTION_HOME`` (keys and audit in one
database), created on first use. Plus ``bastion audit init`` and the one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bastion.cli import main
from bastion.errors import ConfigError
from bastion.store import PrivacyStore, migrate
from sqlalchemy import create_engine, inspect

README_COMMANDS = [
    ["keys", "create", "--name", "my-app"],
    ["audit", "verify"],
    ["audit", "stats", "--since", "7d"],
    ["audit", "purge", "--older-than", "90d"],
    ["audit", "erase", "USER"],
    ["audit", "export", "--since", "2026-01-01"],
]


def fresh_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASTION_", "XDG_"))}
    env["HOME"] = str(tmp_path / "user")
    env["OMP_NUM_THREADS"] = "1"
    return env


def bastion(
    tmp_path: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "bastion.cli", *argv],
        cwd=work,
        env=env or fresh_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_commands_work_on_a_fresh_machine(tmp_path):
    (tmp_path / "user").mkdir()
    home = tmp_path / "user" / ".local" / "share" / "bastion"
    results = {" ".join(argv): bastion(tmp_path, *argv) for argv in README_COMMANDS}
    for cmd, res in results.items():
        assert res.returncode == 0, f"bastion {cmd}: {res.stderr}"
        assert "Traceback" not in res.stderr

    assert results["keys create --name my-app"].stdout.startswith("bst_")
    assert json.loads(results["audit verify"].stdout)["ok"]
    assert json.loads(results["audit purge --older-than 90d"].stdout)["deleted"] == 0
    assert json.loads(results["audit erase USER"].stdout)["user_found"] is False
    exported = [json.loads(line) for line in results["audit export --since 2026-01-01"].stdout.splitlines()]
    assert [e["event_type"] for e in exported] == ["erasure"]

    # the audit key was generated once, announced once, by the first command that needed it
    notices = [cmd for cmd, res in results.items() if "generated the audit key" in res.stderr]
    assert notices == ["audit verify"]
    assert results["audit verify"].stderr.count("\n") == 1

    # one place: keys and audit in the same owner-only database, the key beside it
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith("bastion.db-")) == [
        "audit.key",
        "bastion.db",
    ]
    assert home.stat().st_mode & 0o777 == 0o700
    for name in ("bastion.db", "audit.key"):
        assert (home / name).stat().st_mode & 0o777 == 0o600
    engine = create_engine(f"sqlite:///{home / 'bastion.db'}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"bastion_api_keys", "audit_events", "audit_chain_head", "bastion_store_version"} <= tables
    assert not (tmp_path / "work" / "bastion.db").exists()  # the old ./bastion.db default is gone

    again = bastion(tmp_path, "audit", "verify")
    assert again.returncode == 0 and json.loads(again.stdout)["checked"] == 1 and again.stderr == ""


def test_serve_with_a_store_but_no_key_is_one_line(tmp_path):
    pytest.importorskip("fastapi")
    (tmp_path / "user").mkdir()
    res = bastion(tmp_path, "serve", "--store-url", f"sqlite:///{tmp_path / 's.db'}", "--port", "1")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    assert "BASTION_AUDIT_HMAC_KEY" in res.stderr and "bastion audit init" in res.stderr


# --- in-process: init, exit statuses, the old default ---------------------------------------


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("BASTION_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "user" / ".local" / "share" / "bastion"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_init_sets_up_an_explicit_store_once(fresh, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'explicit.db'}"
    rc, _, err = run(capsys, "audit", "verify", "--db", db)
    assert rc == 1 and "bastion audit init" in err and not (tmp_path / "explicit.db").exists()

    rc, out, err = run(capsys, "audit", "init", "--db", db)
    first = json.loads(out)
    assert rc == 0 and first["generated_key"] and first["schema"] == {"from": None, "to": migrate.HEAD}
    assert "generated the audit key" in err and (fresh / "audit.key").exists()

    rc, out, err = run(capsys, "audit", "init", "--db", db)
    second = json.loads(out)
    assert rc == 0 and not second["generated_key"] and second["audit_key_id"] == first["audit_key_id"]
    assert second["schema"]["from"] == migrate.HEAD and err == ""

    rc, out, _ = run(capsys, "audit", "verify", "--db", db)  # the home key serves explicit stores too
    assert rc == 0 and json.loads(out)["ok"]


def test_init_never_generates_a_key_for_a_chain_keyed_with_another(fresh, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'keyed.db'}"
    with PrivacyStore(db, audit_key=b"x" * 32) as s:
        s.audit.append("startup")
    rc, _, err = run(capsys, "audit", "init", "--db", db)
    assert rc == 1 and "key id" in err and not (fresh / "audit.key").exists()

    os.environ["BASTION_AUDIT_HMAC_KEY"] = "y" * 32
    try:
        rc, _, err = run(capsys, "audit", "init", "--db", db)
        assert rc == 1 and "not the one the chain" in err
        os.environ["BASTION_AUDIT_HMAC_KEY"] = "x" * 32
        rc, out, _ = run(capsys, "audit", "init", "--db", db)
        assert rc == 0 and json.loads(out)["audit_key"] == "$BASTION_AUDIT_HMAC_KEY"
    finally:
        del os.environ["BASTION_AUDIT_HMAC_KEY"]


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["audit", "verify", "--db", "sqlite:////nonexistent-dir-bastion/x.db"], 1),  # no store
        (["audit", "verify", "--db", "postgresql://u@127.0.0.1:1/none"], 1),  # unreachable
        (["audit", "migrate", "--db", "postgresql://u@127.0.0.1:1/none"], 1),
        (["audit", "init", "--db", "postgresql://u@127.0.0.1:1/none"], 1),
        (["audit"], 2),  # usage
    ],
)
def test_audit_exit_statuses(fresh, capsys, argv, status):
    rc, _, err = run(capsys, *argv)
    assert rc == status and "Traceback" not in err


def test_old_cwd_database_is_named_not_used(fresh, tmp_path, capsys):
    PrivacyStore(f"sqlite:///{tmp_path / 'bastion.db'}").close()  # the pre-0004 default location
    rc, out, err = run(capsys, "audit", "stats")
    assert rc == 0 and "./bastion.db" in err and "--db sqlite:///bastion.db" in err
    assert (fresh / "bastion.db").exists()


def test_store_url_alias_reaches_the_cli(fresh, tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'legacy.db'}"
    monkeypatch.setenv("BASTION_STORE_URL", db)
    with pytest.warns(FutureWarning, match="BASTION_STORE_URL is deprecated"):
        rc, out, _ = run(capsys, "audit", "migrate")
    assert rc == 0 and migrate.current(db) == migrate.HEAD
    monkeypatch.setenv("BASTION_DB_URL", f"sqlite:///{tmp_path / 'other.db'}")
    rc, _, err = run(capsys, "audit", "stats")
    assert rc == 1 and "differ" in err


def test_missing_key_is_a_config_error_with_the_fix(fresh, tmp_path):
    with PrivacyStore(f"sqlite:///{tmp_path / 'k.db'}") as s, pytest.raises(ConfigError) as exc:
        s.verify()
    assert "BASTION_AUDIT_HMAC_KEY" in str(exc.value) and "bastion audit init" in str(exc.value)
