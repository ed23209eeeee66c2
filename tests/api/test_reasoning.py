"""A reasoning model's thoughts: streamed, stored and shown apart from its answer, whether the
upstream sends them in a field of their own or as <think> tags in the text."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, reasoning_for, reply_for
from tests.api.completion_calls import complete
from tests.support.identity import header
from tests.support.raw_server import RawServer
from tests.support.sse import EventCollector

MODELS = (
    "fake-chat",
    "fake-chat+think",
    "fake-chat+think-tags",
    "fake-chat+think+delay-chunk-0.05",
)
ASK = [{"role": "user", "content": "two and two"}]


async def connect(api, up: FakeUpstream, kind: str) -> dict[str, str]:
    url = up.openai_url if kind == "openai" else up.ollama_url
    r = await api.as_("admin")("POST", "connections", {"kind": kind, "base_url": url})
    assert r.status == 201, r
    listed = (await api("GET", "models")).json()["items"]
    # Ollama names carry a tag: the listed id of each model, by its name here.
    return {m["id"].removesuffix(":latest"): m["id"] for m in listed}


def joined(events, name: str) -> str:
    return "".join(data["text"] for n, data in events if n == name)


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("openai", "fake-chat+think"),
        ("ollama", "fake-chat+think"),
        ("openai", "fake-chat+think-tags"),
    ],
)
async def test_the_reasoning_is_streamed_and_stored_apart(api, jp_fetch, kind, model):
    async with FakeUpstream(models=MODELS) as up:
        model = (await connect(api, up, kind))[model]
        r, events = await complete(jp_fetch, {"model": model, "content": "two and two"})
        names = [n for n, _ in events]
        assert r.code == 200 and names[-1] == "done"
        assert names.index("reasoning") < names.index("delta")
        assert joined(events, "reasoning") == reasoning_for(ASK)
        assert joined(events, "delta") == reply_for(ASK)

        chat_id = events[0][1]["chat_id"]
        answer = (await api("GET", f"chats/{chat_id}")).json()["messages"][1]
        assert answer["content"] == reply_for(ASK)
        assert answer["meta"]["reasoning"] == reasoning_for(ASK)
        assert isinstance(answer["meta"]["reasoning_ms"], int)

        # The title is named from the answer alone, whatever the title model thinks first.
        for _ in range(200):
            title = (await api("GET", f"chats/{chat_id}")).json()["title"]
            if title != "New Chat":
                break
            await asyncio.sleep(0.02)
        assert title == "Two and two"  # the fake model's title: the question's first words

        # The next question's context carries the answer, not the thoughts before it.
        await complete(jp_fetch, {"model": model, "chat_id": chat_id, "content": "and three"})
        asked = [r.body for r in up.requests if r.path in ("/v1/chat/completions", "/api/chat")]
        context = asked[-1]["messages"]
        assert [m["content"] for m in context] == ["two and two", reply_for(ASK), "and three"]


async def test_a_whole_answer_carries_its_reasoning(api, jp_fetch):
    async with FakeUpstream(models=MODELS) as up:
        await connect(api, up, "openai")
        body = {"model": "fake-chat+think", "content": "two and two", "stream": False}
        r, _ = await complete(jp_fetch, body)
        result = json.loads(r.body)
        assert (result["content"], result["reasoning"]) == (reply_for(ASK), reasoning_for(ASK))
        r, _ = await complete(jp_fetch, {**body, "model": "fake-chat"})
        assert json.loads(r.body)["reasoning"] is None


async def test_a_tab_that_attaches_mid_thought_gets_the_thoughts_so_far(api, jp_fetch, jp_ws_fetch):
    async with FakeUpstream(models=MODELS) as up:
        await connect(api, up, "openai")
        ws = await jp_ws_fetch("chat-ext", "api", "events", headers=header("alice"))
        first = EventCollector()
        body = {"model": "fake-chat+think+delay-chunk-0.05", "content": "two and two"}
        request = asyncio.ensure_future(complete(jp_fetch, body, collector=first))
        for _ in range(200):
            if "reasoning" in first.names():
                break
            await asyncio.sleep(0.01)
        message_id = first.events[0][1]["message_id"]
        attached = EventCollector()
        await jp_fetch(
            "chat-ext", "api", "chat", "completions", message_id, "stream",
            headers=header("alice"), streaming_callback=attached, request_timeout=30,
        )  # fmt: skip
        await request
        start = attached.events[0][1]
        assert start["reasoning"] and start["content"] == ""
        assert start["reasoning"] + joined(attached.events, "reasoning") == reasoning_for(ASK)
        assert joined(attached.events, "delta") == reply_for(ASK)

        # The user's other tabs follow the thoughts live too.
        thoughts = []
        while True:
            event = json.loads(await asyncio.wait_for(ws.read_message(), 5))
            if event["type"] == "message.reasoning" and event["data"]["id"] == message_id:
                thoughts.append(event["data"]["text"])
            if event["type"] == "message.updated" and event["data"]["id"] == message_id:
                break
        assert "".join(thoughts) == reasoning_for(ASK)
        assert event["data"]["meta"]["reasoning"] == reasoning_for(ASK)
        ws.close()


async def test_a_model_that_only_thinks_leaves_the_question_as_the_title(api, jp_fetch):
    thoughts = b'data: {"choices":[{"index":0,"delta":{"reasoning_content":"Hmm."}}]}\n\n'
    stop = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n'
    listing = b'{"object":"list","data":[{"id":"thinker","object":"model","owned_by":"x"}]}'
    bodies = {"/v1/models": listing, "/v1/chat/completions": thoughts + stop + b"data: [DONE]\n\n"}
    async with RawServer(bodies) as up:
        r = await api.as_("admin")(
            "POST", "connections", {"kind": "openai", "base_url": up.url + "/v1"}
        )
        assert r.status == 201, r
        body = {"model": "thinker", "content": "Plan a three day trip to Lisbon in May please"}
        _, events = await complete(jp_fetch, body)
        assert events[-1][0] == "done" and joined(events, "reasoning") == "Hmm."
        chat_id = events[0][1]["chat_id"]
        for _ in range(200):
            title = (await api("GET", f"chats/{chat_id}")).json()["title"]
            if title != "New Chat":
                break
            await asyncio.sleep(0.02)
        assert title == "Plan a three day trip to"


def sse(*deltas: dict) -> bytes:
    chunks = [{"choices": [{"index": 0, "delta": d}]} for d in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + (
        b"data: [DONE]\n\n"
    )


@asynccontextmanager
async def qwen_answering(api, deltas: list[dict]):
    """A connected server listing the model "qwen", which answers every question with
    ``deltas`` (as OpenAI's stream deltas)."""
    listing = b'{"object":"list","data":[{"id":"qwen","object":"model","owned_by":"x"}]}'
    bodies = {"/v1/models": listing, "/v1/chat/completions": sse(*deltas)}
    async with RawServer(bodies) as up:
        r = await api.as_("admin")(
            "POST", "connections", {"kind": "openai", "base_url": up.url + "/v1"}
        )
        assert r.status == 201, r
        yield up


@pytest.mark.parametrize(
    "deltas",
    [
        # Qwen3 and its kin with thinking turned off still open with an empty pair of tags.
        [{"content": "<think>\n\n</think>\n\n"}, {"content": "Hello"}],
        [{"content": c} for c in ("<think>", "\n", "\n</think>", "Hello")],
        [{"reasoning_content": "\n\n"}, {"content": "Hello"}],
    ],
)
async def test_an_empty_thought_is_no_reasoning(api, jp_fetch, deltas):
    async with qwen_answering(api, deltas):
        _, events = await complete(jp_fetch, {"model": "qwen", "content": "hi"})
        assert events[-1][0] == "done", events[-1]
        assert "reasoning" not in [n for n, _ in events]
        assert joined(events, "delta") == "Hello"
        chat_id = events[0][1]["chat_id"]
        answer = (await api("GET", f"chats/{chat_id}")).json()["messages"][1]
        assert answer["content"] == "Hello"
        assert "reasoning" not in answer["meta"] and "reasoning_ms" not in answer["meta"]


async def test_the_thoughts_start_with_their_first_word(api, jp_fetch):
    deltas = [{"content": "<think>\n"}, {"content": "\nLet me see.\n</think>\n\nFour."}]
    async with qwen_answering(api, deltas):
        _, events = await complete(jp_fetch, {"model": "qwen", "content": "hi"})
        assert joined(events, "reasoning") == "Let me see.\n"
        chat_id = events[0][1]["chat_id"]
        answer = (await api("GET", f"chats/{chat_id}")).json()["messages"][1]
        assert answer["meta"]["reasoning"] == "Let me see.\n"
