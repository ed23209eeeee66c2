"""The Ollama-compatible API, driven by the official `ollama` client, over Ollama connections
(bytes relayed) and OpenAI ones (translated into NDJSON)."""

from __future__ import annotations

import json

import httpx
import ollama
import pytest

from jupyter_chat_ext.proxy.translate import JSON_HINT
from jupyter_chat_ext.testing.upstream import FakeUpstream, embedding, reasoning_for, reply_for
from tests.api.proxy_clients import (
    ASK_WEATHER,
    HELLO,
    PIXEL,
    WEATHER_TOOL,
    connect,
    connect_url,
    ollama_root,
)
from tests.support.raw_server import RawServer


async def test_chat(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(model="fake-chat", messages=HELLO, stream=False)
        assert answer.message.content == reply_for(HELLO)
        assert answer.done and answer.done_reason == "stop"
        assert answer.model == "fake-chat" and answer.prompt_eval_count == 2

        parts = [p async for p in await client.chat(model="fake-chat", messages=HELLO, stream=True)]
        assert "".join(p.message.content for p in parts) == reply_for(HELLO)
        assert [p.done for p in parts][-2:] == [False, True]
        assert parts[-1].eval_count == 4
        # a bare name and its :latest tag are one model
        answer = await client.chat(model="fake-chat:latest", messages=HELLO)
        assert answer.message.content == reply_for(HELLO)


async def test_an_openai_upstreams_events_are_read_as_the_standard_says(api, ollama_for):
    """Several data lines to an event, comments, ids, CR or CRLF line ends: translated into
    Ollama's lines like any other stream."""
    model = "fake-chat+spread-sse"
    async with FakeUpstream(models=(model,), chunks=12) as up, ollama_for() as client:
        await connect(api, up)
        parts = [p async for p in await client.chat(model=model, messages=HELLO, stream=True)]
        assert "".join(p.message.content for p in parts) == reply_for(HELLO)
        assert parts[-1].done and parts[-1].eval_count == 4


async def test_durations_part_reading_the_prompt_from_writing_the_answer(api, ollama_for):
    """Until the first words, the model reads the prompt (prompt_eval_duration); after them,
    it writes (eval_duration), which is what clients divide eval_count by."""
    model = "fake-chat+delay-first-0.3+delay-chunk-0.1"
    async with FakeUpstream(models=(model,)) as up, ollama_for() as client:
        await connect(api, up)
        parts = [p async for p in await client.chat(model=model, messages=HELLO, stream=True)]
        whole = await client.generate(model=model, prompt="Hello there")
        for done in (parts[-1], whole):
            assert done.prompt_eval_duration >= 0.3e9 and done.eval_duration >= 0.25e9
            assert done.total_duration >= done.prompt_eval_duration + done.eval_duration


async def test_generate(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.generate(model="fake-chat", prompt="Hi you", system="Be brief")
        assert answer.response == reply_for([{"role": "user", "content": "Hi you"}])
        stream = await client.generate(model="fake-chat", prompt="Hi you", stream=True)
        assert "".join([p.response async for p in stream]) == answer.response
        loaded = await client.generate(model="fake-chat", prompt="")
        assert loaded.done and loaded.done_reason == "load"


async def test_fill_in_the_middle_and_raw_prompts_reach_an_openai_connection(api, ollama_for):
    """Ollama's suffix and raw prompts, for which OpenAI's chat has no place, are asked of an
    OpenAI-compatible server by OpenAI's legacy completions: no chat template between."""
    stops = ["<a>", "<b>", "<c>", "<d>", "<e>"]
    async with FakeUpstream(chunks=6) as up, ollama_for() as client:
        await connect(api, up)
        preset = {
            "id": "coder",
            "name": "Coder",
            "base_model": "fake-chat",
            "system_prompt": "Write Python.",
            "params": {"temperature": 0.2},
        }
        assert (await api("POST", "presets", preset)).status == 201
        options = {"num_predict": 50, "stop": stops}
        answer = await client.generate(
            model="coder", prompt="def f(", suffix="return 1", options=options
        )
        asked = "def f( ... return 1"  # how the test upstream reads a fill-in-the-middle
        assert answer.response == reply_for([{"role": "user", "content": asked}])
        assert answer.done_reason == "stop" and answer.eval_count > 0
        sent = up.requests[-1]
        assert sent.path == "/v1/completions"
        # The preset's sampling defaults come too; its system prompt is a chat's.
        assert sent.body == {
            "model": "fake-chat",
            "prompt": "def f(",
            "suffix": "return 1",
            "temperature": 0.2,
            "max_tokens": 50,
            "stop": stops[:4],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        stream = await client.generate(model="fake-chat", prompt="x = ", raw=True, stream=True)
        parts = [p async for p in stream]
        continued = reply_for([{"role": "user", "content": "x = "}])
        assert "".join(p.response for p in parts) == continued
        assert parts[-1].done and parts[-1].done_reason == "stop"
        assert up.requests[-1].body["prompt"] == "x = "
        # What a continuation, text alone, cannot give is refused by name.
        for extra, field in [({"format": "json"}, "format"), ({"images": [PIXEL]}, "images")]:
            with pytest.raises(ollama.ResponseError) as error:
                await client.generate(model="fake-chat", prompt="x", raw=True, **extra)
            assert error.value.status_code == 400 and f"'{field}'" in error.value.error


async def test_more_stop_strings_than_openai_takes_are_all_kept(api, ollama_for, kind):
    """Ollama takes any number of stop strings, OpenAI four: on an OpenAI connection the
    rest are kept here, and the answer ends before the first one written."""
    stops = ["<|a|>", "<|b|>", "<|c|>", "<|d|>", "<|e|>", "llo th"]
    before = reply_for(HELLO).split("llo th")[0]
    async with FakeUpstream(chunks=12) as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        options = {"stop": stops}
        answer = await client.chat(model="fake-chat", messages=HELLO, options=options)
        assert (answer.message.content, answer.done_reason) == (before, "stop")
        if kind == "openai":
            assert up.requests[-1].body["stop"] == stops[:4]
        chat = await client.chat(model="fake-chat", messages=HELLO, options=options, stream=True)
        parts = [p async for p in chat]
        assert "".join(p.message.content for p in parts) == before
        assert parts[-1].done and parts[-1].done_reason == "stop"
        generated = await client.generate(model="fake-chat", prompt="Hello there", options=options)
        assert generated.response == before


async def test_embed(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        result = await client.embed(model="fake-embed", input=["red fox", "blue"])
        assert len(result.embeddings) == 2
        assert result.embeddings[0] == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert up.requests[-1].path == ("/v1/embeddings" if kind == "openai" else "/api/embed")
        assert result.total_duration is not None and result.load_duration is not None
        for nothing in ("", []):
            assert (await client.embed(model="fake-embed", input=nothing)).embeddings == []


async def test_more_inputs_than_openai_embeds_at_once(api, ollama_for):
    """Ollama embeds any number of texts in one request (langchain-ollama sends a whole
    document set so); an OpenAI-compatible server takes 2,048 at most, so they go in batches."""
    texts = [f"text {i}" for i in range(4100)]
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up)
        result = await client.embed(model="fake-embed", input=texts)
        assert len(result.embeddings) == len(texts)
        for i in (0, 2047, 2048, 4099):
            assert result.embeddings[i] == pytest.approx(embedding(texts[i], 32), abs=1e-6)
        assert [len(r.body["input"]) for r in up.requests[-3:]] == [2048, 2048, 4]
        assert result.prompt_eval_count == 2 * len(texts)


async def test_the_older_embeddings_form(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        result = await client.embeddings(model="fake-embed", prompt="red fox")
        assert result.embedding == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert up.requests[-1].path == ("/v1/embeddings" if kind == "openai" else "/api/embeddings")
        assert (await client.embeddings(model="fake-embed", prompt="")).embedding == []
        with pytest.raises(ollama.ResponseError) as error:
            await client.embeddings(model="nope", prompt="red fox")
        assert error.value.status_code == 404


async def test_a_models_reasoning_comes_as_thinking(api, ollama_for, kind):
    """Relayed from an Ollama server; from an OpenAI-compatible one's reasoning_content,
    translated."""
    async with FakeUpstream(models=("fake-chat+think",)) as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(model="fake-chat+think", messages=HELLO)
        assert answer.message.thinking == reasoning_for(HELLO)
        assert answer.message.content == reply_for(HELLO)
        parts = [p async for p in await client.chat("fake-chat+think", HELLO, stream=True)]
        assert "".join(p.message.thinking or "" for p in parts) == reasoning_for(HELLO)
        assert "".join(p.message.content for p in parts) == reply_for(HELLO)
        if kind == "openai":  # an Ollama server is asked not to think; this one is not shown
            answer = await client.chat(model="fake-chat+think", messages=HELLO, think=False)
            assert answer.message.thinking is None
            assert answer.message.content == reply_for(HELLO)


async def test_tool_calls(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        for stream in (False, True):
            answer = await client.chat(
                model="fake-chat", messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=stream
            )
            if stream:
                parts = [p async for p in answer]
                calls = [c for p in parts for c in p.message.tool_calls or []]
            else:
                calls = answer.message.tool_calls
            assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
                ("get_weather", {"city": "Paris"})
            ]
        # the result goes back, paired with the call, and the model reports it
        history = [
            *ASK_WEATHER,
            {"role": "assistant", "content": "", "tool_calls": [c.model_dump() for c in calls]},
            {"role": "tool", "content": "Sunny"},
        ]
        answer = await client.chat(model="fake-chat", messages=history)
        assert answer.message.content == "Tool result: Sunny"
        if kind == "openai":
            sent = up.requests[-1].body["messages"]
            assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"]


TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ASK_BOTH = [
    {
        "role": "user",
        "content": 'call:get_weather({"city": "Paris"}) call:get_time({"city": "Paris"})',
    }
]


async def test_tool_calls_have_ids_and_each_result_goes_with_its_call(
    api, ollama_for, jp_http_port, jp_base_url
):
    """As Ollama gives them, each call has an id and its index; a result goes with the call
    of its tool_call_id, else of its tool_name, in whatever order the results come."""
    tools = [WEATHER_TOOL, TIME_TOOL]
    url = ollama_root(jp_http_port, jp_base_url) + "/api/chat"
    async with FakeUpstream() as up, ollama_for() as client, httpx.AsyncClient() as http:
        await connect(api, up)
        key = {"Authorization": client._client.headers["authorization"]}
        # Asked without the client, which keeps only a call's name and arguments.
        for stream in (False, True):
            body = {"model": "fake-chat", "messages": ASK_BOTH, "tools": tools, "stream": stream}
            r = await http.post(url, json=body, headers=key)
            lines = [json.loads(line) for line in r.text.splitlines()]
            calls = [c for line in lines for c in line["message"].get("tool_calls") or []]
            assert [(c["function"]["index"], c["function"]["name"]) for c in calls] == [
                (0, "get_weather"),
                (1, "get_time"),
            ]
            ids = [c["id"] for c in calls]
            assert all(ids) and len(set(ids)) == 2

        def paired() -> list[tuple[str, str]]:
            """(result, the tool of the call it went with) for each result sent upstream;
            each result's text is the name of the tool it answers."""
            sent = up.requests[-1].body["messages"]
            names = {c["id"]: c["function"]["name"] for c in sent[1]["tool_calls"]}
            return [(m["content"], names[m["tool_call_id"]]) for m in sent[2:]]

        called = {"role": "assistant", "content": "", "tool_calls": calls}
        by_name = [
            {"role": "tool", "content": "get_time", "tool_name": "get_time"},
            {"role": "tool", "content": "get_weather", "tool_name": "get_weather"},
        ]
        await client.chat(model="fake-chat", messages=[*ASK_BOTH, called, *by_name], tools=tools)
        assert paired() == [("get_time", "get_time"), ("get_weather", "get_weather")]
        by_id = [
            {"role": "tool", "content": "get_time", "tool_call_id": ids[1]},
            {"role": "tool", "content": "get_weather", "tool_call_id": ids[0]},
        ]
        body = {"model": "fake-chat", "messages": [*ASK_BOTH, called, *by_id], "tools": tools}
        assert (await http.post(url, json=body | {"stream": False}, headers=key)).status_code == 200
        assert paired() == [("get_time", "get_time"), ("get_weather", "get_weather")]


async def test_logprobs_reach_an_openai_upstream_and_come_back(api, ollama_for):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up)
        answer = await client.chat(
            model="fake-chat", messages=HELLO, logprobs=True, top_logprobs=2, stream=False
        )
        sent = up.requests[-1].body
        assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)
        assert "".join(lp.token for lp in answer.logprobs) == answer.message.content
        assert len(answer.logprobs[0].top_logprobs) == 2
        parts = [p async for p in await client.chat(
            model="fake-chat", messages=HELLO, logprobs=True, top_logprobs=1, stream=True
        )]  # fmt: skip
        with_text = [p for p in parts if p.message.content]
        assert with_text and all(p.logprobs[0].token == p.message.content for p in with_text)


async def test_options_images_and_format_translate_to_openai(api, ollama_for):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up)
        answer = await client.chat(
            model="fake-chat",
            messages=[{"role": "user", "content": "Look", "images": [PIXEL]}],
            options={"temperature": 0.2, "num_predict": 50, "seed": 3, "top_k": 4},
            format="json",
        )
        assert json.loads(answer.message.content) == {"reply": "You said: Look [1 image]"}
        sent = up.requests[-1].body
        assert (sent["temperature"], sent["max_tokens"], sent["seed"]) == (0.2, 50, 3)
        assert sent["response_format"] == {"type": "json_object"}
        assert sent["messages"][0] == {"role": "system", "content": JSON_HINT}
        assert sent["messages"][1]["content"][1] == {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{PIXEL}"},
        }
        # As in Ollama, num_predict 0 (like -1) sets no limit: no max_tokens of 0 goes upstream.
        for unlimited in (0, -1):
            await client.chat(model="fake-chat", messages=HELLO, options={"num_predict": unlimited})
            assert "max_tokens" not in up.requests[-1].body


async def test_json_format_asks_for_json_where_openai_wants_it_asked(api, ollama_for, kind):
    """OpenAI refuses JSON mode unless a message asks for JSON, which Ollama never needs."""
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(model="fake-chat", messages=HELLO, format="json")
        assert json.loads(answer.message.content) == {"reply": reply_for(HELLO)}
        sent = up.requests[-1].body["messages"]
        if kind == "ollama":
            assert sent == HELLO  # relayed as it is: Ollama needs no word
            return
        assert sent == [{"role": "system", "content": JSON_HINT}, *HELLO]
        # The caller's own system prompt keeps its place and is added to.
        brief = [{"role": "system", "content": "Be brief."}, *HELLO]
        await client.chat(model="fake-chat", messages=brief, format="json")
        sent = up.requests[-1].body["messages"]
        assert sent == [{"role": "system", "content": f"Be brief.\n\n{JSON_HINT}"}, *HELLO]
        # A request that asks already goes as it was written.
        asks = [{"role": "user", "content": "Three colours, as Json please"}]
        await client.chat(model="fake-chat", messages=asks, format="json")
        assert up.requests[-1].body["messages"] == asks
        answer = await client.generate(model="fake-chat", prompt="Hello there", format="json")
        assert json.loads(answer.response) == {"reply": reply_for(HELLO)}
        assert up.requests[-1].body["messages"][0] == {"role": "system", "content": JSON_HINT}
        # A schema is not JSON mode: OpenAI asks no word for it, and none is added.
        await client.chat(model="fake-chat", messages=HELLO, format={"type": "object"})
        assert up.requests[-1].body["messages"] == HELLO


async def test_what_ollama_reads_is_read_as_ollama_reads_it(api, ollama_for, kind):
    """Integer options written as floats (Ollama drops the fraction), think "max" and a role
    in capitals reach the model as Ollama would take them."""
    model = "fake-chat+think"
    async with FakeUpstream(models=(model,)) as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(
            model=model,
            messages=[{"role": "User", "content": HELLO[0]["content"]}],
            options={"num_predict": 50.0, "seed": 3.7, "top_k": 4.0},
            think="max",
        )
        assert answer.message.content == reply_for(HELLO)
        sent = up.requests[-1].body
        assert sent["messages"][0]["role"] == "user"
        if kind == "openai":
            limits = (sent["max_tokens"], sent["seed"], sent["reasoning_effort"])
            assert limits == (50, 3, "high") and all(type(n) is int for n in limits[:2])
        else:
            assert (sent["options"]["seed"], sent["think"]) == (3.7, "max")


async def test_ollama_bytes_pass_through_with_the_prefix_put_back(api, ollama_for):
    async with FakeUpstream(chunks=30) as up, ollama_for() as client:
        await connect(api, up, kind="ollama", prefix="local/")
        parts = [
            p async for p in await client.chat(model="local/fake-chat", messages=HELLO, stream=True)
        ]
        assert {p.model for p in parts} == {"local/fake-chat"}
        sent = up.requests[-1]
        assert sent.body["model"] == "fake-chat:latest" and sent.body["messages"] == HELLO
        assert "authorization" not in sent.headers and "cookie" not in sent.headers


async def test_a_presets_parameters_reach_an_openai_connection(api, ollama_for):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up)
        params = {"temperature": 0.2, "max_tokens": 40}
        params["options"] = {"reasoning_effort": "high", "logit_bias": {"50256": -100}}
        preset = {"id": "tuned", "name": "Tuned", "base_model": "fake-chat", "params": params}
        assert (await api("POST", "presets", preset | {"system_prompt": "Be tuned."})).status == 201
        await client.chat(model="tuned", messages=HELLO, options={"temperature": 0.5})
        sent = up.requests[-1].body
        assert sent["messages"][0] == {"role": "system", "content": "Be tuned."}
        assert (sent["temperature"], sent["max_tokens"]) == (0.5, 40)
        assert (sent["reasoning_effort"], sent["logit_bias"]) == ("high", {"50256": -100})
        # How hard to think, asked in Ollama's words.
        await client.chat(model="fake-chat", messages=HELLO, think="low")
        assert up.requests[-1].body["reasoning_effort"] == "low"
        await client.chat(model="fake-chat", messages=HELLO, think=True)
        assert "reasoning_effort" not in up.requests[-1].body


async def test_a_preset_becomes_ollama_options(api, ollama_for):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind="ollama")
        preset = {
            "id": "warm",
            "name": "Warm",
            "base_model": "fake-chat:latest",
            "system_prompt": "Be warm.",
            "params": {"temperature": 0.9, "max_tokens": 20},
        }
        assert (await api("POST", "presets", preset)).status == 201
        await client.chat(model="warm", messages=HELLO, options={"temperature": 0.5})
        sent = up.requests[-1].body
        assert sent["model"] == "fake-chat:latest"
        assert sent["messages"][0] == {"role": "system", "content": "Be warm."}
        assert sent["options"]["temperature"] == 0.5 and sent["options"]["num_predict"] == 20


# An Ollama server's tags, and its ps with what older or other servers leave out or mistype.
def _call_stream(arguments: object) -> bytes:
    call = {"index": 0, "id": "c1", "function": {"name": "get_weather", "arguments": arguments}}
    chunks = [
        {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_arguments_sent_as_an_object_are_read(api, ollama_for, stream):
    """Some OpenAI-compatible servers send a call's arguments as a JSON object rather than
    its text: the call still comes through, not a 500."""
    bodies = {
        "/v1/models": b'{"data": [{"id": "odd"}]}',
        "/v1/chat/completions": _call_stream({"city": "Paris"}) + b"data: [DONE]\n\n",
    }
    async with RawServer(bodies) as raw, ollama_for() as client:
        await connect_url(api, raw.url + "/v1")
        answer = await client.chat(
            model="odd", messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=stream
        )
        parts = [p async for p in answer] if stream else [answer]
        calls = [c for p in parts for c in p.message.tool_calls or []]
        assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"})
        ]


@pytest.mark.parametrize("stream", [False, True])
async def test_a_refusal_is_the_answers_text(api, ollama_for, stream):
    """An OpenAI model asked for a format (Ollama's format, OpenAI's structured outputs) may
    refuse, and streams why under "refusal" with no content: that is what it answered."""
    said = ["I'm sorry, ", "I cannot help with that."]
    chunks = [{"role": "assistant", "content": None, "refusal": None}]
    chunks += [{"content": None, "refusal": words} for words in said]
    events = [{"choices": [{"index": 0, "delta": c, "finish_reason": None}]} for c in chunks]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    stream_body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    bodies = {
        "/v1/models": b'{"data": [{"id": "strict"}]}',
        "/v1/chat/completions": stream_body + b"data: [DONE]\n\n",
    }
    types = {"/v1/chat/completions": "text/event-stream"}
    async with RawServer(bodies, content_types=types) as raw, ollama_for() as client:
        await connect_url(api, raw.url + "/v1")
        answer = await client.chat(
            model="strict", messages=HELLO, format={"type": "object"}, stream=stream
        )
        parts = [p async for p in answer] if stream else [answer]
        assert "".join(p.message.content for p in parts) == "".join(said)
        assert parts[-1].done and parts[-1].done_reason == "stop"


async def test_a_presets_think_and_keep_alive_are_request_fields(api, ollama_for, kind):
    """Ollama reads think and keep_alive beside its options, not among them; a request's
    own choice still comes first."""
    async with FakeUpstream(models=("fake-chat+think",)) as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        base = "fake-chat+think" if kind == "openai" else "fake-chat+think:latest"
        quiet = {"mirostat": 2, "think": False, "keep_alive": "5m"}
        preset = {"id": "quiet", "name": "Quiet", "base_model": base}
        preset |= {"params": {"temperature": 0.5, "options": quiet}}
        assert (await api("POST", "presets", preset)).status == 201
        answer = await client.chat(model="quiet", messages=HELLO)
        assert answer.message.thinking is None
        assert answer.message.content == reply_for(HELLO)
        if kind == "ollama":
            sent = up.requests[-1].body
            assert (sent["think"], sent["keep_alive"]) == (False, "5m")
            assert sent["options"] == {"temperature": 0.5, "mirostat": 2}
            await client.chat(model="quiet", messages=HELLO, think=True, keep_alive=0)
            sent = up.requests[-1].body
            assert (sent["think"], sent["keep_alive"]) == (True, 0)


async def test_embeddings_asked_of_a_preset_take_none_of_its_chat_parameters(api, ollama_for):
    """Its parameters were sent as options, and its system prompt beside the older API's
    prompt."""
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind="ollama")
        params = {"temperature": 0.2, "max_tokens": 9, "options": {"mirostat": 1}}
        preset = {"id": "emb", "name": "E", "base_model": "fake-embed:latest", "params": params}
        preset["system_prompt"] = "Be brief."
        assert (await api("POST", "presets", preset)).status == 201
        assert len((await client.embed(model="emb", input="x")).embeddings[0]) == 32
        sent = up.requests[-1].body
        assert (sent["model"], sent["input"], "options" in sent) == (
            "fake-embed:latest",
            "x",
            False,
        )
        assert len((await client.embeddings(model="emb", prompt="x")).embedding) == 32
        sent = up.requests[-1].body
        assert sent.keys() <= {"model", "prompt", "keep_alive"}, sent
