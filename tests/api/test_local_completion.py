"""The in-process local model through the whole completion path: listed, streamed, stored."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from tests.api.completion_calls import complete
from tests.api.proxy_clients import PIXEL
from tests.support.identity import header

pytest.importorskip("transformers", reason="the 'local' extra is not installed")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tests.support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", ends_after=6)


@pytest.fixture
def chat_ext_config(tiny_model):
    return {"local_model": str(tiny_model)}


async def test_the_local_model_answers_in_a_chat(api, jp_fetch):
    listed = (await api("GET", "models")).json()
    models = listed["items"]
    assert not listed["errors"], listed["errors"]
    assert [(m["id"], m["kind"], m["connection_name"]) for m in models] == [
        ("tiny-llama", "local", "Local (tiny-llama)")
    ]
    body = {"model": "tiny-llama", "content": "hello", "params": {"temperature": 0}}
    _, events = await complete(jp_fetch, body, request_timeout=120)
    names = [n for n, _ in events]
    assert names[0] == "start" and names[-1] == "done" and names.count("delta") >= 2, names
    text = "".join(d["text"] for n, d in events if n == "delta")
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    answer = chat["messages"][1]
    assert answer["content"] == text and answer["meta"]["status"] == "done"
    assert answer["meta"]["usage"]["completion_tokens"] >= 6  # six words, then the end token

    # Ollama's ps shows the weights in memory, and when the idle timeout drops them.
    r = await jp_fetch("chat-ext", "ollama", "api", "ps", headers=header("alice"))
    running = json.loads(r.body)["models"]
    assert [m["model"] for m in running] == ["tiny-llama"] and running[0]["size"] > 0
    assert running[0]["context_length"] == 8192  # the model's max_position_embeddings
    assert datetime.fromisoformat(running[0]["expires_at"]) > datetime.now(UTC)


async def test_what_the_local_model_cannot_do_is_a_400_on_the_openai_api(jp_fetch):
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    looks = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
    hello = [{"role": "user", "content": "hello"}]
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    for extra, words in [
        ({"messages": looks}, "text only"),
        ({"messages": hello, "n": 2}, "'n' above 1"),
        ({"messages": hello, "tools": [tool]}, "does not take tools"),
    ]:
        r = await jp_fetch(
            "chat-ext", "openai", "v1", "chat", "completions", method="POST",
            body=json.dumps({"model": "tiny-llama", **extra}), headers=header("alice"),
            raise_error=False, request_timeout=60,
        )  # fmt: skip
        assert r.code == 400 and words in json.loads(r.body)["error"]["message"], r.body
        if "tools" in extra:  # refused by the model itself, naming what it refused
            assert json.loads(r.body)["error"]["param"] == "tools"
    # OpenAI's default format is what the model gives anyway.
    r = await jp_fetch(
        "chat-ext", "openai", "v1", "chat", "completions", method="POST",
        body=json.dumps({"model": "tiny-llama", "messages": hello, "max_tokens": 2,
                         "response_format": {"type": "text"}}),
        headers=header("alice"), request_timeout=60,
    )  # fmt: skip
    assert json.loads(r.body)["choices"][0]["message"]["role"] == "assistant"


async def test_an_earlier_refusal_is_read_as_what_the_answer_said(jp_fetch):
    """An answer's refusal, sent back in the history as OpenAI's clients keep it, is text:
    the model reads it as it reads the same words as content, where it was refused as an
    image. What is neither text nor an image is named as it is."""

    async def ask(answered: dict) -> tuple[int, dict]:
        messages = [
            {"role": "user", "content": "hello"},
            answered,
            {"role": "user", "content": "ok"},
        ]
        r = await jp_fetch(
            "chat-ext", "openai", "v1", "chat", "completions", method="POST",
            body=json.dumps({"model": "tiny-llama", "messages": messages, "max_tokens": 1}),
            headers=header("alice"), raise_error=False, request_timeout=60,
        )  # fmt: skip
        return r.code, json.loads(r.body)

    words = "I will not say that."
    refused = {"role": "assistant", "content": [{"type": "refusal", "refusal": words}]}
    code, answer = await ask(refused)
    assert code == 200, answer
    _, plain = await ask({"role": "assistant", "content": words})
    assert answer["usage"]["prompt_tokens"] == plain["usage"]["prompt_tokens"]
    audio = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    code, error = await ask({"role": "user", "content": [audio]})
    assert code == 400 and "not 'input_audio' content" in error["error"]["message"], error


async def test_the_openai_api_tells_what_is_known_of_the_local_model(jp_fetch, tiny_model):
    async def get(*path, body=None):
        kwargs = {"method": "POST", "body": json.dumps(body)} if body else {}
        r = await jp_fetch(
            "chat-ext", "openai", "v1", *path, headers=header("alice"), request_timeout=60, **kwargs
        )
        return json.loads(r.body)

    # Made when its files were written.
    (model,) = (await get("models"))["data"]
    assert model["created"] == int((tiny_model / "config.json").stat().st_mtime) > 0
    hello = [{"role": "user", "content": "hello"}]
    answer = await get("chat", "completions", body={"model": "tiny-llama", "messages": hello})
    assert answer["system_fingerprint"] is None and answer["choices"][0]["logprobs"] is None
    assert answer["choices"][0]["message"]["refusal"] is None
    # It keeps no cache of earlier prompts: every prompt token was read anew.
    assert answer["usage"]["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert answer["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


@pytest.mark.parametrize("chat_ext_config", [{"local_model": "/nowhere/no-such-model"}])
async def test_a_missing_local_model_says_how_to_get_it(api, jp_fetch, chat_ext_config):
    listed = (await api("GET", "models")).json()
    assert listed["items"] == []
    assert "/nowhere/no-such-model does not exist" in listed["errors"]["Local (no-such-model)"]
    body = {"model": "no-such-model", "content": "hello"}
    r = await jp_fetch(
        "chat-ext", "api", "chat", "completions", method="POST", body=json.dumps(body),
        headers=header("alice"), raise_error=False,
    )  # fmt: skip
    message = json.loads(r.body)["message"]
    assert r.code == 404 and "/nowhere/no-such-model does not exist" in message
    assert (await api("GET", "chats")).json()["items"] == []


async def test_ollamas_names_for_transformers_options_reach_the_local_model(jp_fetch):
    body = {
        "model": "tiny-llama",
        "messages": [{"role": "user", "content": "hello"}],
        "temperature": 0.7,
        "seed": 1,
        "min_p": 0.05,
        "repeat_penalty": 1.3,
        "max_tokens": 4,
    }
    r = await jp_fetch(
        "chat-ext", "openai", "v1", "chat", "completions", method="POST",
        body=json.dumps(body), headers=header("alice"), request_timeout=60,
    )  # fmt: skip
    assert json.loads(r.body)["usage"]["completion_tokens"] >= 1
    r = await jp_fetch(
        "chat-ext", "openai", "v1", "chat", "completions", method="POST",
        body=json.dumps({**body, "repeat_penalty": 0}), headers=header("alice"),
        raise_error=False, request_timeout=60,
    )  # fmt: skip
    assert r.code == 400 and "repeat_penalty" in json.loads(r.body)["error"]["message"]


async def test_an_empty_ollama_request_loads_or_unloads_the_local_model(jp_fetch):
    async def ollama(path, body=None):
        method = "GET" if body is None else "POST"
        r = await jp_fetch(
            "chat-ext", "ollama", "api", path, method=method, headers=header("alice"),
            body=None if body is None else json.dumps(body), request_timeout=60,
        )  # fmt: skip
        return json.loads(r.body)

    async def running():
        return [m["model"] for m in (await ollama("ps"))["models"]]

    assert await running() == []
    loaded = await ollama("generate", {"model": "tiny-llama", "stream": False})
    assert loaded["done_reason"] == "load" and await running() == ["tiny-llama"]
    # What `ollama stop` sends.
    dropped = await ollama("generate", {"model": "tiny-llama", "keep_alive": 0, "stream": False})
    assert dropped["done_reason"] == "unload" and await running() == []
    await ollama("chat", {"model": "tiny-llama", "messages": []})
    assert await running() == ["tiny-llama"]
    await ollama("chat", {"model": "tiny-llama", "messages": [], "keep_alive": "0s"})
    assert await running() == []


async def test_an_answer_with_keep_alive_0_drops_the_local_weights_after_it(ollama_for):
    async with ollama_for() as client:
        hello = [{"role": "user", "content": "hello"}]
        for stream in (False, True):
            answer = await client.chat(model="tiny-llama", messages=hello, stream=stream)
            if stream:
                answer = [part async for part in answer][-1]
            assert answer.done and [m.model for m in (await client.ps()).models] == ["tiny-llama"]
            answer = await client.chat(
                model="tiny-llama", messages=hello, keep_alive=0, stream=stream
            )
            if stream:
                answer = [part async for part in answer][-1]
            assert answer.done and (await client.ps()).models == []


async def test_ollamas_sampling_options_reach_the_local_model(jp_fetch):
    async def chat(**options):
        body = {"model": "tiny-llama", "messages": [{"role": "user", "content": "hello"}],
                "stream": False, "options": options}  # fmt: skip
        r = await jp_fetch(
            "chat-ext", "ollama", "api", "chat", method="POST", body=json.dumps(body),
            headers=header("alice"), raise_error=False, request_timeout=60,
        )  # fmt: skip
        return r.code, json.loads(r.body)

    code, greedy = await chat(temperature=0)
    assert code == 200 and greedy["message"]["content"]
    # top_k 1 leaves one word to sample from, so any seed writes the greedy answer.
    sampled = {
        (await chat(temperature=2, top_k=1, seed=s))[1]["message"]["content"] for s in (1, 2)
    }
    assert sampled == {greedy["message"]["content"]}
    code, refused = await chat(repeat_penalty=0)
    assert code == 400 and "repeat_penalty" in refused["error"], refused


async def test_images_are_refused_on_every_route_not_dropped(jp_fetch):
    async def post(*path, body):
        r = await jp_fetch(
            "chat-ext", *path, method="POST", body=json.dumps(body),
            headers=header("alice"), raise_error=False, request_timeout=60,
        )  # fmt: skip
        return r.code, r.body.decode()

    question = {"role": "user", "content": "what is this?", "images": [PIXEL]}
    ollama = {"model": "tiny-llama", "stream": False, "messages": [question]}
    code, said = await post("ollama", "api", "chat", body=ollama)
    assert code == 400 and "text only, not images" in said, said
    generate = {
        "model": "tiny-llama",
        "prompt": "what is this?",
        "images": [PIXEL],
        "stream": False,
    }
    code, said = await post("ollama", "api", "generate", body=generate)
    assert code == 400 and "text only, not images" in said, said
    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}},
    ]
    openai = {"model": "tiny-llama", "messages": [{"role": "user", "content": parts}]}
    code, said = await post("openai", "v1", "chat", "completions", body=openai)
    assert code == 400 and "text only, not images" in said, said


async def test_the_local_model_continues_a_prompt_on_the_legacy_api(jp_fetch):
    async def post(body: dict, ok: bool = True):
        r = await jp_fetch(
            "chat-ext", "openai", "v1", "completions", method="POST",
            body=json.dumps({"model": "tiny-llama", "temperature": 0, **body}),
            headers=header("alice"), raise_error=ok, request_timeout=60,
        )  # fmt: skip
        return r.code, r.body.decode()

    # Without a limit, a short answer, as OpenAI's legacy API gives: here the model's six
    # words and its end.
    _, raw = await post({"prompt": "hello world"})
    whole = json.loads(raw)
    assert whole["object"] == "text_completion" and whole["model"] == "tiny-llama"
    [choice] = whole["choices"]
    assert choice["finish_reason"] == "stop" and choice["text"].strip()
    assert whole["usage"]["completion_tokens"] >= 6

    _, raw = await post({"prompt": "hello world", "max_tokens": 4, "echo": True})
    [choice] = json.loads(raw)["choices"]
    assert choice["finish_reason"] == "length"
    assert choice["text"].startswith("hello world") and len(choice["text"]) > len("hello world")

    # Streamed, the same text (greedy: temperature 0), then the reason, usage and [DONE].
    _, raw = await post(
        {
            "prompt": "hello world",
            "max_tokens": 4,
            "echo": True,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    frames = [line[6:] for line in raw.splitlines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == choice["text"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4

    # What only a server with this API of its own gives is refused by name, not dropped.
    for extra, param in [
        ({"suffix": "end"}, "suffix"),
        ({"n": 2}, "n"),
        ({"logprobs": 1}, "logprobs"),
        ({"prompt": ["one", "two"]}, "prompt"),
        ({"prompt": [1, 2, 3]}, "prompt"),
    ]:
        code, raw = await post({"prompt": "hello", **extra}, ok=False)
        assert code == 400 and json.loads(raw)["error"]["param"] == param, raw


async def test_an_ollama_raw_prompt_is_continued_by_the_local_model(jp_fetch):
    async def ask(path: tuple[str, ...], body: dict, ok: bool = True):
        r = await jp_fetch(
            "chat-ext", *path, method="POST",
            body=json.dumps({"model": "tiny-llama", **body}), headers=header("alice"),
            raise_error=ok, request_timeout=60,
        )  # fmt: skip
        return r.code, json.loads(r.body)

    options = {"temperature": 0, "num_predict": 5}
    _, raw = await ask(
        ("ollama", "api", "generate"),
        {"prompt": "hello world", "raw": True, "stream": False, "options": options},
    )
    assert raw["done"] and raw["done_reason"] == "length" and raw["eval_count"] == 5
    # The same continuation as OpenAI's legacy completions give: no chat template between.
    _, legacy = await ask(
        ("openai", "v1", "completions"),
        {"prompt": "hello world", "max_tokens": 5, "temperature": 0},
    )
    assert raw["response"] == legacy["choices"][0]["text"] != ""
    _, chat = await ask(
        ("ollama", "api", "generate"),
        {"prompt": "hello world", "stream": False, "options": options},
    )
    assert chat["prompt_eval_count"] > raw["prompt_eval_count"], "the template's tokens"
    code, refused = await ask(
        ("ollama", "api", "generate"),
        {"prompt": "def f(", "suffix": "return 1", "stream": False},
        ok=False,
    )
    assert code == 400 and "fill-in-the-middle" in refused["error"], refused


async def test_the_local_model_answers_the_responses_api(jp_fetch):
    r = await jp_fetch(
        "chat-ext", "openai", "v1", "responses", method="POST",
        body=json.dumps({"model": "tiny-llama", "input": "hello", "instructions": "Be brief.",
                         "temperature": 0, "max_output_tokens": 3}),
        headers=header("alice"), request_timeout=60,
    )  # fmt: skip
    answer = json.loads(r.body)
    assert (answer["status"], answer["incomplete_details"]) == (
        "incomplete",
        {"reason": "max_output_tokens"},
    )
    [message] = answer["output"]
    assert message["content"][0]["text"].strip() and answer["usage"]["output_tokens"] == 3
