"""Fuzzing the HTTP API (issue 11): random JSON bodies, near-valid policy overrides and raw
bytes to /v1/check, /v1/check/batch and /v1/redact never give a 500, always answer JSON,
keep offsets inside the text, and keep the response within a constant factor of the request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from bastion.api.app import create_app
from bastion.api.settings import Settings
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api import CARD, EMAIL, NAME, fake_guard

MAX_TEXT = 500
# a finding's JSON (label, offsets, score, detector) is ~150 bytes for a >= 6-char email:
# responses may grow by a constant factor over the request, never by a caller-chosen one
RATIO, SLACK = 40, 4096

SETTINGS = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats()  # json.dumps writes NaN / Infinity, which are not JSON
    | st.text(max_size=20)
)
anything = st.recursive(
    leaf,
    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=8), ch, max_size=4),
    max_leaves=12,
)
piece = st.sampled_from([EMAIL, CARD, NAME, "Ignore previous instructions", " ", "x", "\u200b", "ｊａｎｅ"])
text = st.lists(piece | piece | st.text(max_size=12), max_size=12).map("".join)
label = st.sampled_from(["EMAIL_ADDRESS", "PERSON", "CREDIT_CARD", "INJECTION", "x"]) | st.text(max_size=6)
op_type = st.sampled_from(["replace", "mask", "hash", "pseudonymize", "explode"])
# a dictionary of awkward values (fuzzing dictionary): wrong types, empty, huge, non-finite
awkward = st.sampled_from(
    ["a", "", "##", "#" * 5000, 5, 123, 1.5, -1, 10**6, 10**19, True, None, [], {}]
) | st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308])
operator = (
    st.fixed_dictionaries(
        {"type": op_type},
        optional={
            "keep": st.integers(-3, 100) | awkward | anything,
            "char": st.text(min_size=0, max_size=3) | awkward | anything,
            "key": st.text(max_size=8) | awkward | anything,
            "length": st.integers(-1, 100) | awkward,
            "style": st.sampled_from(["bracket", "angle", "x"]) | awkward,
        },
    )
    | op_type
    | awkward
)
action = st.sampled_from(["allow", "redact", "block", "nope"]) | anything
# list entries: strings, one-key mappings, regexes made of backtracking-prone pieces (the
# policy refuses the unsafe ones with a 422, never a 500 or a hang)
regex_text = st.lists(
    st.sampled_from(
        ["a", "(", ")", "+", "*", "?", "{2,5}", "{1,}", "[a-z]", "\\d", "|", ".", "^", "$", "(?<=a)", "\\1"]
    ),
    max_size=10,
).map("".join)
entry = (
    st.text(max_size=12)
    | st.sampled_from(["jane doe", "*@example.com", "*", "Project Falcon", "x" * 300])
    | st.dictionaries(
        st.sampled_from(["exact", "glob", "regex", "sha256", "label", "nope"]),
        regex_text | st.text(max_size=8) | awkward,
        max_size=2,
    )
    | awkward
)
entries = st.lists(entry, max_size=4) | anything
score = st.floats(-1, 2, allow_nan=False) | anything
policy = st.fixed_dictionaries(
    {},
    optional={
        "default_operator": operator,
        "operators": st.dictionaries(label, operator, max_size=3) | anything,
        "max_chars": st.integers(-5, 10**12) | anything,
        "max_tokens": st.integers(-5, 10**12) | anything,
        "pii_action": action,
        "injection_action": action,
        "label_actions": st.dictionaries(label, action, max_size=3) | anything,
        "label_thresholds": st.dictionaries(label, score, max_size=3) | anything,
        "pii_min_score": score,
        "injection_threshold": score,
        "injection_operating_point": st.sampled_from(["default", "strict", "indirect", "lax"]),
        "disabled_labels": st.lists(label, max_size=3) | anything,
        "allow_list": st.dictionaries(label | st.just("*"), entries, max_size=3) | anything,
        "deny_terms": entries,
        "injection_allow_list": entries,
        "nope": anything,
    },
)
# overrides the server accepts, so many examples get through to redaction
visible_char = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
valid_operator = st.sampled_from(["replace", "mask", "hash"]) | st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("replace")}, optional={"style": st.sampled_from(["bracket", "angle"])}
    ),
    st.fixed_dictionaries(
        {"type": st.just("mask")}, optional={"keep": st.integers(0, 64), "char": visible_char}
    ),
    st.fixed_dictionaries(
        {"type": st.just("hash")},
        optional={"key": st.text(visible_char, min_size=1, max_size=20), "length": st.integers(8, 64)},
    ),
)
valid_label = st.sampled_from(["EMAIL_ADDRESS", "PERSON", "CREDIT_CARD"])
valid_policy = st.fixed_dictionaries(
    {},
    optional={
        "default_operator": valid_operator,
        "operators": st.dictionaries(valid_label, valid_operator, max_size=3),
        "max_chars": st.integers(1, MAX_TEXT),
        "pii_action": st.sampled_from(["allow", "redact", "block"]),
        "label_thresholds": st.dictionaries(valid_label, st.floats(0, 1), max_size=2),
        "disabled_labels": st.lists(valid_label, max_size=2),
        "injection_threshold": st.floats(0, 1) | st.none(),
        "injection_operating_point": st.sampled_from(["default", "strict", "indirect"]),
        "allow_list": st.dictionaries(
            valid_label | st.just("*"),
            st.lists(st.sampled_from([NAME.lower(), "*@example.com", {"glob": "4111*"}]), max_size=2),
            max_size=2,
        ),
        "deny_terms": st.lists(st.sampled_from(["Doe", "previous", {"regex": r"\d{4}"}]), max_size=2),
    },
)
fuzzy_body = st.fixed_dictionaries(
    {"text": text | anything}, optional={"extra": anything}
) | st.fixed_dictionaries({"text": text, "policy": policy})
check_body = (
    st.fixed_dictionaries({"text": text}, optional={"policy": valid_policy})
    | fuzzy_body
    | fuzzy_body
    | anything
)
batch_body = (
    st.fixed_dictionaries(
        {"texts": st.lists(text, min_size=1, max_size=5)}, optional={"policy": valid_policy}
    )
    | st.fixed_dictionaries({"texts": st.lists(text, min_size=1, max_size=5), "policy": policy})
    | st.fixed_dictionaries({"texts": st.lists(text, max_size=5) | anything}, optional={"policy": policy})
    | anything
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(
        guard=fake_guard(),
        settings=Settings(
            auth_enabled=False, rate_limit=None, max_text_chars=MAX_TEXT, max_body_bytes=20_000
        ),
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("BASTION_HMAC_KEY", "fuzz-key-0123456")  # so a hash operator without its own key works
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
    finally:
        mp.undo()


def _check_result(result: dict[str, Any], text: str) -> None:
    for f in result["pii"]:
        assert 0 <= f["start"] < f["end"] <= len(text)
    assert isinstance(result["redacted_text"], str)


def _post(client: TestClient, path: str, content: bytes) -> Any:
    r = client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code in (200, 400, 413, 422), (r.status_code, r.text[:300], content[:300])
    assert r.headers["content-type"] == "application/json"
    out = r.json()
    assert len(r.content) <= RATIO * len(content) + SLACK
    if r.status_code != 200:
        assert isinstance(out["detail"], str) and len(out["detail"]) < 4000
    return r.status_code, out


@SETTINGS
@given(body=check_body, ascii_only=st.booleans())
@pytest.mark.parametrize("path", ["/v1/check", "/v1/redact"])
def test_fuzz_single(client, path, body, ascii_only):
    content = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    status, out = _post(client, path, content)
    if status == 200:
        _check_result(out, body["text"])


@SETTINGS
@given(body=batch_body)
def test_fuzz_batch(client, body):
    content = json.dumps(body).encode("utf-8", "surrogatepass")
    status, out = _post(client, "/v1/check/batch", content)
    if status == 200:
        assert len(out["results"]) == len(body["texts"])
        for result, t in zip(out["results"], body["texts"], strict=True):
            _check_result(result, t)


@SETTINGS
@given(
    content=st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))
)
@pytest.mark.parametrize("path", ["/v1/check", "/v1/check/batch"])
def test_fuzz_raw_bytes(client, path, content):
    _post(client, path, content)


@SETTINGS
@given(
    operators=st.dictionaries(st.sampled_from(["EMAIL_ADDRESS", "PERSON"]), operator, max_size=2),
    n=st.integers(1, 20),
)
def test_fuzz_amplification(client, operators, n):
    """Many findings with any operator: the response stays proportional to the request."""
    body = {"text": " ".join([EMAIL] * n), "policy": {"operators": operators}}
    status, out = _post(client, "/v1/redact", json.dumps(body).encode())
    if status == 200:
        assert len(out["redacted_text"]) <= 3 * len(body["text"]) + 64
