"""OpenAI's legacy completions (``/v1/completions``) through chat-ext, driven by the official
`openai` client: relayed to OpenAI-compatible and Ollama connections, with presets, bad
requests and upstream failures."""

from __future__ import annotations

import json

import openai
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, reply_for
from tests.api.proxy_clients import connect
from tests.support.identity import header

PROMPT = "def add(a, b):"


def continued(prompt: str, suffix: str | None = None) -> str:
    """What the test upstream writes after ``prompt`` (and before ``suffix``)."""
    asked = prompt if suffix is None else f"{prompt} ... {suffix}"
    return reply_for([{"role": "user", "content": asked}])


@pytest.fixture
def chat_ext_config():
    return {"upstream_timeout": 5.0}


@pytest.mark.parametrize("kind", ["openai", "ollama"])
async def test_a_prompt_is_continued_streamed_or_not(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind, prefix="up/")
        model = "up/fake-chat"
        answer = await client.completions.create(
            model=model, prompt=PROMPT, suffix="    return c", temperature=0.2, seed=3
        )
        assert answer.object == "text_completion" and answer.model == model
        assert answer.choices[0].text == continued(PROMPT, "    return c")
        assert answer.choices[0].finish_reason == "stop"
        assert answer.usage.prompt_tokens == 3
        sent = up.requests[-1]
        # An Ollama server speaks this API under its own /v1, as an OpenAI-compatible one does.
        assert sent.path == "/v1/completions"
        assert sent.body.pop("stream", False) is False
        assert sent.body == {
            "model": "fake-chat:latest" if kind == "ollama" else "fake-chat",
            "prompt": PROMPT,
            "suffix": "    return c",
            "temperature": 0.2,
            "seed": 3,
        }

        stream = await client.completions.create(
            model=model,
            prompt=[PROMPT, "x = "],
            n=2,
            echo=True,
            logprobs=2,
            stream=True,
            stream_options={"include_usage": True},
        )
        texts: dict[int, str] = {}
        usage = None
        async for chunk in stream:
            assert chunk.model == model
            for choice in chunk.choices:
                texts[choice.index] = texts.get(choice.index, "") + choice.text
            usage = chunk.usage or usage
        assert sorted(texts) == [0, 1, 2, 3]
        assert texts[0].startswith(PROMPT) and texts[2].startswith("x = ")
        assert texts[0] == PROMPT + continued(PROMPT)
        assert usage is not None and usage.prompt_tokens == 5


async def test_a_preset_lends_its_sampling_defaults_not_its_system_prompt(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        preset = {
            "id": "coder",
            "name": "Coder",
            "base_model": "fake-chat",
            "system_prompt": "Write Python.",
            "params": {
                "temperature": 0.1,
                "max_tokens": 2,
                "response_format": {"type": "json_object"},
                "options": {"logprobs": True},
            },
        }
        assert (await api("POST", "presets", preset)).status == 201
        answer = await client.completions.create(model="coder", prompt=PROMPT)
        assert answer.model == "coder" and answer.choices[0].finish_reason == "length"
        # The preset's limit goes under this API's own name; its chat settings stay out.
        assert up.requests[-1].body.pop("stream", False) is False
        assert up.requests[-1].body == {
            "model": "fake-chat",
            "prompt": PROMPT,
            "temperature": 0.1,
            "max_tokens": 2,
        }
        await client.completions.create(model="coder", prompt=PROMPT, max_tokens=40)
        assert up.requests[-1].body["max_tokens"] == 40


async def test_bad_requests_are_refused_by_name_before_any_upstream(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        for params, param in [
            ({"prompt": None}, "prompt"),
            ({"prompt": {"text": "x"}}, "prompt"),
            ({"prompt": [[1, "a"]]}, "prompt"),
            ({"prompt": "x", "temperature": 3}, "temperature"),
            ({"prompt": "x", "logprobs": 6}, "logprobs"),
            ({"prompt": "x", "echo": "yes"}, "echo"),
        ]:
            with pytest.raises(openai.BadRequestError) as error:
                await client.completions.create(model="fake-chat", **params)
            assert error.value.param == param, (params, error.value.message)
        with pytest.raises(openai.NotFoundError) as error:
            await client.completions.create(model="nope", prompt="x")
        assert error.value.code == "model_not_found" and "v1/models" in error.value.message
        assert up.requests == [r for r in up.requests if r.path == "/v1/models"]


async def test_upstream_failures_come_back_in_openais_shape(api, client_for, jp_fetch):
    async with FakeUpstream(chunks=8) as up, client_for() as client:
        await connect(api, up)
        up.set_faults(error_status=503, paths=("/v1/completions",))
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as error:
                await client.completions.create(model="fake-chat", prompt="x", stream=stream)
            assert error.value.status_code == 503
            assert "fake upstream failure" in error.value.message
        # A stream cut halfway ends with an error event, after what came before it.
        up.set_faults(cut_stream=True)
        r = await jp_fetch(
            "chat-ext", "openai", "v1", "completions", method="POST",
            body=json.dumps({"model": "fake-chat", "prompt": "x", "stream": True}),
            headers=header("alice"),
        )  # fmt: skip
        frames = [line[6:] for line in r.body.decode().splitlines() if line.startswith("data: ")]
        texts = [json.loads(f)["choices"][0]["text"] for f in frames[:-1]]
        assert texts and "".join(texts) in continued("x")
        assert "error" in json.loads(frames[-1])
