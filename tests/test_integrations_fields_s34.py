"""QA s34 H3, H4, M2: the LiteLLM guardrail and LangChain ``guard_output`` check every text
field of an answer as the proxy does: reasoning, thinking blocks, refusals, the audio
transcript and tool-call names, streamed and not. A secret blocks, PII is redacted in place
(shape kept), and a clean answer comes out unchanged. Fake detectors, no network."""

from __future__ import annotations

import asyncio
import copy
import os
from typing import Any

import pytest
from bastion.errors import BlockedError

# LiteLLM fetches a price table from the internet at import unless told to use its bundled copy
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

SECRET = "sk-abcdefghijklmnop1234"  # FakePII's API_KEY: blocks as output
MAIL = "bob@corp.example"
RED = "[REDACTED_EMAIL_ADDRESS]"


# -- LiteLLM ------------------------------------------------------------------------------


@pytest.fixture
def gr(fake_guard):
    pytest.importorskip("litellm")  # the litellm extra; in the CI install
    from bastion.integrations.litellm import BastionGuardrail
    from litellm.types.guardrails import GuardrailEventHooks

    return BastionGuardrail(
        guard=fake_guard,
        guardrail_name="bastion",
        event_hook=[GuardrailEventHooks.pre_call, GuardrailEventHooks.post_call],
        default_on=True,
    )


def _blocked(fn, *args) -> None:
    from fastapi import HTTPException

    with pytest.raises(HTTPException) as exc:
        fn(*args)
    assert exc.value.status_code == 400
    assert SECRET not in str(exc.value.detail)


def _post(gr, response):
    return asyncio.run(gr.async_post_call_success_hook({}, None, response))


def _answer(**message):
    from litellm import ModelResponse

    return ModelResponse(choices=[{"message": {"role": "assistant", **message}}])


def _call(name="lookup", arguments="{}"):
    return {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}


def _reasoning_item(text):
    return {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": text}]}


def _audio(text):
    return {"id": "a1", "data": "", "expires_at": 1, "transcript": text}


# each field of a chat answer: (message fields with ``value`` in it, where it comes back)
LL_FIELDS: list[tuple[str, Any, Any]] = [
    ("reasoning_content", lambda v: {"content": "ok", "reasoning_content": v}, lambda m: m.reasoning_content),
    ("refusal", lambda v: {"content": None, "refusal": v}, lambda m: m.refusal),
    (
        "thinking_blocks",
        lambda v: {
            "content": "ok",
            "thinking_blocks": [{"type": "thinking", "thinking": v, "signature": "s"}],
        },
        lambda m: m.thinking_blocks[0]["thinking"],
    ),
    (
        "reasoning_items",
        lambda v: {"content": "ok", "reasoning_items": [_reasoning_item(v)]},
        lambda m: m.reasoning_items[0]["summary"][0]["text"],
    ),
    ("audio.transcript", lambda v: {"content": None, "audio": _audio(v)}, lambda m: m.audio.transcript),
    (
        "tool name",
        lambda v: {"content": None, "tool_calls": [_call(name=v)]},
        lambda m: m.tool_calls[0].function.name,
    ),
    (
        "function_call name",
        lambda v: {"content": None, "function_call": {"name": v, "arguments": "{}"}},
        lambda m: m.function_call.name,
    ),
]


@pytest.mark.parametrize(("field", "build", "read"), LL_FIELDS, ids=[f[0] for f in LL_FIELDS])
def test_litellm_answer_fields_block_and_redact(gr, field, build, read):
    _blocked(_post, gr, _answer(**build(f"key {SECRET}")))
    out = _post(gr, _answer(**build(f"to {MAIL}")))
    assert read(out.choices[0].message) == f"to {RED}"


def _custom_call_answer(value):
    from litellm.types.utils import ChatCompletionMessageCustomToolCall

    resp = _answer(content=None, tool_calls=[_call()])
    custom = ChatCompletionMessageCustomToolCall(id="c2", custom={"name": "grep", "input": value})
    resp.choices[0].message.tool_calls = [custom]
    return resp, lambda r: r.choices[0].message.tool_calls[0].custom.input


def _responses_answer(*output):
    import litellm

    r = litellm.responses(model="gpt-4o-mini", input="hi", mock_response="ok")
    r.output = list(output)
    return r


def _responses_call(value):
    call = {"type": "function_call", "call_id": "c1", "name": value, "arguments": "{}"}
    return _responses_answer(call), lambda r: r.output[0]["name"]


def _responses_refusal(value):
    message = {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": value}]}
    return _responses_answer(message), lambda r: r.output[0]["content"][0]["refusal"]


# answers of other shapes: (builder of (answer with the value in it, where it comes back))
LL_OTHER = [
    ("custom tool input", _custom_call_answer),
    ("responses function_call name", _responses_call),
    ("responses refusal part", _responses_refusal),
]


@pytest.mark.parametrize(("where", "build"), LL_OTHER, ids=[o[0] for o in LL_OTHER])
def test_litellm_other_answer_shapes(gr, where, build):
    _blocked(_post, gr, build(f"key {SECRET}")[0])
    resp, read = build(f"to {MAIL}")
    assert read(_post(gr, resp)) == f"to {RED}"


def test_litellm_clean_answer_is_unchanged(gr):
    message = {
        "content": "Sure.",
        "reasoning_content": "The user wants a greeting.",
        "thinking_blocks": [
            {"type": "thinking", "thinking": "Greet them.", "signature": "sig"},
            {"type": "redacted_thinking", "data": "opaque"},
        ],
        "reasoning_items": [_reasoning_item("Plan: greet.")],
        "audio": _audio("Sure."),
        "tool_calls": [_call("get_weather", '{"city": "Paris"}')],
    }
    resp = _answer(**message)
    before = copy.deepcopy(resp.model_dump())
    assert _post(gr, resp).model_dump() == before


def _chunk(index=0, finish=None, **delta):
    from litellm.types.utils import ModelResponseStream

    return ModelResponseStream(choices=[{"index": index, "delta": delta, "finish_reason": finish}])


async def _aiter(items):
    for item in items:
        yield item


def _stream(gr, chunks):
    async def go():
        return [c async for c in gr.async_post_call_streaming_iterator_hook(None, _aiter(chunks), {})]

    return asyncio.run(go())


def _fields(out) -> dict[tuple[int, str], str]:
    """Each streamed text field of each choice, joined; and the order they first showed."""
    texts: dict[tuple[int, str], str] = {}
    for c in out:
        for ch in c.choices:
            d = ch.delta
            got = {
                "content": d.content,
                "reasoning_content": getattr(d, "reasoning_content", None),
                "refusal": getattr(d, "refusal", None),
                "thinking": "".join(
                    b.get("thinking") or "" for b in getattr(d, "thinking_blocks", None) or ()
                ),
                "transcript": (d.audio or {}).get("transcript"),
                "names": "".join(t.function.name or "" for t in d.tool_calls or ()),
            }
            for name, value in got.items():
                if value:
                    texts[(ch.index, name)] = texts.get((ch.index, name), "") + value
    return texts


def _pieces(text: str, n: int = 4) -> list[str]:
    step = -(-len(text) // n)
    return [text[i : i + step] for i in range(0, len(text), step)]


# one streamed field per row: the deltas that carry ``text`` in it
LL_STREAM: list[tuple[str, Any]] = [
    ("reasoning_content", lambda t: [_chunk(reasoning_content=p) for p in _pieces(t)]),
    ("refusal", lambda t: [_chunk(refusal=p) for p in _pieces(t)]),
    (
        "thinking",
        lambda t: [_chunk(thinking_blocks=[{"type": "thinking", "thinking": p}]) for p in _pieces(t)],
    ),
    ("transcript", lambda t: [_chunk(audio={"id": "a1", "transcript": p}) for p in _pieces(t)]),
]


@pytest.mark.parametrize(("field", "deltas"), LL_STREAM, ids=[f[0] for f in LL_STREAM])
def test_litellm_stream_fields_block_and_redact(gr, field, deltas):
    # the secret is split across deltas: only a guard over the whole field sees it
    _blocked(_stream, gr, [*deltas(f"the key is {SECRET} ok"), _chunk(finish="stop")])
    text = f"Write to {MAIL} about the order."
    out = _stream(gr, [*deltas(text), _chunk(content="Done."), _chunk(finish="stop")])
    assert _fields(out) == {(0, field): text.replace(MAIL, RED), (0, "content"): "Done."}
    assert MAIL not in repr(out) and out[-1].choices[0].finish_reason == "stop"


def test_litellm_stream_anthropic_thinking_is_checked_once_and_comes_first(gr, fake_guard):
    # LiteLLM's Anthropic stream: each thinking fragment twice (reasoning_content and a
    # thinking block), then a signature-only block, then the answer
    text = f"The user is {MAIL}; I should answer politely and briefly."
    chunks = [_chunk(role="assistant")]
    chunks += [
        _chunk(reasoning_content=p, thinking_blocks=[{"type": "thinking", "thinking": p}])
        for p in _pieces(text)
    ]
    chunks += [_chunk(thinking_blocks=[{"type": "thinking", "thinking": "", "signature": "SIG"}])]

    def answer():
        return [_chunk(content="Hello "), _chunk(content="there."), _chunk(finish="stop")]

    fake_guard.detectors[0].calls.clear()
    out = _stream(gr, chunks + answer())
    redacted = text.replace(MAIL, RED)
    assert _fields(out) == {
        (0, "reasoning_content"): redacted,
        (0, "thinking"): redacted,
        (0, "content"): "Hello there.",
    }
    # the reasoning is all out before the answer's first text
    first_content = next(i for i, c in enumerate(out) if c.choices[0].delta.content)
    last_reasoning = max(
        i for i, c in enumerate(out) if getattr(c.choices[0].delta, "reasoning_content", None)
    )
    assert last_reasoning <= first_content
    assert any(
        b.get("signature") == "SIG"
        for c in out
        for b in getattr(c.choices[0].delta, "thinking_blocks", None) or ()
    )
    # the thinking text went through one guard, not two: as many model passes read the
    # e-mail as for the same reasoning streamed without thinking blocks
    calls = fake_guard.detectors[0].calls
    twice = sum(MAIL in t for batch in calls for t in batch)
    calls.clear()
    _stream(gr, [_chunk(reasoning_content=p) for p in _pieces(text)] + answer())
    assert twice == sum(MAIL in t for batch in calls for t in batch) > 0


def test_litellm_stream_reasoning_guard_per_choice(gr):
    # two choices' reasoning interleaved: each choice's e-mail is split across its own deltas
    a, b = f"Choice A mails {MAIL} today. ", "Choice B mails alice@corp.example later. "
    chunks = []
    for pa, pb in zip(_pieces(a), _pieces(b), strict=True):
        chunks += [_chunk(0, reasoning_content=pa), _chunk(1, reasoning_content=pb)]
    out = _stream(gr, chunks)
    assert _fields(out) == {
        (0, "reasoning_content"): a.replace(MAIL, RED),
        (1, "reasoning_content"): b.replace("alice@corp.example", RED),
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["tool_calls", "function_call"])
def test_litellm_stream_call_names(gr, legacy):
    def deltas(name):
        if legacy:
            return [_chunk(function_call={"name": name, "arguments": "{}"}), _chunk(finish="function_call")]
        call = {"index": 0, "id": "c1", "type": "function", "function": {"name": name, "arguments": "{}"}}
        return [_chunk(tool_calls=[call]), _chunk(finish="tool_calls")]

    _blocked(_stream, gr, deltas(SECRET))
    out = _stream(gr, deltas(MAIL))
    if legacy:
        names = [c.choices[0].delta.function_call.name for c in out if c.choices[0].delta.function_call]
    else:
        names = [t.function.name for c in out for t in c.choices[0].delta.tool_calls or ()]
    assert names == [RED]


def test_litellm_clean_stream_is_unchanged(gr):
    reasoning, answer = "Think about the weather in Paris today.", "It is sunny."
    chunks = [_chunk(role="assistant")]
    chunks += [
        _chunk(reasoning_content=p, thinking_blocks=[{"type": "thinking", "thinking": p}])
        for p in _pieces(reasoning)
    ]
    chunks += [_chunk(refusal="No refusal needed."), _chunk(audio={"id": "a1", "transcript": "It is sunny."})]
    chunks += [_chunk(content=p) for p in _pieces(answer)]
    call = {
        "index": 0,
        "id": "c1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"c": 1}'},
    }
    chunks += [_chunk(tool_calls=[call]), _chunk(finish="tool_calls")]
    out = _stream(gr, chunks)
    assert _fields(out) == {
        (0, "reasoning_content"): reasoning,
        (0, "thinking"): reasoning,
        (0, "refusal"): "No refusal needed.",
        (0, "transcript"): "It is sunny.",
        (0, "content"): answer,
        (0, "names"): "get_weather",
    }


# -- LangChain ----------------------------------------------------------------------------


def _lc():
    pytest.importorskip("langchain_core")  # the langchain extra; in the CI install
    from bastion.integrations import langchain as lc
    from langchain_core import messages

    return lc, messages


LC_WHERE = [
    "thinking",
    "reasoning",
    "summary",
    "refusal block",
    "kwargs reasoning_content",
    "kwargs refusal",
    "kwargs reasoning summary",
    "tool_calls name",
    "invalid_tool_calls name",
    "kwargs tool_calls name",
    "kwargs function_call name",
    "tool_use name",
    "chunk name",
]


def _lc_message(where: str, value: str) -> Any:
    """An answer with ``value`` in the field ``where`` (one that guard_output reads besides text)."""
    _, m = _lc()
    raw_call = {"id": "c9", "type": "function", "function": {"name": value, "arguments": "{}"}}
    table = [
        ("thinking", m.AIMessage([{"type": "thinking", "thinking": value, "signature": "s"}, "ok"])),
        (
            "reasoning",
            m.AIMessage([{"type": "reasoning", "reasoning": value}, {"type": "text", "text": "ok"}]),
        ),
        (
            "summary",
            m.AIMessage(
                [{"type": "reasoning", "id": "r", "summary": [{"type": "summary_text", "text": value}]}]
            ),
        ),
        ("refusal block", m.AIMessage([{"type": "refusal", "refusal": value}])),
        ("kwargs reasoning_content", m.AIMessage("ok", additional_kwargs={"reasoning_content": value})),
        ("kwargs refusal", m.AIMessage("", additional_kwargs={"refusal": value})),
        (
            "kwargs reasoning summary",
            m.AIMessage(
                "ok",
                additional_kwargs={
                    "reasoning": {"id": "r", "summary": [{"type": "summary_text", "text": value}]}
                },
            ),
        ),
        ("tool_calls name", m.AIMessage("ok", tool_calls=[{"name": value, "args": {}, "id": "c1"}])),
        (
            "invalid_tool_calls name",
            m.AIMessage("ok", invalid_tool_calls=[{"name": value, "args": "{", "id": "c2", "error": "bad"}]),
        ),
        ("kwargs tool_calls name", m.AIMessage("ok", additional_kwargs={"tool_calls": [raw_call]})),
        (
            "kwargs function_call name",
            m.AIMessage("ok", additional_kwargs={"function_call": {"name": value, "arguments": "{}"}}),
        ),
        ("tool_use name", m.AIMessage([{"type": "tool_use", "id": "t1", "name": value, "input": {}}])),
        (
            "chunk name",
            m.AIMessageChunk(
                content="", tool_call_chunks=[{"name": value, "args": "{}", "id": "c3", "index": 0}]
            ),
        ),
    ]
    assert [w for w, _ in table] == LC_WHERE
    return dict(table)[where]


@pytest.mark.parametrize("where", LC_WHERE)
def test_langchain_answer_fields_block_and_redact(fake_guard, where):
    lc, _ = _lc()
    go = lc.guard_output(fake_guard)
    with pytest.raises(BlockedError):
        go.invoke(_lc_message(where, f"key {SECRET}"))
    original = _lc_message(where, f"to {MAIL}")
    out = go.invoke(original)
    dump = repr(out.model_dump())
    assert MAIL not in dump and f"to {RED}" in dump
    # the same shape: only the value changed
    assert repr(original.model_dump()).replace(MAIL, RED) == dump


@pytest.mark.parametrize("where", LC_WHERE)
def test_langchain_clean_answer_is_unchanged(fake_guard, where):
    lc, _ = _lc()
    original = _lc_message(where, "get_weather")
    before = copy.deepcopy(original.model_dump())
    out = lc.guard_output(fake_guard).invoke(original)
    assert type(out) is type(original) and out.model_dump() == before


def test_langchain_names_checked_once_per_answer(fake_guard):
    # a name repeated in tool_calls, the raw copy and a tool_use block: one model pass
    lc, m = _lc()
    raw = {"id": "c1", "type": "function", "function": {"name": "lookup_order", "arguments": "{}"}}
    msg = m.AIMessage(
        [{"type": "tool_use", "id": "c1", "name": "lookup_order", "input": {}}],
        tool_calls=[{"name": "lookup_order", "args": {}, "id": "c1"}],
        additional_kwargs={"tool_calls": [raw]},
    )
    fake_guard.detectors[0].calls.clear()
    lc.guard_output(fake_guard).invoke(msg)
    seen = [t for batch in fake_guard.detectors[0].calls for t in batch]
    assert seen.count("lookup_order") == 1
