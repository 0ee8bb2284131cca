"""A request that overrode the server's policy is on the hash-chained audit trail, not only
in the JSON log line (s33 qa_policy M1): the row's details name the overridden fields, and
the chain still verifies."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from bastion.api.app import create_app
from bastion.api.keys import KeyStore
from bastion.api.settings import Settings
from bastion.guard import Guard
from fastapi.testclient import TestClient
from helpers_guard import FakePII

store_mod = pytest.importorskip("bastion.store", reason="the store extra is not installed")


def test_the_row_names_the_overridden_fields(tmp_path):
    keys = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    _, key = keys.create("t")
    store = store_mod.PrivacyStore(f"sqlite:///{tmp_path / 'store.db'}", audit_key=b"a" * 32)
    app = create_app(
        guard=Guard([FakePII()]),
        settings=Settings(rate_limit=None, audit_hmac_key=b"a" * 32),
        key_store=keys,
        audit_stream=io.StringIO(),
        privacy_store=store,
    )
    auth = {"Authorization": f"Bearer {key}"}
    text = "key sk-abcdefghijklmnopqrstuvwx mail a@b.example"
    with TestClient(app) as c:
        assert c.post("/v1/check", json={"text": text}, headers=auth).status_code == 200
        weakened = {"disabled_labels": ["API_KEY"], "label_actions": {"EMAIL_ADDRESS": "allow"}}
        r = c.post("/v1/check", json={"text": text, "policy": weakened}, headers=auth)
        assert r.status_code == 200
    now = datetime.now(UTC)
    rows = [ev for ev in store.audit.walk(now - timedelta(hours=1), now + timedelta(minutes=1))]
    checks = [ev for ev in rows if ev.event_type in ("pii", "clean", "injection")]
    assert len(checks) == 2, rows
    assert "policy_overrides" not in checks[0].details
    assert list(checks[1].details["policy_overrides"]) == ["disabled_labels", "label_actions"]
    assert store.verify().ok
    store.close()
