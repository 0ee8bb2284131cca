"""s33 qa_pseudo M2, M3, M4, L1, L2: /v1/restore counts, the vault key check, session ids
reused after expiry, bulk token lookups and a malformed vault key.

Real SQLite databases in tmp_path; the API through TestClient over a fake Guard.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from bastion.api.settings import Settings
from bastion.cli import main as cli_main
from bastion.errors import ConfigError
from bastion.redact import Vault, restore
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, update
from test_api import EMAIL, NAME, fake_app

store_mod = pytest.importorskip("bastion.store", reason="bastion.store is not available")
from bastion.api.keys import KeyStore  # noqa: E402
from bastion.api.sessions import SessionVaults  # noqa: E402
from bastion.store.schema import vault_entries  # noqa: E402

PSEUDO = {"default_operator": "pseudonymize"}
VAULT_KEY_ENVS = ("BASTION_VAULT_KEY", "BASTION_VAULT_KEY_FILE")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _no_vault_key_env(monkeypatch):
    for name in VAULT_KEY_ENVS:
        monkeypatch.delenv(name, raising=False)


def _store(path: Any, key: str | None = None, clock: Any = None) -> Any:
    kw = {"clock": clock} if clock is not None else {}
    return store_mod.PrivacyStore(
        f"sqlite:///{path}", audit_key=b"a" * 32, vault_key=key or store_mod.new_vault_key(), **kw
    )


def _rows(store: Any) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(vault_entries)).scalar_one()


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[KeyStore, dict[str, str]]:
    ks = KeyStore(f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}")
    _, one = ks.create("one")
    return ks, {"Authorization": f"Bearer {one}", "X-Bastion-User": "alice"}


def _client(keys: Any, store: Any) -> TestClient:
    return TestClient(fake_app(keys[0], Settings(rate_limit=None, mode="threadpool"), privacy_store=store))


def _redact(client: TestClient, auth: dict[str, str], session: str, text: str) -> Any:
    return client.post(
        "/v1/redact", json={"text": text, "policy": PSEUDO, "session_id": session}, headers=auth
    )


def _restore(client: TestClient, auth: dict[str, str], session: str, text: str, **extra: Any) -> Any:
    return client.post("/v1/restore", json={"session_id": session, "text": text, **extra}, headers=auth)


# --- M2: the counts come from the substitution ---------------------------------------------------

FORMS = [
    "<PERSON_1>",
    "<person_1>",
    "<Person_1>",
    "PERSON_1",
    "&lt;PERSON_1&gt;",
    "< PERSON_1 >",
    "\\<PERSON_1\\>",
    "\\u003cPERSON_1\\u003e",
]


def test_restore_counts_every_form_the_text_restores(tmp_path, keys):
    store = _store(tmp_path / "m2.db")
    with _client(keys, store) as client:
        auth = keys[1]
        assert _redact(client, auth, "s1", f"I am {NAME}").json()["redacted_text"] == "I am <PERSON_1>"
        text = " | ".join(FORMS)
        r = _restore(client, auth, "s1", text)
        assert r.status_code == 200, r.text
        assert r.json() == {"text": " | ".join([NAME] * len(FORMS)), "restored": len(FORMS), "unknown": 0}
        # the QA case: bare tokens were restored but counted as nothing
        assert _restore(client, auth, "s1", "PERSON_1 PERSON_1").json() == {
            "text": f"{NAME} {NAME}",
            "restored": 2,
            "unknown": 0,
        }
        # unknown tokens in any form; each occurrence counts
        r = _restore(client, auth, "s1", "<person_9> and PERSON_9 and &lt;EMAIL_ADDRESS_1&gt; and <PERSON_1>")
        assert r.json() == {
            "text": f"<person_9> and PERSON_9 and &lt;EMAIL_ADDRESS_1&gt; and {NAME}",
            "restored": 1,
            "unknown": 3,
        }


def test_restore_counts_apply_the_tokens_filter_after_normalising(tmp_path, keys):
    store = _store(tmp_path / "m2t.db")
    with _client(keys, store) as client:
        auth = keys[1]
        _redact(client, auth, "s1", f"I am {NAME}, mail {EMAIL}")
        r = _restore(client, auth, "s1", "<person_1>, EMAIL_ADDRESS_1, <PERSON_7>", tokens=["<PERSON_1>"])
        # only PERSON_1 was asked for: EMAIL_ADDRESS_1 and PERSON_7 are neither restored nor unknown
        assert r.json() == {"text": f"{NAME}, EMAIL_ADDRESS_1, <PERSON_7>", "restored": 1, "unknown": 0}


def test_restore_counts_match_the_text_for_random_mixtures():
    import random

    from bastion.redact import _TOKEN_WRITTEN, restore_counts

    rng = random.Random(33)
    vault = Vault.from_items({"<PERSON_1>": "Jane", "<EMAIL_ADDRESS_2>": "j@x.org"})
    pieces = [*FORMS, "<PERSON_3>", "EMAIL_ADDRESS_2", "<email_address_2>", " ", "x", "<", ">", "_1", "UTF_8"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        tokens = rng.choice([None, ["<PERSON_1>"], ["<EMAIL_ADDRESS_2>", "<PERSON_3>"]])
        out = restore_counts(text, vault, tokens)
        assert out.text == restore(text, vault, tokens)
        allowed = [
            m
            for m in _TOKEN_WRITTEN.finditer(text)
            if tokens is None or "<" + (m.group(1) or m.group(2)).upper() + ">" in tokens
        ]
        known = sum("<" + (m.group(1) or m.group(2)).upper() + ">" in dict(vault.items()) for m in allowed)
        assert (out.restored, out.unknown) == (known, len(allowed) - known)


# --- L1: one bulk lookup, not one query per token --------------------------------------------------


def test_restore_looks_up_distinct_tokens_once():
    class Counting(Vault):
        calls: list[str]

        def value_for(self, token: str) -> str | None:
            self.calls.append(token)
            return super().value_for(token)

    v = Counting()
    v.calls = []
    v.token_for("PERSON", "Jane")
    assert restore("<PERSON_1> PERSON_1 <A_1> " * 500, v) == "Jane Jane <A_1> " * 500
    assert sorted(v.calls) == ["<A_1>", "<PERSON_1>"]


def test_persistent_vault_values_for_batches(tmp_path):
    store = _store(tmp_path / "bulk.db")
    v = store.vault("alice", session="s")
    for i in range(1, 4):
        v.token_for("PERSON", f"P{i}")
    wanted = [f"<PERSON_{i}>" for i in range(1, 1300)] + ["x" * 200]
    assert v.values_for(wanted) == {"<PERSON_1>": "P1", "<PERSON_2>": "P2", "<PERSON_3>": "P3"}
    assert store.vault("bob", session="s").values_for(wanted) == {}


def test_a_large_restore_makes_a_few_queries_and_finishes_fast(tmp_path, keys):
    store = _store(tmp_path / "l1.db")
    statements: list[str] = []
    with _client(keys, store) as client:
        auth = keys[1]
        _redact(client, auth, "big", f"I am {NAME}")
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        same = "<A_1>" * 19_000  # 95,000 characters of one unknown token (the QA's probe)
        distinct = "".join(f"<A_{i}>" for i in range(1, 20_000))[:95_000]
        known = "<PERSON_1>" * 9_500
        for text, restored, unknown in (
            (same, 0, 19_000),
            (distinct, 0, len(re.findall(r"<A_\d+>", distinct))),
            (known, 9_500, 0),
        ):
            statements.clear()
            t0 = time.perf_counter()
            r = _restore(client, auth, "big", text)
            took = time.perf_counter() - t0
            assert r.status_code == 200, r.text[:200]
            assert (r.json()["restored"], r.json()["unknown"]) == (restored, unknown)
            # the pseudonym, the session's age and size, then the tokens in batches of 500;
            # the restore's audit row reads the pseudonym and the chain head (s34 qa_tenant L2)
            selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            batches = -(-len(set(re.findall(r"<[A-Z]+_\d+>", text))) // 500)
            assert len(selects) == 3 + batches + 2, selects
            assert took < 5, took  # was 13 s for `same` and a 503 through the API's 15 s deadline


# --- M3: the vault key check -----------------------------------------------------------------------


def test_the_key_check_is_stored_on_first_use_and_passes_with_the_same_key(tmp_path):
    from bastion.store.vault import KEY_CHECK_LOOKUP

    key = store_mod.new_vault_key()
    sv = SessionVaults(_store(tmp_path / "k.db", key), ttl_s=60)
    assert sv.key_error is None
    with sv.store.engine.connect() as conn:
        row = conn.execute(select(vault_entries).where(vault_entries.c.lookup == KEY_CHECK_LOOKUP)).one()
    assert row.owner == "" and not row.scope.startswith("api/")
    sv.vault("k", "alice", "s").token_for("PERSON", NAME)
    again = SessionVaults(_store(tmp_path / "k.db", key), ttl_s=60)
    assert again.key_error is None
    assert again.restore("k", "alice", "s", "<PERSON_1>").text == NAME


def test_a_wrong_key_is_found_at_startup_and_nothing_is_written(tmp_path, caplog):
    from bastion.store.vault import VaultKeyError

    sv = SessionVaults(_store(tmp_path / "w.db"), ttl_s=60)
    sv.vault("k", "bob", "sb").token_for("PERSON", "Bob Smith")
    other = _store(tmp_path / "w.db")  # the same database, another key
    before = _rows(other)
    with caplog.at_level(logging.ERROR, logger="bastion.api"):
        wrong = SessionVaults(other, ttl_s=60)
    assert wrong.key_error is not None and "not the one" in wrong.key_error
    assert any(r.levelno == logging.ERROR and "vault key" in r.getMessage() for r in caplog.records)
    with pytest.raises(VaultKeyError):
        wrong.vault("k", "bob", "sb")
    with pytest.raises(VaultKeyError):
        wrong.restore("k", "bob", "sb", "<PERSON_1>")
    assert wrong.purge_expired() == 0
    assert _rows(other) == before


def test_a_database_from_before_the_check_is_checked_against_its_newest_entry(tmp_path):
    from bastion.store.vault import KEY_CHECK_LOOKUP

    key = store_mod.new_vault_key()
    old = _store(tmp_path / "legacy.db", key)
    old.vault("alice", session="api/k/s").token_for("PERSON", NAME)  # written without a check row
    wrong = SessionVaults(_store(tmp_path / "legacy.db"), ttl_s=60)
    assert wrong.key_error is not None and "newest stored entry" in wrong.key_error
    with old.engine.connect() as conn:
        assert (
            conn.execute(select(vault_entries).where(vault_entries.c.lookup == KEY_CHECK_LOOKUP)).first()
            is None
        )
    right = SessionVaults(_store(tmp_path / "legacy.db", key), ttl_s=60)
    assert right.key_error is None


def test_a_wrong_key_is_a_logged_503_not_an_invalid_policy_override(tmp_path, keys, caplog):
    first = _store(tmp_path / "api.db")
    with _client(keys, first) as client:
        assert _redact(client, keys[1], "sb", f"I am {NAME}").status_code == 200
    second = _store(tmp_path / "api.db")  # restarted with another BASTION_VAULT_KEY
    before = _rows(second)
    with caplog.at_level(logging.ERROR, logger="bastion.api"), _client(keys, second) as client:
        for r in (
            _restore(client, keys[1], "sb", "<PERSON_1>"),
            _redact(client, keys[1], "sb", f"{NAME} again, and Eve Polastri"),
        ):
            assert r.status_code == 503, r.text
            assert "vault key" in r.json()["detail"] and "policy override" not in r.json()["detail"]
            assert "retry-after" not in r.headers
    assert _rows(second) == before  # no entry under the second key
    assert any(r.levelno == logging.ERROR and "vault key" in r.getMessage() for r in caplog.records)


def test_an_entry_that_fails_to_decrypt_at_request_time_is_a_503(tmp_path, keys, caplog):
    store = _store(tmp_path / "alter.db")
    with _client(keys, store) as client:
        _redact(client, keys[1], "s", f"I am {NAME}")
        with store.engine.begin() as conn:
            conn.execute(
                update(vault_entries)
                .where(vault_entries.c.token == "<PERSON_1>")
                .values(ciphertext=b"\x00" * 24)
            )
        with caplog.at_level(logging.ERROR, logger="bastion.api"):
            r = _restore(client, keys[1], "s", "<PERSON_1>")
    assert r.status_code == 503, r.text
    assert "policy override" not in r.json()["detail"] and r.json().get("request_id")
    assert any("cannot be decrypted" in rec.getMessage() for rec in caplog.records)


# --- L2: a set but invalid vault key ---------------------------------------------------------------


@pytest.fixture
def serve_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    for name in ("BASTION_DB_URL", "BASTION_STORE_URL", "BASTION_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BASTION_AUDIT_HMAC_KEY", "k" * 32)
    import bastion.api.serving as serving

    # a start that got past the checks must not block the test: it returns 0 at once
    monkeypatch.setattr(serving, "run_until_loaded_or_failed", lambda *a, **k: 0)
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    return ["serve", "--no-auth", "--audit-store", "--db", db, "--rate-limit", "none", "--port", "0"]


def test_serve_refuses_a_malformed_vault_key(serve_env, monkeypatch, capsys):
    monkeypatch.setenv("BASTION_VAULT_KEY", "not-base64-key!!")
    rc = cli_main(serve_env)
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "bastion serve: error:" in err and "not valid base64" in err and "Traceback" not in err


def test_serve_refuses_a_vault_key_file_it_cannot_read(serve_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BASTION_VAULT_KEY_FILE", str(tmp_path / "keys" / "missing.key"))
    assert cli_main(serve_env) == 1
    assert "bastion serve: error:" in capsys.readouterr().err


def test_serve_refuses_another_vault_key_than_the_store_was_written_with(
    serve_env, tmp_path, monkeypatch, capsys
):
    db = serve_env[serve_env.index("--db") + 1]
    first = store_mod.new_vault_key()
    SessionVaults(store_mod.PrivacyStore(db, vault_key=first), ttl_s=60)
    monkeypatch.setenv("BASTION_VAULT_KEY", store_mod.new_vault_key())
    assert cli_main(serve_env) == 1
    assert "not the one" in capsys.readouterr().err
    monkeypatch.setenv("BASTION_VAULT_KEY", first)
    assert cli_main(serve_env) == 0  # the right key starts (run_until_loaded_or_failed is stubbed)


def test_an_app_with_a_malformed_key_answers_503_naming_the_key(tmp_path, keys, monkeypatch):
    monkeypatch.setenv("BASTION_VAULT_KEY", "not-base64-key!!")
    store = store_mod.PrivacyStore(f"sqlite:///{tmp_path / 'bad.db'}", audit_key=b"a" * 32)
    with _client(keys, store) as client:
        assert client.app.state.bastion.sessions.key_error.startswith("the vault key is set but unusable")
        r = _restore(client, keys[1], "s", "<PERSON_1>")
        assert r.status_code == 503 and "vault key" in r.json()["detail"], r.text
        # checks without a session still work
        assert client.post("/v1/check", json={"text": "hi"}, headers=keys[1]).status_code == 200


def test_no_vault_key_at_all_still_just_turns_sessions_off(tmp_path):
    store = store_mod.PrivacyStore(f"sqlite:///{tmp_path / 'none.db'}", audit_key=b"a" * 32)
    with pytest.raises(ConfigError, match="needs a key"):
        SessionVaults(store, ttl_s=60)


# --- M4: a session id reused after expiry ----------------------------------------------------------


def test_numbering_continues_after_expiry(tmp_path):
    clock = Clock()
    store = _store(tmp_path / "ttl.db", clock=clock)
    sv = SessionVaults(store, ttl_s=60, clock=clock)
    v = sv.vault("k1", "alice", "c1")
    assert v.token_for("PERSON", "Jane") == "<PERSON_1>"
    assert v.token_for("PERSON", "Joe", avoid="<PERSON_2>") == "<PERSON_3>"
    assert v.token_for("EMAIL_ADDRESS", EMAIL) == "<EMAIL_ADDRESS_1>"
    clock.now += timedelta(seconds=61)
    assert sv.restore("k1", "alice", "c1", "<PERSON_1> <PERSON_2>") is None  # 404, as documented
    v = sv.vault("k1", "alice", "c1")
    assert v.token_for("PERSON", "Carol") == "<PERSON_4>"
    assert v.token_for("PERSON", "Dan") == "<PERSON_5>"
    assert v.token_for("EMAIL_ADDRESS", "c@x.org") == "<EMAIL_ADDRESS_2>"
    assert v.token_for("PHONE_NUMBER", "555") == "<PHONE_NUMBER_1>"
    out = sv.restore("k1", "alice", "c1", "<PERSON_1> <PERSON_3> <PERSON_4> <EMAIL_ADDRESS_1>")
    assert (out.text, out.restored, out.unknown) == ("<PERSON_1> <PERSON_3> Carol <EMAIL_ADDRESS_1>", 1, 3)
    # a second expiry keeps the highest numbers of both sessions
    clock.now += timedelta(seconds=61)
    assert sv.purge_expired() == 4
    assert sv.vault("k1", "alice", "c1").token_for("PERSON", "Eve") == "<PERSON_6>"
    # other sessions still number from 1
    assert sv.vault("k1", "alice", "c2").token_for("PERSON", "Eve") == "<PERSON_1>"
    assert sv.vault("k1", None, "c1").token_for("PERSON", "Eve") == "<PERSON_1>"


def test_the_floors_keep_no_session_id_no_value_and_no_user_link(tmp_path):
    from bastion.api.sessions import FLOORS_KEEP

    clock = Clock()
    store = _store(tmp_path / "floors.db", clock=clock)
    sv = SessionVaults(store, ttl_s=60, clock=clock)
    sv.vault("k1", "alice", "secret-chat").token_for("PERSON", "Jane Q Public")
    clock.now += timedelta(seconds=61)
    assert sv.purge_expired() == 1
    with store.engine.connect() as conn:
        rows = conn.execute(select(vault_entries)).all()
    dump = repr(rows)
    assert "secret-chat" not in dump and "Jane Q Public" not in dump
    assert store.pseudonyms.get("alice") not in dump
    assert all(r.owner == "" for r in rows)
    # erasing the user (then reusing the session) is not blocked and works as before
    assert store.erase("alice").user_found
    # floors older than FLOORS_KEEP go with the sweep
    clock.now += FLOORS_KEEP + timedelta(days=1)
    sv.purge_expired()
    with store.engine.connect() as conn:
        left = conn.execute(select(vault_entries.c.token)).scalars().all()
    assert left == ["~key-check"]


def test_a_late_expiry_never_deletes_the_fresh_session_another_request_started(tmp_path):
    clock = Clock()
    store = _store(tmp_path / "race.db", clock=clock)
    sv = SessionVaults(store, ttl_s=60, clock=clock)
    sv.vault("k", "alice", "s").token_for("PERSON", "Jane")
    clock.now += timedelta(seconds=61)
    stale = sv.vault("k", "alice", "s")  # expires the old session
    stale.token_for("PERSON", "Carol")  # the fresh one
    # a second request that also saw the session expired comes late
    assert stale.expire(started_before=clock() - timedelta(seconds=60)) == 0
    assert sv.restore("k", "alice", "s", "<PERSON_2>").text == "Carol"


def test_a_reused_expired_session_over_the_api(tmp_path, keys):
    clock = Clock()
    store = _store(tmp_path / "api_ttl.db", clock=clock)
    with _client(keys, store) as client:
        client.app.state.bastion.sessions._clock = clock
        auth = keys[1]
        assert _redact(client, auth, "c1", f"I am {NAME}").json()["redacted_text"] == "I am <PERSON_1>"
        clock.now += timedelta(days=2)
        assert _restore(client, auth, "c1", "<PERSON_1>").status_code == 404
        r = _redact(client, auth, "c1", f"mail {EMAIL} from {NAME}")
        assert r.json()["redacted_text"] == "mail <EMAIL_ADDRESS_1> from <PERSON_2>"
        assert _restore(client, auth, "c1", "<PERSON_1> / <PERSON_2>").json() == {
            "text": f"<PERSON_1> / {NAME}",
            "restored": 1,
            "unknown": 1,
        }


def test_the_key_check_env_helper_sees_either_variable(tmp_path, monkeypatch):
    from bastion.api.sessions import _key_configured

    store = store_mod.PrivacyStore(f"sqlite:///{tmp_path / 'e.db'}", audit_key=b"a" * 32)
    assert not _key_configured(store)
    monkeypatch.setenv("BASTION_VAULT_KEY_FILE", os.devnull)
    assert _key_configured(store)


@pytest.mark.parametrize("written", ["EMAIL_ADDRESS_1", "<email_address_1>", " <EMAIL_ADDRESS_1> "])
def test_a_tokens_filter_entry_reads_as_restore_reads_tokens(written):
    # s33 qa_verify N7: a bare or lower-case entry was accepted and matched nothing
    from bastion.redact import Vault, restore_counts

    v = Vault.from_items({"<EMAIL_ADDRESS_1>": "a@b.co", "<PERSON_1>": "Jane"})
    out = restore_counts("mail <EMAIL_ADDRESS_1> from <PERSON_1>", v, tokens=[written])
    assert (out.text, out.restored, out.unknown) == ("mail a@b.co from <PERSON_1>", 1, 0)
