"""OpenAI's Responses API (``/v1/responses``) through chat-ext, driven by the official `openai`
client: answered as a chat by every kind of connection, streamed or not, with function calls,
reasoning, presets, bad requests and upstream failures."""

from __future__ import annotations

import json

import openai
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, reasoning_for, reply_for
from tests.api.proxy_clients import ASK_WEATHER, HELLO, connect

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
def chat_ext_config():
    return {"upstream_timeout": 5.0}


async def test_a_response_streamed_or_not(api, client_for, kind):
    async with FakeUpstream(chunks=5) as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.responses.create(
            model="fake-chat",
            input="Hello there",
            instructions="Be brief.",
            temperature=0.3,
            max_output_tokens=40,
        )
        assert answer.object == "response" and answer.status == "completed"
        assert answer.output_text == reply_for(HELLO) and answer.model == "fake-chat"
        [item] = answer.output
        assert (item.type, item.role, item.status) == ("message", "assistant", "completed")
        assert answer.usage.input_tokens > 0 and answer.usage.output_tokens == 4
        sent = up.requests[-1].body
        chat = [{"role": "system", "content": "Be brief."}, *HELLO]
        if kind == "openai":
            assert sent["messages"] == chat and sent["temperature"] == 0.3
            assert sent["max_completion_tokens"] == 40
        else:
            assert sent["messages"] == chat and sent["options"]["num_predict"] == 40

        stream = await client.responses.create(model="fake-chat", input=HELLO, stream=True)
        events = [event async for event in stream]
        kinds = [e.type for e in events]
        assert kinds[:4] == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
        ]
        assert kinds[-4:] == [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
        assert len(deltas) == 5 and "".join(deltas) == reply_for(HELLO)
        assert [e.sequence_number for e in events] == list(range(len(events)))
        assert events[-1].response.output_text == reply_for(HELLO)


async def test_function_calls_and_their_outputs(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.responses.create(
            model="fake-chat", input=ASK_WEATHER, tools=[WEATHER], tool_choice="auto"
        )
        [call] = answer.output
        assert (call.type, call.name, json.loads(call.arguments)) == (
            "function_call",
            "get_weather",
            {"city": "Paris"},
        )
        tool = up.requests[-1].body["tools"][0]
        assert tool["function"]["name"] == "get_weather"
        # The call and its output go back as the conversation so far.
        follow = [
            *ASK_WEATHER,
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "get_weather",
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny"},
        ]
        again = await client.responses.create(model="fake-chat", input=follow, tools=[WEATHER])
        assert again.output_text
        messages = up.requests[-1].body["messages"]
        assert messages[1]["role"] == "assistant"
        assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert messages[2]["role"] == "tool" and messages[2]["content"] == "Sunny"

        async with client.responses.stream(
            model="fake-chat", input=ASK_WEATHER, tools=[WEATHER]
        ) as stream:
            pieces = [e.delta async for e in stream if e.type.endswith("arguments.delta")]
            final = await stream.get_final_response()
        assert json.loads("".join(pieces)) == {"city": "Paris"}
        assert final.output[0].arguments == "".join(pieces)


async def test_reasoning_comes_as_a_reasoning_item_before_the_message(api, client_for):
    async with FakeUpstream(models=("fake-chat+think",)) as up, client_for() as client:
        await connect(api, up)
        answer = await client.responses.create(model="fake-chat+think", input="Hello there")
        thought, message = answer.output
        assert thought.type == "reasoning" and thought.content[0].text == reasoning_for(HELLO)
        assert message.type == "message" and answer.output_text == reply_for(HELLO)
        assert "reasoning_tokens" not in answer.usage.output_tokens_details.model_fields_set
        stream = await client.responses.create(
            model="fake-chat+think", input="Hello there", stream=True
        )
        kinds = [e.type async for e in stream]
        # The reasoning item is done before the message's begins.
        assert kinds.index("response.reasoning_text.done") < kinds.index(
            "response.content_part.added"
        )


async def test_a_preset_and_formats(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        preset = {
            "id": "terse",
            "name": "Terse",
            "base_model": "fake-chat",
            "system_prompt": "Be terse.",
            "params": {"temperature": 0.1},
        }
        assert (await api("POST", "presets", preset)).status == 201
        answer = await client.responses.create(
            model="terse",
            input="Hello there, in JSON",
            text={"format": {"type": "json_object"}},
            max_output_tokens=1,
        )
        assert answer.model == "terse" and answer.status == "incomplete"
        assert answer.incomplete_details.reason == "max_output_tokens"
        sent = up.requests[-1].body
        assert sent["messages"][0] == {"role": "system", "content": "Be terse."}
        assert sent["response_format"] == {"type": "json_object"}
        assert sent["temperature"] == 0.1
        schema = {"type": "object", "properties": {"reply": {"type": "string"}}}
        await client.responses.create(
            model="fake-chat",
            input="Hello there",
            text={"format": {"type": "json_schema", "name": "r", "schema": schema}},
        )
        wanted = {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}}
        assert up.requests[-1].body["response_format"] == wanted


async def test_log_probabilities_when_included(api, client_for, kind):
    async with FakeUpstream(chunks=4) as up, client_for() as client:
        await connect(api, up, kind=kind)
        logprobs = ["message.output_text.logprobs"]
        answer = await client.responses.create(
            model="fake-chat", input="Hello there", include=logprobs, top_logprobs=2
        )
        part = answer.output[0].content[0]
        assert "".join(p.token for p in part.logprobs) == part.text == reply_for(HELLO)
        assert all(len(p.top_logprobs) == 2 for p in part.logprobs)
        stream = await client.responses.create(
            model="fake-chat", input="Hello there", include=logprobs, stream=True
        )
        tokens = [
            lp.token
            async for e in stream
            if e.type == "response.output_text.delta"
            for lp in e.logprobs
        ]
        assert "".join(tokens) == reply_for(HELLO)
        # Not included, none are asked for.
        await client.responses.create(model="fake-chat", input="Hello there", top_logprobs=2)
        assert "logprobs" not in up.requests[-1].body


async def test_what_is_not_kept_or_offered_here_is_refused_by_name(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        asked = len(up.requests)
        for params, param in [
            ({"input": "x", "previous_response_id": "resp_1"}, "previous_response_id"),
            ({"input": "x", "background": True}, "background"),
            ({"input": None}, "input"),
            ({"input": "x", "tools": [{"type": "web_search"}]}, "tools[0]"),
            ({"input": [{"type": "item_reference", "id": "x"}]}, "input[0].type"),
            ({"input": "x", "temperature": 5}, "temperature"),
            ({"input": "x", "top_logprobs": 21}, "top_logprobs"),
        ]:
            with pytest.raises(openai.BadRequestError) as error:
                await client.responses.create(model="fake-chat", **params)
            assert error.value.param == param, (params, error.value.message)
        assert len(up.requests) == asked
        with pytest.raises(openai.NotFoundError) as error:
            await client.responses.create(model="nope", input="x")
        assert error.value.code == "model_not_found"
        with pytest.raises(openai.NotFoundError) as error:
            await client.responses.retrieve("resp_1")
        assert "not stored here" in error.value.message


async def test_upstream_failures_reach_the_client(api, client_for):
    async with FakeUpstream(chunks=6) as up, client_for() as client:
        await connect(api, up)
        up.set_faults(error_status=503, paths=("/v1/chat",))
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as error:
                await client.responses.create(model="fake-chat", input="x", stream=stream)
            assert error.value.status_code == 503
        # Cut halfway: what came is read, then the client raises.
        up.set_faults(cut_stream=True)
        stream = await client.responses.create(model="fake-chat", input="Hello there", stream=True)
        seen = []
        with pytest.raises(openai.APIError):
            async for event in stream:
                seen.append(event.type)
        assert "response.output_text.delta" in seen and "response.completed" not in seen
