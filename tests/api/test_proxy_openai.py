"""The OpenAI-compatible API, driven by the official `openai` client: with an API key and with
a Jupyter token, over OpenAI connections (bytes relayed) and Ollama ones (translated)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import openai
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, embedding, reasoning_for, reply_for
from jupyter_chat_ext.testing.upstream.ollama_payloads import MODIFIED_AT
from jupyter_chat_ext.testing.upstream.openai_payloads import MODEL_CREATED
from tests.api.proxy_clients import ASK_WEATHER, HELLO, WEATHER_TOOL, assert_nothing_leaked, connect


@pytest.fixture
def chat_ext_config():
    # Short enough that a test left hanging fails soon; long enough for 2,048 embeddings
    # from the test upstream on a loaded machine (1.5 s was not).
    return {"upstream_timeout": 5.0}


@pytest.mark.parametrize("auth", ["key", "token"])
async def test_models_and_chat_over_an_openai_connection(api, client_for, auth):
    async with FakeUpstream() as up, client_for("new" if auth == "key" else None) as client:
        await connect(api, up)
        listed = await client.models.list()
        assert [m.id for m in listed.data] == ["fake-chat", "fake-embed"]
        assert await client.models.retrieve("fake-chat") == listed.data[0]
        with pytest.raises(openai.NotFoundError) as error:
            await client.models.retrieve("team/nope")
        assert error.value.code == "model_not_found" and "v1/models" in error.value.message

        answer = await client.chat.completions.create(model="fake-chat", messages=HELLO)
        assert answer.choices[0].message.content == reply_for(HELLO)
        assert answer.model == "fake-chat" and answer.usage.prompt_tokens == 2

        stream = await client.chat.completions.create(
            model="fake-chat",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces, usage = [], None
        async for chunk in stream:
            pieces += [c.delta.content or "" for c in chunk.choices]
            usage = chunk.usage or usage
        assert "".join(pieces) == reply_for(HELLO)
        assert usage is not None and usage.completion_tokens == 4
        secret = client.api_key if auth == "key" else "alice-token"
        assert_nothing_leaked(up, secret)


async def test_parameters_pass_through_unchanged(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        params = {
            "n": 2,
            "stop": ["zzz"],
            "seed": 7,
            "temperature": 0.3,
            "logprobs": True,
            "top_logprobs": 2,
            "response_format": {"type": "json_object"},
            "user": "someone",
        }
        # As OpenAI asks of JSON mode, a message says "JSON".
        asks = [{"role": "user", "content": "Hello there, in JSON"}]
        answer = await client.chat.completions.create(model="fake-chat", messages=asks, **params)
        assert len(answer.choices) == 2
        assert json.loads(answer.choices[0].message.content) == {"reply": reply_for(asks)}
        assert answer.choices[0].logprobs.content[0].top_logprobs
        sent = up.requests[-1].body
        assert sent.pop("stream", False) is False
        assert sent == {"model": "fake-chat", "messages": asks, **params}
        # Nothing is stored here, so a NUL (which the chat API refuses to store) goes on too.
        nul = [{"role": "user", "content": "a \x00 b"}]
        answer = await client.chat.completions.create(model="fake-chat", messages=nul)
        assert answer.choices[0].message.content == reply_for(nul)
        assert up.requests[-1].body["messages"] == nul


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls(api, client_for, stream):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        answer = await client.chat.completions.create(
            model="fake-chat", messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=stream
        )
        if stream:
            calls: dict[int, dict] = {}
            finish = None
            async for chunk in answer:
                for choice in chunk.choices:
                    finish = choice.finish_reason or finish
                    for call in choice.delta.tool_calls or []:
                        got = calls.setdefault(call.index, {"name": "", "arguments": ""})
                        got["name"] += call.function.name or ""
                        got["arguments"] += call.function.arguments or ""
            assert finish == "tool_calls"
            assert calls == {0: {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
        else:
            call = answer.choices[0].message.tool_calls[0]
            assert (call.function.name, json.loads(call.function.arguments)) == (
                "get_weather",
                {"city": "Paris"},
            )
        assert up.requests[-1].body["tools"] == [WEATHER_TOOL]


CUSTOM_TOOL = {"type": "custom", "custom": {"name": "run_sql", "description": "Run a query"}}
CUSTOM_CALLED = [
    {"role": "user", "content": "How many users?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "custom", "custom": {"name": "run_sql", "input": "SELECT 1"}}
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "1"},
]


async def test_custom_tools_reach_an_openai_connection(api, client_for):
    """OpenAI's custom tools (free-form input, no JSON schema) and their calls in the history
    go on to an OpenAI-compatible server; an Ollama model, which calls functions only, is
    refused with a 400 naming what it cannot take, before it is asked."""
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        await connect(api, up, kind="ollama", prefix="ol/")
        answer = await client.chat.completions.create(
            model="fake-chat", messages=CUSTOM_CALLED, tools=[CUSTOM_TOOL, WEATHER_TOOL]
        )
        assert answer.choices[0].message.content
        sent = up.requests[-1].body
        assert sent["tools"] == [CUSTOM_TOOL, WEATHER_TOOL] and sent["messages"] == CUSTOM_CALLED

        for messages, tools, param in (
            (HELLO, [WEATHER_TOOL, CUSTOM_TOOL], "tools"),
            (CUSTOM_CALLED, [WEATHER_TOOL], "messages"),
        ):
            with pytest.raises(openai.BadRequestError) as error:
                await client.chat.completions.create(
                    model="ol/fake-chat", messages=messages, tools=tools
                )
            assert error.value.param == param and "custom tool" in error.value.message.lower()
        assert not [r for r in up.requests if r.path == "/api/chat"]
        # Neither a function nor a custom tool is still refused by name.
        with pytest.raises(openai.BadRequestError) as error:
            await client.chat.completions.create(
                model="fake-chat", messages=HELLO, tools=[{"type": "custom"}]
            )
        assert error.value.param == "tools"


async def test_functions_the_older_form_of_tools(api, client_for):
    """``functions`` reach an OpenAI-compatible server as they are; an Ollama model, which
    takes tools only, refuses them by name instead of answering as if it had none."""
    function = WEATHER_TOOL["function"]
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        await connect(api, up, kind="ollama", prefix="ol/")
        await client.chat.completions.create(
            model="fake-chat", messages=ASK_WEATHER, functions=[function]
        )
        assert up.requests[-1].body["functions"] == [function]
        for stream in (False, True):
            with pytest.raises(openai.BadRequestError) as error:
                await client.chat.completions.create(
                    model="ol/fake-chat", messages=ASK_WEATHER, functions=[function], stream=stream
                )
            assert error.value.param == "functions" and "'tools'" in error.value.message
        assert not [r for r in up.requests if r.path == "/api/chat"]


async def test_embeddings(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        result = await client.embeddings.create(model="fake-embed", input=["red fox", "blue"])
        assert [d.index for d in result.data] == [0, 1]
        assert result.data[0].embedding == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert result.model == "fake-embed"
        # Refused as OpenAI refuses them, before any upstream is asked.
        asked = len(up.requests)
        too_many = ({"input": ["a"] * 2049}, "input"), ({"input": [[1, 2]] * 2049}, "input")
        for bad, param in (
            ({"input": ["a", ""]}, "input"),
            ({"dimensions": "8"}, "dimensions"),
            *too_many,
        ):
            with pytest.raises(openai.BadRequestError) as error:
                await client.embeddings.create(model="fake-embed", **{"input": "a", **bad})
            assert error.value.param == param
            assert error.value.body["type"] == "invalid_request_error"
        assert "2049 items; at most 2048" in error.value.message
        assert len(up.requests) == asked
        # As many as OpenAI takes are embedded.
        result = await client.embeddings.create(model="fake-embed", input=["a"] * 2048)
        assert len(result.data) == 2048


async def test_a_prefix_renames_the_model_in_every_chunk(api, client_for):
    async with FakeUpstream(chunks=40) as up, client_for() as client:
        await connect(api, up, prefix="team/")
        assert [m.id for m in (await client.models.list()).data] == [
            "team/fake-chat",
            "team/fake-embed",
        ]
        stream = await client.chat.completions.create(
            model="team/fake-chat", messages=HELLO, stream=True
        )
        models = {chunk.model async for chunk in stream}
        assert models == {"team/fake-chat"}
        assert up.requests[-1].body["model"] == "fake-chat"


async def test_events_in_any_shape_the_standard_allows_reach_the_client_whole(api, client_for):
    """An upstream whose events spread their JSON over several data lines, with comments,
    ids, events without data and CR or CRLF line ends: each is relayed as one event of one
    data line, renamed like any other."""
    model = "fake-chat+spread-sse"
    async with FakeUpstream(models=(model,), chunks=12) as up, client_for() as client:
        await connect(api, up, prefix="team/")
        stream = await client.chat.completions.create(
            model=f"team/{model}",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        text = "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices)
        assert text == reply_for(HELLO)
        assert {chunk.model for chunk in chunks} == {f"team/{model}"}
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


async def test_what_an_ollama_model_cannot_give_is_refused_the_rest_translated(api, client_for):
    async with FakeUpstream(models=("llama-fake", "embed-fake")) as up, client_for() as client:
        await connect(api, up, kind="ollama")
        for stream in (False, True):
            with pytest.raises(openai.BadRequestError) as error:
                await client.chat.completions.create(
                    model="llama-fake", messages=HELLO, n=2, stream=stream
                )
            assert error.value.param == "n"
        await client.chat.completions.create(model="llama-fake", messages=HELLO, stop="there")
        assert up.requests[-1].body["options"]["stop"] == ["there"]  # Ollama takes lists only
        # Ollama's own options go with them; anything but an object is named, not a 500.
        await client.chat.completions.create(
            model="llama-fake", messages=HELLO, extra_body={"options": {"num_ctx": 4096}}
        )
        assert up.requests[-1].body["options"]["num_ctx"] == 4096
        with pytest.raises(openai.BadRequestError) as error:
            await client.chat.completions.create(
                model="llama-fake", messages=HELLO, extra_body={"options": "num_ctx=4096"}
            )
        assert error.value.param == "options"

        image = "iVBORw0KGgo="
        look = [{"type": "text", "text": "Look"}, {"type": "image_url", "image_url": {}}]
        look[1]["image_url"]["url"] = f"data:image/png;base64,{image}"
        answer = await client.chat.completions.create(
            model="llama-fake", messages=[{"role": "user", "content": look}]
        )
        assert up.requests[-1].body["messages"][0]["images"] == [image]
        assert answer.choices[0].message.content.endswith("Look [1 image]")
        look[1]["image_url"]["url"] = "https://example.com/cat.png"
        with pytest.raises(openai.BadRequestError) as error:
            await client.chat.completions.create(
                model="llama-fake", messages=[{"role": "user", "content": look}]
            )
        assert "data: URLs" in error.value.message
        # Ollama's messages hold text and images: audio or a file would be lost without a word.
        for part in (
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_id": "file-1"}},
        ):
            with pytest.raises(openai.BadRequestError) as error:
                await client.chat.completions.create(
                    model="llama-fake", messages=[{"role": "user", "content": [look[0], part]}]
                )
            assert error.value.param == "messages" and part["type"] in error.value.message
        # An earlier answer's refusal is what that answer said.
        refused = [{"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]}]
        await client.chat.completions.create(model="llama-fake", messages=[*refused, *HELLO])
        assert up.requests[-1].body["messages"][0]["content"] == "No."

        answer = await client.chat.completions.create(
            model="llama-fake", messages=HELLO, logprobs=True, top_logprobs=2
        )
        sent = up.requests[-1].body
        assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)
        tokens = answer.choices[0].logprobs.content
        assert "".join(t.token for t in tokens) == answer.choices[0].message.content
        assert len(tokens[0].top_logprobs) == 2 and tokens[0].bytes
        stream = await client.chat.completions.create(
            model="llama-fake", messages=HELLO, logprobs=True, top_logprobs=1, stream=True
        )
        pieces = [(c.choices[0].delta.content, c.choices[0].logprobs) async for c in stream]
        with_text = [(text, lp) for text, lp in pieces if text]
        assert with_text and all(lp.content[0].token == text for text, lp in with_text)

        vectors = await client.embeddings.create(model="embed-fake", input="fox", dimensions=8)
        assert len(vectors.data[0].embedding) == 8 and up.requests[-1].body["dimensions"] == 8
        assert vectors.usage.prompt_tokens == vectors.usage.total_tokens > 0


async def test_an_ollama_connection_speaks_openai(api, client_for):
    async with FakeUpstream(models=("llama-fake", "embed-fake")) as up, client_for() as client:
        await connect(api, up, kind="ollama")
        listed = [m.id for m in (await client.models.list()).data]
        assert listed == ["llama-fake:latest", "embed-fake:latest"]

        answer = await client.chat.completions.create(model="llama-fake", messages=HELLO)
        assert answer.choices[0].message.content == reply_for(HELLO)
        assert answer.model == "llama-fake" and answer.usage.prompt_tokens == 2

        stream = await client.chat.completions.create(
            model="llama-fake:latest",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
            reply_for(HELLO)
        )
        assert chunks[0].choices[0].delta.role == "assistant"
        assert chunks[-1].usage.total_tokens > 0

        answer = await client.chat.completions.create(
            model="llama-fake", messages=ASK_WEATHER, tools=[WEATHER_TOOL]
        )
        call = answer.choices[0].message.tool_calls[0]
        assert answer.choices[0].finish_reason == "tool_calls"
        assert json.loads(call.function.arguments) == {"city": "Paris"}

        result = await client.embeddings.create(model="embed-fake", input="red fox")
        assert result.data[0].embedding == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert up.requests[-1].path == "/api/embed"


async def test_translated_answers_carry_the_fields_openai_sends(api, client_for):
    """What OpenAI always sends, filled with what is known and null for what is not; nothing
    made up."""
    async with (
        FakeUpstream(models=("llama-fake", "llama-fake+think")) as up,
        client_for() as client,
    ):
        await connect(api, up, kind="ollama")
        for model, reasoned in (("llama-fake", False), ("llama-fake+think", True)):
            answer = await client.chat.completions.create(model=model, messages=HELLO)
            assert (
                answer.system_fingerprint is None
                and "system_fingerprint" in answer.model_fields_set
            )
            (choice,) = answer.choices
            assert choice.logprobs is None and "logprobs" in choice.model_fields_set
            assert choice.message.refusal is None and "refusal" in choice.message.model_fields_set
            # Ollama may have read the prompt from its cache, and does not say how much.
            assert answer.usage.prompt_tokens_details.model_dump(exclude_none=True) == {
                "audio_tokens": 0
            }
            completion = answer.usage.completion_tokens_details.model_dump(exclude_none=True)
            # How much of the answer was reasoning is not told; no reasoning is 0 of it.
            assert completion == {
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
                **({} if reasoned else {"reasoning_tokens": 0}),
            }

            stream = await client.chat.completions.create(
                model=model, messages=HELLO, stream=True, stream_options={"include_usage": True}
            )
            chunks = [c async for c in stream]
            assert all("system_fingerprint" in c.model_fields_set for c in chunks)
            first = chunks[0].choices[0]
            assert (first.delta.role, first.delta.content, first.delta.refusal) == (
                "assistant",
                "",
                None,
            )
            assert "refusal" in first.delta.model_fields_set
            assert all("logprobs" in c.choices[0].model_fields_set for c in chunks if c.choices)
            usage = chunks[-1].usage
            assert usage.completion_tokens_details.model_dump(exclude_none=True) == completion


async def test_models_are_listed_with_when_they_were_made(api, client_for):
    async with FakeUpstream(models=("llama-fake",)) as up, client_for() as client:
        await connect(api, up, kind="ollama")
        await connect(api, up, prefix="oa/")
        preset = {"id": "p", "name": "P", "base_model": "oa/llama-fake"}
        made = (await api("POST", "presets", preset)).json()["created_at"]
        listed = {m.id: m.created for m in (await client.models.list()).data}
        assert listed == {
            "llama-fake:latest": int(datetime.fromisoformat(MODIFIED_AT).timestamp()),
            "oa/llama-fake": MODEL_CREATED,
            "p": int(datetime.fromisoformat(made).timestamp()),
        }
        assert (await client.models.retrieve("p")).created == listed["p"]
        rest = (await api("GET", "models")).json()["items"]
        assert {m["id"]: m["created"] for m in rest} == listed


@pytest.mark.parametrize("kind", ["openai", "ollama"])
async def test_a_models_reasoning_comes_as_reasoning_content(api, client_for, kind):
    """Relayed from an OpenAI-compatible server; from Ollama's thinking, translated."""
    async with FakeUpstream(models=("fake-chat+think",)) as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat.completions.create(model="fake-chat+think", messages=HELLO)
        message = answer.choices[0].message
        assert message.content == reply_for(HELLO)
        assert message.reasoning_content == reasoning_for(HELLO)
        stream = await client.chat.completions.create(
            model="fake-chat+think", messages=HELLO, stream=True
        )
        deltas = [c.choices[0].delta async for c in stream if c.choices]
        thoughts = [d.reasoning_content for d in deltas if getattr(d, "reasoning_content", None)]
        assert "".join(thoughts) == reasoning_for(HELLO)
        assert "".join(d.content or "" for d in deltas) == reply_for(HELLO)


async def test_openai_only_terms_are_said_in_ollamas(api, client_for):
    async with FakeUpstream(models=("llama-fake",)) as up, client_for() as client:
        await connect(api, up, kind="ollama")
        brief = [{"role": "developer", "content": "Be brief."}, *ASK_WEATHER]
        answer = await client.chat.completions.create(
            model="llama-fake", messages=brief, tools=[WEATHER_TOOL], tool_choice="none"
        )
        sent = up.requests[-1].body
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
        assert "tools" not in sent and "tool_choice" not in sent
        assert answer.choices[0].message.tool_calls is None
        answer = await client.chat.completions.create(
            model="llama-fake", messages=brief, tools=[WEATHER_TOOL], tool_choice="required"
        )
        assert up.requests[-1].body["tools"] == [WEATHER_TOOL]
        assert answer.choices[0].finish_reason == "tool_calls"
        # Ollama gives its calls no ids: each one made here is new, as OpenAI's are, so a
        # conversation's later results never answer an earlier call by mistake.
        again = await client.chat.completions.create(
            model="llama-fake", messages=brief, tools=[WEATHER_TOOL], tool_choice="required"
        )
        first, second = (
            answer.choices[0].message.tool_calls[0],
            again.choices[0].message.tool_calls[0],
        )
        assert first.id.startswith("call_") and first.id != second.id
        # A result names its tool, which Ollama pairs results with, as its own OpenAI API does.
        results = [
            {"role": "tool", "tool_call_id": call.id, "content": "Sunny"}
            for call in (first, second)
        ]
        results[1]["name"] = "get_time"
        await client.chat.completions.create(
            model="llama-fake",
            messages=[*brief, answer.choices[0].message, *results],
            tools=[WEATHER_TOOL],
        )
        sent = up.requests[-1].body["messages"]
        assert [m.get("tool_name") for m in sent[-2:]] == ["get_weather", "get_time"]
        # OpenAI's older forms: a call as "function_call", its result as a "function"
        # message; and a tool that does not say it is a function.
        weather = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
        legacy = [
            *brief,
            {"role": "assistant", "content": None, "function_call": weather},
            {"role": "function", "name": "get_weather", "content": "Sunny"},
        ]
        untyped = {"function": WEATHER_TOOL["function"]}
        await client.chat.completions.create(model="llama-fake", messages=legacy, tools=[untyped])
        sent = up.requests[-1].body
        called = {"name": "get_weather", "arguments": {"city": "Paris"}}
        assert sent["messages"][-2]["tool_calls"] == [{"function": called}]
        result = {"role": "tool", "content": "Sunny", "tool_name": "get_weather"}
        assert sent["messages"][-1] == result
        assert sent["tools"] == [WEATHER_TOOL]
        with pytest.raises(openai.BadRequestError) as error:
            await client.embeddings.create(model="llama-fake", input="x", encoding_format="int8")
        assert error.value.param == "encoding_format"
        await client.chat.completions.create(
            model="llama-fake", messages=HELLO, reasoning_effort="none"
        )
        assert up.requests[-1].body["think"] is False
        await client.chat.completions.create(
            model="llama-fake", messages=HELLO, reasoning_effort="high"
        )
        assert up.requests[-1].body["think"] is True
        # Found as chat completions find it, with or without Ollama's ":latest".
        listed = [m.id async for m in client.models.list()]
        assert "llama-fake:latest" in listed and "llama-fake" not in listed
        assert (await client.models.retrieve("llama-fake")).id == "llama-fake:latest"
        # OpenAI's current name wins over the older one, whichever comes last.
        await client.chat.completions.create(
            model="llama-fake", messages=HELLO, max_completion_tokens=1, max_tokens=3
        )
        assert up.requests[-1].body["options"]["num_predict"] == 1


async def test_a_client_that_leaves_cancels_the_upstream(api, client_for):
    async with FakeUpstream(chunks=200) as up, client_for() as client:
        await connect(api, up)
        # Mid-stream: the client reads a little, then goes.
        up.set_faults(chunk_delay=0.05)
        stream = await client.chat.completions.create(
            model="fake-chat", messages=HELLO, stream=True
        )
        async for _ in stream:
            break
        await stream.close()
        gone = await up.wait_for_disconnects(1, within=1.0)
        assert gone[0].path == "/v1/chat/completions"

        # Before any answer: the upstream hangs, the client gives up.
        up.reset()
        up.set_faults(hang=True)
        for stream in (True, False):
            with pytest.raises(openai.APITimeoutError):
                await client.chat.completions.create(
                    model="fake-chat", messages=HELLO, stream=stream, timeout=0.3
                )
        await up.wait_for_disconnects(2, within=1.0)


async def test_keys_are_never_logged(api, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        await client.chat.completions.create(model="fake-chat", messages=HELLO)
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(model="nope", messages=HELLO)
        key = client.api_key
    revoked = openai.AsyncOpenAI(base_url=str(client.base_url), api_key=key + "x", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await revoked.models.list()
    for record in caplog.records:
        assert key not in record.getMessage()


async def test_a_preset_adds_its_system_prompt_and_defaults(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        preset = {
            "id": "terse",
            "name": "Terse",
            "base_model": "fake-chat",
            "system_prompt": "Be terse.",
            "params": {"temperature": 0.1, "seed": 5, "max_tokens": 50},
        }
        assert (await api("POST", "presets", preset)).status == 201
        assert "terse" in [m.id for m in (await client.models.list()).data]
        await client.chat.completions.create(model="terse", messages=HELLO, seed=9)
        sent = up.requests[-1].body
        assert sent["model"] == "fake-chat"
        assert sent["messages"] == [{"role": "system", "content": "Be terse."}, *HELLO]
        assert (sent["temperature"], sent["seed"]) == (0.1, 9)
        # The request's limit, under OpenAI's newer name, replaces the preset's older one:
        # OpenAI refuses a request that sets both.
        answer = await client.chat.completions.create(
            model="terse", messages=HELLO, max_completion_tokens=1
        )
        assert answer.choices[0].finish_reason == "length"
        sent = up.requests[-1].body
        assert (sent["max_completion_tokens"], "max_tokens" in sent) == (1, False)
        # The caller's own instructions replace the preset's, under either of OpenAI's names.
        for role in ("system", "developer"):
            own = [{"role": role, "content": "Be kind."}, *HELLO]
            await client.chat.completions.create(model="terse", messages=own)
            assert up.requests[-1].body["messages"] == own
        # a private preset is its owner's alone
        async with client_for(user="bob") as bob, client_for(key=None, user="bob") as bob2:
            for other in (bob, bob2):
                with pytest.raises(openai.NotFoundError):
                    await other.chat.completions.create(model="terse", messages=HELLO)


async def test_embeddings_asked_of_a_preset_take_none_of_its_chat_parameters(api, client_for):
    """Its temperature, limit and options were sent with the input, which OpenAI refuses."""
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        params = {"temperature": 0.2, "max_tokens": 9, "options": {"mirostat": 1}}
        preset = {"id": "emb", "name": "E", "base_model": "fake-embed", "params": params}
        preset["system_prompt"] = "Be brief."
        assert (await api("POST", "presets", preset)).status == 201
        answer = await client.embeddings.create(model="emb", input="x", encoding_format="float")
        assert answer.model == "emb" and len(answer.data[0].embedding) == 32
        sent = up.requests[-1].body
        assert sent == {"model": "fake-embed", "input": "x", "encoding_format": "float"}, sent
