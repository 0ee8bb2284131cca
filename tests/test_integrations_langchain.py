"""LangChain Runnables: earlier assistant turns in the input, every copy of the tool-call
arguments in the output, list content, streams. Real langchain-core, fake detectors."""

from __future__ import annotations

import json

import pytest
from bastion.errors import BlockedError

pytest.importorskip("langchain_core")  # the langchain extra; in the CI install

from bastion.integrations import langchain as lc  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, ChatMessage, HumanMessage  # noqa: E402
from langchain_core.messages.tool import tool_call_chunk  # noqa: E402
from langchain_core.runnables import RunnableGenerator  # noqa: E402

SECRET = "sk-abcdefghijklmnop1234"  # FakePII's API_KEY: blocks as output
MAIL = "bob@corp.example"
RED = "[REDACTED_EMAIL_ADDRESS]"


def _out(guard, message):
    return lc.guard_output(guard).invoke(message)


# -- H1: earlier assistant turns going back to the model ------------------------------------------


def test_input_redacts_earlier_assistant_turns(fake_guard):
    raw = {
        "id": "c1",
        "type": "function",
        "function": {"name": "send", "arguments": json.dumps({"to": MAIL})},
    }
    turns = [
        HumanMessage("hi"),
        AIMessage(
            f"Your mail {MAIL} is on file",
            tool_calls=[{"name": "send", "args": {"to": MAIL, "n": 2}, "id": "c1"}],
            invalid_tool_calls=[{"name": "f", "args": '{"to": ' + MAIL, "id": "c2", "error": "bad"}],
            additional_kwargs={"tool_calls": [raw]},
        ),
        ChatMessage(role="assistant", content=f"noted {MAIL}"),
        AIMessage(
            [
                {"type": "text", "text": f"mailing {MAIL}"},
                {"type": "tool_use", "id": "t1", "name": "send", "input": {"to": [MAIL]}},
            ]
        ),
        HumanMessage("thanks"),
    ]
    out = lc.guard_input(fake_guard).invoke(turns)
    assert out[1].content == f"Your mail {RED} is on file"
    assert out[1].tool_calls[0]["args"] == {"to": RED, "n": 2}
    assert out[1].invalid_tool_calls[0]["args"] == '{"to": ' + RED
    assert json.loads(out[1].additional_kwargs["tool_calls"][0]["function"]["arguments"]) == {
        "to": RED,
        "n": 2,
    }
    assert out[2].content == f"noted {RED}"
    assert out[3].content == [
        {"type": "text", "text": f"mailing {RED}"},
        {"type": "tool_use", "id": "t1", "name": "send", "input": {"to": [RED]}},
    ]
    assert MAIL not in repr(out)
    assert turns[1].content == f"Your mail {MAIL} is on file"  # the caller's messages are not changed


def test_input_redacts_a_summed_stream_kept_in_the_history(fake_guard):
    # s31 verify R3: an AIMessageChunk (what summing streamed chunks gives) was read as a
    # user turn: its tool-call arguments went on raw and its content got their JSON appended
    chunk = AIMessageChunk(
        content=f"sending to {MAIL}",
        tool_call_chunks=[tool_call_chunk(name="send", args=json.dumps({"to": MAIL}), id="c1", index=0)],
    )
    out = lc.guard_input(fake_guard).invoke([HumanMessage("hi"), chunk, HumanMessage("ok")])
    assert out[1].content == f"sending to {RED}" and out[1].tool_calls[0]["args"] == {"to": RED}
    assert MAIL not in repr(out)


def test_input_checks_every_copy_of_earlier_tool_calls(fake_guard):
    """A secret the model once sent to a tool blocks, wherever the call is kept."""
    raw = {"id": "r1", "type": "function", "function": {"name": "f", "arguments": json.dumps({"k": SECRET})}}
    for ai in (
        AIMessage("", additional_kwargs={"tool_calls": [raw]}),
        AIMessage(
            "", additional_kwargs={"function_call": {"name": "f", "arguments": json.dumps({"k": SECRET})}}
        ),
        AIMessage(
            "", invalid_tool_calls=[{"name": "f", "args": '{"k": "' + SECRET, "id": "i", "error": None}]
        ),
    ):
        with pytest.raises(BlockedError):
            lc.guard_input(fake_guard).invoke([HumanMessage("hi"), ai])


def test_input_model_sees_redacted_assistant_turn(fake_guard):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.runnables import RunnableLambda

    seen = []

    def spy(messages):
        seen.append(messages)
        return messages

    chain = lc.guard_input(fake_guard) | RunnableLambda(spy) | FakeListChatModel(responses=["ok"])
    chain.invoke([HumanMessage("hi"), AIMessage(f"write to {MAIL}"), HumanMessage("done")])
    assert seen[0][1].content == f"write to {RED}"


# -- H5: no unchecked copy of the tool-call arguments in the answer -------------------------------


def test_output_checks_invalid_tool_calls(fake_guard):
    bad = '{"key": "' + SECRET + '", to: ' + MAIL
    with pytest.raises(BlockedError):
        _out(
            fake_guard,
            AIMessage("", invalid_tool_calls=[{"name": "f", "id": "c1", "error": "json", "args": bad}]),
        )
    out = _out(
        fake_guard,
        AIMessage("", invalid_tool_calls=[{"name": "f", "id": "c1", "error": "x", "args": "to: " + MAIL}]),
    )
    assert out.invalid_tool_calls[0]["args"] == "to: " + RED


def test_output_rewrites_additional_kwargs_copies(fake_guard):
    args = {"to": MAIL, "body": "call 555-0134"}
    raw = {"id": "c1", "type": "function", "function": {"name": "send", "arguments": json.dumps(args)}}
    out = _out(
        fake_guard,
        AIMessage(
            "",
            tool_calls=[{"name": "send", "args": args, "id": "c1"}],
            additional_kwargs={
                "tool_calls": [raw],
                "function_call": {"name": "g", "arguments": f'{{"cc": "{MAIL}"}}'},
            },
        ),
    )
    assert out.tool_calls[0]["args"] == {"to": RED, "body": "call [REDACTED_PHONE_NUMBER]"}
    assert (
        json.loads(out.additional_kwargs["tool_calls"][0]["function"]["arguments"])
        == out.tool_calls[0]["args"]
    )
    assert out.additional_kwargs["tool_calls"][0]["id"] == "c1"
    assert json.loads(out.additional_kwargs["function_call"]["arguments"]) == {"cc": RED}
    assert MAIL not in repr(out) and "555-0134" not in repr(out)
    # a raw copy that is the only copy (no parsed tool_calls) is checked on its own
    leak = {"id": "x", "type": "function", "function": {"name": "f", "arguments": json.dumps({"k": SECRET})}}
    with pytest.raises(BlockedError):
        _out(fake_guard, AIMessage("", additional_kwargs={"tool_calls": [leak]}))
    with pytest.raises(BlockedError):
        _out(
            fake_guard, AIMessage("", additional_kwargs={"function_call": {"name": "f", "arguments": SECRET}})
        )


def _gen(chunks):
    def gen(_input):
        yield from chunks

    return RunnableGenerator(gen)


def test_output_stream_chunks_keep_the_redaction(fake_guard):
    chunks = [
        AIMessageChunk(
            content="sending",
            tool_call_chunks=[tool_call_chunk(name="send", args='{"to": "bob@cor', id="c1", index=0)],
        ),
        AIMessageChunk(
            content="",
            tool_call_chunks=[tool_call_chunk(name=None, args='p.example", "n": 1}', id=None, index=0)],
        ),
        AIMessageChunk(
            content="",
            tool_call_chunks=[tool_call_chunk(name="g", args="not json " + MAIL, id="c2", index=1)],
        ),
    ]
    got = list((_gen(chunks) | lc.guard_output(fake_guard)).stream("hi"))
    assert len(got) == 1  # guard_output collects the stream (documented)
    out = got[0]
    assert isinstance(out, AIMessageChunk)
    assert out.tool_calls[0]["args"] == {"to": RED, "n": 1}
    assert [json.loads(c["args"]) for c in out.tool_call_chunks[:1]] == [{"to": RED, "n": 1}]
    assert [c["index"] for c in out.tool_call_chunks] == [0, 1]
    assert out.invalid_tool_calls[0]["args"] == "not json " + RED
    # LangChain re-derives tool_calls from tool_call_chunks when chunks are added
    added = out + AIMessageChunk(content="")
    assert added.tool_calls[0]["args"] == {"to": RED, "n": 1}
    assert added.invalid_tool_calls[0]["args"] == "not json " + RED
    assert MAIL not in repr(added) and "bob@cor" not in repr(added)


def test_output_stream_secret_in_split_tool_call_blocks(fake_guard):
    chunks = [
        AIMessageChunk(
            content="",
            tool_call_chunks=[tool_call_chunk(name="f", args='{"k": "sk-abcdefgh', id="c1", index=0)],
        ),
        AIMessageChunk(
            content="", tool_call_chunks=[tool_call_chunk(name=None, args='ijklmnop1234"}', id=None, index=0)]
        ),
    ]
    with pytest.raises(BlockedError):
        list((_gen(chunks) | lc.guard_output(fake_guard)).stream("hi"))


def test_output_stream_function_call_from_fake_model(fake_guard):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    answer = AIMessage(
        "", additional_kwargs={"function_call": {"name": "f", "arguments": f'{{"k": "{SECRET}", "x": 1}}'}}
    )
    chain = GenericFakeChatModel(messages=iter([answer])) | lc.guard_output(fake_guard)
    with pytest.raises(BlockedError):
        list(chain.stream("hi"))


# -- M4: list content stays a list ----------------------------------------------------------------


def test_output_list_content_keeps_blocks(fake_guard):
    thinking = {"type": "thinking", "thinking": "the user wants mail", "signature": "abc=="}
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
    ai = AIMessage(
        content=[
            thinking,
            {"type": "text", "text": f"Sending to {MAIL}"},
            image,
            {"type": "tool_use", "id": "t1", "name": "send", "input": {"to": MAIL, "cc": [MAIL], "n": 3}},
        ],
        tool_calls=[{"name": "send", "args": {"to": MAIL, "cc": [MAIL], "n": 3}, "id": "t1"}],
    )
    out = _out(fake_guard, ai)
    assert out.content == [
        thinking,
        {"type": "text", "text": f"Sending to {RED}"},
        image,
        {"type": "tool_use", "id": "t1", "name": "send", "input": {"to": RED, "cc": [RED], "n": 3}},
    ]
    assert out.tool_calls[0]["args"] == {"to": RED, "cc": [RED], "n": 3}


def test_output_list_content_blocks(fake_guard):
    with pytest.raises(BlockedError):  # a secret in a tool_use block's arguments
        _out(fake_guard, AIMessage([{"type": "tool_use", "id": "t", "name": "f", "input": {"k": SECRET}}]))
    with pytest.raises(BlockedError):  # ...in a streamed tool_use block's partial JSON
        _out(
            fake_guard,
            AIMessage(
                [
                    {
                        "type": "tool_use",
                        "id": "t",
                        "name": "f",
                        "input": {},
                        "partial_json": f'{{"k": "{SECRET}"}}',
                    }
                ]
            ),
        )
    with pytest.raises(BlockedError):  # ...split across two text blocks
        _out(
            fake_guard,
            AIMessage(
                [{"type": "text", "text": "key sk-abcdefgh"}, {"type": "text", "text": "ijklmnop1234 ok"}]
            ),
        )
    out = _out(fake_guard, AIMessage(["plain " + MAIL, {"type": "text", "text": "fine"}]))
    assert out.content == ["plain " + RED, {"type": "text", "text": "fine"}]


# -- L3: the stream is collected, and the docs say so ---------------------------------------------


def test_stream_collection_is_documented():
    doc = " ".join(lc.__doc__.split())
    assert "chain.stream()" in doc and "collects" in doc
