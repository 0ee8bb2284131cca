"""s34 fix: every text ``check_messages`` reads is also what ``protect()`` and the proxy
pseudonymise before the call goes upstream.

Commit 2d4fd64 made the parser read Anthropic ``search_result`` and ``*tool_result`` blocks
(MCP, web fetch, code execution: title, stdout, stderr, ...), an assistant's refusal,
reasoning text and audio transcript, and OpenAI ``custom`` tool calls. PII there was reported
by the check but sent upstream raw. Also: LiteLLM's stream hook dropped a streamed custom tool
call's input, and ``/v1/check/messages`` answered 422 to a tool-result block whose
``content`` is an object (a web fetch's document, a code-execution result).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bastion.conversation import parse_messages, rewrite_content, rewrite_message_texts
from bastion.guard import Guard
from bastion.protect import protect
from bastion.types import Action
from helpers_guard import FakeInjection, FakePII

EMAIL = "jane.doe@example.com"
TOKEN = "<EMAIL_ADDRESS_1>"
SECRET = "sk-abcdefghijklmnop1234"  # FakePII's API_KEY: blocks as output
URL = "https://kb.example/doc?id=7"
CIPHER = "EqgfCioIARgBIiQ3YTk"


def _guard() -> Guard:
    return Guard([FakePII(), FakeInjection(thresholds={"default": 0.5, "strict": 0.8})])


# (role, message) pairs holding EMAIL in a text the parser reads; each row's EMAIL sits in a
# field the old rewrite left raw (title, stdout, stderr, output, refusal, reasoning, the
# audio transcript, a custom tool call's input)
_CASES: dict[str, dict[str, Any]] = {
    "search_result-title": {
        "role": "user",
        "content": [
            {
                "type": "search_result",
                "source": URL,
                "title": f"notes on {EMAIL}",
                "content": [{"type": "text", "text": f"write to {EMAIL}"}],
                "citations": {"enabled": True},
            }
        ],
    },
    "tool_result>search_result": {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [{"type": "search_result", "source": URL, "title": EMAIL, "content": []}],
            }
        ],
    },
    "mcp_tool_result": {
        "role": "assistant",
        "content": [
            {
                "type": "mcp_tool_result",
                "tool_use_id": "mcptoolu_1",
                "is_error": False,
                "content": [{"type": "text", "text": EMAIL}, {"type": "x_note", "output": EMAIL}],
            }
        ],
    },
    "web_fetch_tool_result": {
        "role": "assistant",
        "content": [
            {
                "type": "web_fetch_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "web_fetch_result",
                    "url": URL,
                    "retrieved_at": "2025-08-25T10:30:02Z",
                    "content": {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": f"by {EMAIL}"},
                        "citations": {"enabled": True},
                    },
                },
            }
        ],
    },
    "web_fetch_tool_result-context": {
        "role": "user",
        "content": [
            {
                "type": "web_fetch_tool_result",
                "tool_use_id": "srvtoolu_2",
                "content": {"type": "web_fetch_result", "url": URL, "context": f"page of {EMAIL}"},
            }
        ],
    },
    "web_search_tool_result": {
        "role": "assistant",
        "content": [
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_3",
                "content": [
                    {
                        "type": "web_search_result",
                        "url": URL,
                        "title": f"{EMAIL} - profile",
                        "encrypted_content": CIPHER,
                        "page_age": "April 30, 2025",
                    }
                ],
            }
        ],
    },
    "bash_code_execution_tool_result": {
        "role": "assistant",
        "content": [
            {
                "type": "bash_code_execution_tool_result",
                "tool_use_id": "srvtoolu_4",
                "content": {
                    "type": "bash_code_execution_result",
                    "stdout": f"{EMAIL}\n",
                    "stderr": f"warning: {EMAIL}",
                    "return_code": 0,
                    "content": [{"type": "bash_code_execution_output", "file_id": "file_1"}],
                },
            }
        ],
    },
    "code_execution_tool_result": {
        "role": "user",
        "content": [
            {
                "type": "code_execution_tool_result",
                "tool_use_id": "srvtoolu_5",
                "content": {"type": "code_execution_result", "stdout": EMAIL, "stderr": "", "return_code": 0},
            }
        ],
    },
    "text_editor_code_execution_tool_result": {
        "role": "assistant",
        "content": [
            {
                "type": "text_editor_code_execution_tool_result",
                "tool_use_id": "srvtoolu_6",
                "content": {
                    "type": "text_editor_code_execution_view_result",
                    "file_type": "text",
                    "content": f"owner = {EMAIL}",
                    "num_lines": 1,
                },
            }
        ],
    },
    "refusal": {"role": "assistant", "content": None, "refusal": f"I won't mail {EMAIL}."},
    "reasoning_content": {"role": "assistant", "content": "ok", "reasoning_content": f"{EMAIL} asked"},
    "reasoning": {"role": "assistant", "content": "ok", "reasoning": f"{EMAIL} asked"},
    "audio.transcript": {
        "role": "assistant",
        "content": None,
        "audio": {"id": "audio_abc", "expires_at": 1, "transcript": f"I wrote to {EMAIL}"},
    },
    "custom tool call": {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "custom", "custom": {"name": "shell", "input": f"mail {EMAIL} < a.txt"}}
        ],
    },
    "custom tool call, object input": {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_2", "type": "custom", "custom": {"name": "crm", "input": {"to": [EMAIL]}}}
        ],
    },
}


def _conversation(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "look this up"},
        copy.deepcopy(case),
        {"role": "user", "content": "go on"},
    ]


def _as_sent(value: Any) -> str:
    """``value`` as JSON with the pseudonym written back: equal to the original's JSON when
    exactly the e-mail addresses were pseudonymised and nothing else changed."""
    return json.dumps(value, ensure_ascii=False).replace(TOKEN, EMAIL)


@pytest.mark.parametrize("case", list(_CASES.values()), ids=list(_CASES))
def test_protect_pseudonymises_every_text_the_check_reads(case: dict[str, Any]) -> None:
    messages = _conversation(case)
    g = _guard()
    # the check reports the address (what 2d4fd64 made it read)...
    checked = g.check_messages(messages)
    assert any(p.label == "EMAIL_ADDRESS" for m in checked.messages if m.result for p in m.result.pii)
    seen: list[Any] = []

    def llm(*, messages: list[dict[str, Any]], **kw: Any) -> str:
        seen.append(messages)
        return "done"

    r = protect(g, llm)(messages=copy.deepcopy(messages))
    assert r.action is not Action.BLOCK
    # ...and the model provider never sees it (before: raw in every row)
    (sent,) = seen
    assert EMAIL not in json.dumps(sent, ensure_ascii=False)
    assert TOKEN in json.dumps(sent, ensure_ascii=False)
    # nothing else changed: shapes, ids, URLs, encrypted content, return codes
    assert _as_sent(sent) == json.dumps(messages, ensure_ascii=False)


@pytest.mark.parametrize(
    "field, restored",
    [("stdout", False), ("refusal", True)],
    ids=["code-execution stdout: a tool's value", "refusal: the user's side"],
)
def test_a_tool_outputs_token_is_not_restored_an_answers_is(field: str, restored: bool) -> None:
    # a value from a tool's output stays a token in the answer (s33: the user never gave it)
    case = _CASES["code_execution_tool_result" if field == "stdout" else "refusal"]

    def llm(*, messages: list[dict[str, Any]], **kw: Any) -> str:
        return f"the address is {TOKEN}"

    r = protect(_guard(), llm)(messages=_conversation(case))
    assert r.answer == f"the address is {EMAIL if restored else TOKEN}"


# -- the rewrite walks exactly what the parser reads --------------------------------------------


_MARKER = re.compile(r"M\d+M")


def _marked(value: Any, counter: list[int]) -> Any:
    """``value`` with every string replaced by a unique marker ``M<n>M``."""
    if isinstance(value, str):
        counter[0] += 1
        return f"M{counter[0]}M"
    if isinstance(value, list):
        return [_marked(v, counter) for v in value]
    if isinstance(value, dict):
        # keys and the fields that say what a block is stay as they are
        keep = ("type", "role")
        return {k: v if k in keep else _marked(v, counter) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", list(_CASES.values()), ids=list(_CASES))
def test_the_rewrite_visits_exactly_the_texts_the_parser_reads(case: dict[str, Any]) -> None:
    msg = _marked(case, [0])
    read = "\n".join(p.text for p in parse_messages([msg]))  # names are not in p.text
    visited: set[str] = set()

    def visit(text: str) -> str:
        visited.add(text)
        return text

    rewrite_message_texts({**msg, "content": rewrite_content(msg.get("content"), visit)}, visit)
    # markers, not whole texts: an object input is read as its JSON, rewritten string by string
    assert set(_MARKER.findall("\n".join(visited))) == set(_MARKER.findall(read))


def test_signed_thinking_and_names_stay_as_they_are() -> None:
    # a changed thinking block no longer matches its signature (the provider refuses it), and
    # a tool's name maps the call back to the app's tool
    content = [
        {"type": "thinking", "thinking": EMAIL, "signature": CIPHER},
        {"type": "redacted_thinking", "data": CIPHER},
        {"type": "tool_use", "id": "toolu_1", "name": "crm", "input": {"to": EMAIL}},
    ]
    out = rewrite_content(content, lambda t: t.replace(EMAIL, TOKEN))
    assert out[:2] == content[:2]
    assert out[2] == {**content[2], "input": {"to": TOKEN}}


# -- the proxy ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[Any, str, Any]]:
    pytest.importorskip("uvicorn")
    from test_proxy import Served, Upstream, _start_proxy, fake_upstream
    from test_proxy import _guard as proxy_guard

    up = Upstream(answer=lambda body: "fine")
    upstream = Served(fake_upstream(up))
    fakes = type("F", (), {"PII": FakePII, "Injection": FakeInjection})
    served, key, _ = _start_proxy(upstream.url, proxy_guard(fakes))
    yield served, key, up
    served.stop()
    upstream.stop()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_the_proxy_pseudonymises_the_new_fields_of_the_history(
    proxied: tuple[Any, str, Any], stream: bool
) -> None:
    import httpx

    served, key, up = proxied
    history = [
        _CASES["bash_code_execution_tool_result"],
        _CASES["web_fetch_tool_result"],
        _CASES["search_result-title"],
        _CASES["refusal"],
        _CASES["custom tool call"],
        _CASES["audio.transcript"],
        {"role": "user", "content": "and now?"},
    ]
    up.seen.clear()
    r = httpx.post(
        f"{served.url}/v1/chat/completions",
        json={"model": "m", "messages": history, "stream": stream},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    ((_, body),) = up.seen
    # before: the stdout, stderr, search title and custom input went upstream raw
    assert EMAIL not in json.dumps(body, ensure_ascii=False)
    assert _as_sent(body["messages"]) == json.dumps(history, ensure_ascii=False)


def _custom_answer(proxied: tuple[Any, str, Any], text: str) -> Any:
    import httpx

    served, key, up = proxied
    call = {"id": "call_9", "type": "custom", "custom": {"name": "shell", "input": text}}
    up.extra_message = {"tool_calls": [call]}
    try:
        return httpx.post(
            f"{served.url}/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": f"I am {EMAIL}"}]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    finally:
        up.extra_message = None


def test_the_proxy_checks_and_restores_a_custom_tool_calls_input_in_an_answer(
    proxied: tuple[Any, str, Any],
) -> None:
    r = _custom_answer(proxied, f"mail {TOKEN} and bob@corp.example")
    assert r.status_code == 200, r.text
    (call,) = r.json()["choices"][0]["message"]["tool_calls"]
    # before: passed as the upstream wrote it (the user's token, the new address unredacted)
    assert call["custom"] == {"name": "shell", "input": f"mail {EMAIL} and [REDACTED_EMAIL_ADDRESS]"}
    r = _custom_answer(proxied, f"export KEY={SECRET}")
    assert r.status_code == 400 and SECRET not in r.text  # before: 200 with the secret


# -- LiteLLM: a streamed custom tool call -------------------------------------------------------


@pytest.fixture
def guardrail() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    pytest.importorskip("litellm")
    from bastion.integrations.litellm import BastionGuardrail
    from litellm.types.guardrails import GuardrailEventHooks

    return BastionGuardrail(
        guard=_guard(),
        guardrail_name="bastion",
        event_hook=[GuardrailEventHooks.pre_call, GuardrailEventHooks.post_call],
        default_on=True,
    )


def _stream(g: Any, deltas: list[dict[str, Any]]) -> list[Any]:
    from litellm.types.utils import ModelResponseStream

    chunks = [ModelResponseStream(choices=[{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    chunks.append(ModelResponseStream(choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))

    async def go() -> list[Any]:
        async def source() -> Any:
            for c in chunks:
                yield c

        return [c async for c in g.async_post_call_streaming_iterator_hook(None, source(), {})]

    return asyncio.run(go())


def _custom(index: int, text: str, call_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    head = {"id": call_id, "type": "custom"} if call_id else {}
    return {"index": index, **head, "custom": {"input": text, **({"name": name} if name else {})}}


def test_litellm_keeps_and_checks_a_streamed_custom_tool_calls_input(guardrail: Any) -> None:
    function = {
        "index": 1,
        "id": "c2",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a": 1}'},
    }
    deltas = [
        {"tool_calls": [_custom(0, "mail jane.doe@exa", "c1", "shell")]},
        {"tool_calls": [function]},
        {"tool_calls": [_custom(0, "mple.com now")]},
    ]
    calls = [t for c in _stream(guardrail, deltas) for ch in c.choices for t in ch.delta.tool_calls or ()]
    got = [
        (t.index, t.id, t.type, t.custom.name, t.custom.input)
        if t.type == "custom"
        else (t.index, t.id, t.type, t.function.name, t.function.arguments)
        for t in calls
    ]
    # before: the custom call came out as a "custom" call with an empty function and no input
    assert got == [
        (0, "c1", "custom", "shell", "mail [REDACTED_EMAIL_ADDRESS] now"),
        (1, "c2", "function", "f", '{"a": 1}'),
    ]


def test_litellm_blocks_a_secret_split_across_a_custom_calls_deltas(guardrail: Any) -> None:
    from fastapi import HTTPException

    deltas = [
        {"tool_calls": [_custom(0, "export KEY=sk-abcdefgh", "c1", "shell")]},
        {"tool_calls": [_custom(0, "ijklmnop1234")]},
    ]
    with pytest.raises(HTTPException) as err:
        _stream(guardrail, deltas)
    assert err.value.status_code == 400  # before: the input was dropped, never checked


# -- the HTTP API: a tool-result block whose content is an object ------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    pytest.importorskip("fastapi")
    from bastion.api.app import create_app
    from bastion.api.keys import KeyStore
    from bastion.api.settings import Settings
    from fastapi.testclient import TestClient

    store = KeyStore(f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}")
    _, key = store.create("tests")
    app = create_app(guard=_guard(), settings=Settings(rate_limit=None), key_store=store)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "case",
    ["web_fetch_tool_result", "bash_code_execution_tool_result", "text_editor_code_execution_tool_result"],
)
def test_the_api_checks_a_tool_result_with_object_content(api: tuple[Any, dict[str, str]], case: str) -> None:
    client, auth = api
    r = client.post("/v1/check/messages", json={"messages": [_CASES[case]]}, headers=auth)
    assert r.status_code == 200, r.text  # before: 422 (content must be a string or a list)
    (tool,) = [m for m in r.json()["messages"] if m["role"] == "tool"]
    assert tool["checked_as"] == "indirect"
    assert "EMAIL_ADDRESS" in {p["label"] for p in tool["result"]["pii"]}


def test_the_api_bounds_object_content_like_list_content(api: tuple[Any, dict[str, str]]) -> None:
    from bastion.api.models import MAX_PARTS

    client, auth = api
    wide = {"type": "code_execution_result", **{f"f{i}": i for i in range(MAX_PARTS)}}
    part = {"type": "code_execution_tool_result", "tool_use_id": "s", "content": wide}
    r = client.post(
        "/v1/check/messages", json={"messages": [{"role": "user", "content": [part]}]}, headers=auth
    )
    assert r.status_code == 422 and "content" in r.text
    deep: dict[str, Any] = {"type": "x", "stdout": EMAIL}
    for _ in range(20):
        deep = {"type": "x", "content": deep}
    part = {"type": "code_execution_tool_result", "tool_use_id": "s", "content": deep}
    r = client.post(
        "/v1/check/messages", json={"messages": [{"role": "user", "content": [part]}]}, headers=auth
    )
    assert r.status_code == 422 and "nested" in r.text
