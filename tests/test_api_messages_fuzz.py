"""Fuzzing POST /v1/check/messages and /v1/restore: random chat arrays (OpenAI and
Anthropic shapes, wrong types, odd unicode) never give a 500, always answer JSON, keep
offsets inside each checked message and keep the response proportional to the request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bastion.conversation import parse_messages
from hypothesis import given
from hypothesis import strategies as st
from test_api_fuzz import SETTINGS, _post, anything, client, policy, text, valid_policy  # noqa: F401

role = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"]) | anything
part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": text | anything}),
    st.fixed_dictionaries(
        {"type": st.just("tool_result"), "tool_use_id": st.just("t1")},
        optional={
            "content": text
            | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": text}), max_size=3)
            | anything
        },
    ),
    st.fixed_dictionaries({"type": st.just("tool_use"), "id": st.just("t1")}, optional={"input": anything}),
    st.fixed_dictionaries({"type": st.just("image_url"), "image_url": anything}),
    anything,
)
message = st.fixed_dictionaries(
    {"role": role},
    optional={
        "content": text | st.lists(part, max_size=4) | st.none() | anything,
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.just("c"),
                    "function": st.fixed_dictionaries({"name": st.just("f"), "arguments": text}),
                }
            ),
            max_size=2,
        )
        | anything,
        "name": anything,
    },
)
canary = st.sampled_from(["bastion-canary-0123456789abcdef", "short", "with space here"]) | anything
messages_body = (
    st.fixed_dictionaries(
        {"messages": st.lists(message, min_size=1, max_size=6)},
        optional={
            "system": text | anything,
            "canaries": st.lists(canary, max_size=3) | anything,
            "policy": valid_policy | policy,
            "user_id": st.sampled_from(["alice", "a b", ""]) | anything,
        },
    )
    | st.fixed_dictionaries({"messages": anything})
    | anything
)


def _plain(messages: Any) -> list[dict[str, Any]]:
    return [m for m in messages if isinstance(m, dict)]


@SETTINGS
@given(body=messages_body, ascii_only=st.booleans())
def test_fuzz_messages(client, body, ascii_only):  # noqa: F811
    content = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    status, out = _post(client, "/v1/check/messages", content)
    if status != 200:
        return
    assert out["action"] in ("allow", "redact", "block")
    pieces = parse_messages(_plain(body["messages"]))
    assert len(out["messages"]) == len(pieces)
    for got, piece in zip(out["messages"], pieces, strict=True):
        assert (got["index"], got["role"]) == (piece.index, piece.role)
        if got["result"] is not None:
            for f in got["result"]["pii"]:
                assert 0 <= f["start"] < f["end"] <= len(piece.checked_text)


@SETTINGS
@given(
    body=st.fixed_dictionaries({"session_id": st.text(max_size=10) | anything, "text": text | anything})
    | anything
)
@pytest.mark.parametrize("path", ["/v1/restore"])
def test_fuzz_restore_without_store(client, path, body):  # noqa: F811
    status, out = _post(client, path, json.dumps(body).encode("utf-8", "surrogatepass"))
    assert status in (400, 413, 422)
