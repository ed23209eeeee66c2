"""The in-process local model, run on a tiny random model built by the test: nothing downloaded."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import itertools
import os
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
import pytest_asyncio

from jupyter_chat_ext.providers.base import Finish, TextDelta, UpstreamError, Usage
from jupyter_chat_ext.providers.local.client import generation_settings, held_back
from jupyter_chat_ext.providers.local_client import LocalModelClient

# Before anything imports huggingface_hub: a test that tried the network would fail, not hang.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

needs_transformers = pytest.mark.skipif(
    importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None,
    reason="torch and transformers are not installed",
)

HELLO = [{"role": "user", "content": "hello there how are you"}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama")


@pytest_asyncio.fixture
async def client(tiny):
    client = LocalModelClient(str(tiny), idle_timeout=60, max_new_tokens_default=16)
    yield client
    await client.close()


async def answer(client: LocalModelClient, params: dict | None = None, messages=HELLO):
    return [d async for d in client.stream_chat(client.model_id, messages, params or {})]


def text(deltas) -> str:
    return "".join(d.text for d in deltas if isinstance(d, TextDelta))


async def wait_until(condition, within: float) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < within, "condition not met in time"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


def test_importing_the_provider_loads_neither_torch_nor_transformers():
    code = (
        "import sys, jupyter_chat_ext.providers.local_client;"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("text", "stops", "kept"),
    [("the quick", ["ck b"], 2), ("the quick", ["xyz"], 0), ("a b", ["b c", " b"], 2)],
)
def test_only_a_possible_start_of_a_stop_string_is_held_back(text, stops, kept):
    assert held_back(text, stops) == kept


def test_openai_parameters_become_generation_settings():
    assert generation_settings({}, 64) == {
        "max_new_tokens": 64,
        "do_sample": False,
        "temperature": None,
        "top_p": None,
        "top_k": None,
    }
    sampled = generation_settings(
        {"temperature": 0.7, "top_p": 0.9, "max_tokens": 8, "seed": 3}, 64
    )
    assert sampled == {
        "max_new_tokens": 8,
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 3,
    }
    assert (
        generation_settings({"max_completion_tokens": 5, "max_tokens": 9}, 64)["max_new_tokens"]
        == 5
    )
    # Ollama's names for the options transformers has too.
    tuned = generation_settings({"temperature": 0.5, "repeat_penalty": 1.2, "min_p": 0.05}, 64)
    assert (tuned["repetition_penalty"], tuned["min_p"]) == (1.2, 0.05)
    # top_p 0 is OpenAI's way to say greedy, which transformers cannot take as a top_p.
    assert generation_settings({"temperature": 1, "top_p": 0}, 64) == generation_settings({}, 64)
    for bad in (
        {"repeat_penalty": 0},
        {"top_p": -0.1},
        {"temperature": 1, "min_p": 2},
        {"min_p": "x"},
        {"presence_penalty": 0.5},  # transformers has none; repeat_penalty is its kind
    ):
        with pytest.raises(UpstreamError) as refused:
            generation_settings(bad, 64)
        assert refused.value.status == 400


@needs_transformers
@pytest.mark.asyncio
async def test_a_model_that_could_run_is_listed_without_loading_it(tiny, tmp_path):
    by_path = LocalModelClient(str(tiny))
    [model] = await by_path.models()
    assert (model.id, model.owned_by, model.meta["loaded"]) == ("tiny-llama", "local", False)
    # A hub id is found in the Hugging Face cache, laid out as the hub client lays it out.
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--acme--tiny"
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (repo / "snapshots" / "abc123" / name).write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    by_id = LocalModelClient("acme/tiny")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
        assert [m.id for m in await by_id.models()] == ["acme/tiny"]
    assert not by_path.loaded and not by_id.loaded


@needs_transformers
@pytest.mark.asyncio
async def test_a_model_not_on_this_machine_is_not_listed_and_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "no-weights").mkdir()
    (tmp_path / "no-weights" / "config.json").write_text("{}")
    for source, words in [
        (str(tmp_path / "empty"), "holds no Hugging Face model"),
        (str(tmp_path / "no-weights"), "no weights"),
        (str(tmp_path / "nowhere"), "does not exist"),
        ("acme/not-downloaded", "hf download acme/not-downloaded"),
    ]:
        with pytest.raises(UpstreamError) as error:
            await LocalModelClient(source).models()
        assert error.value.kind == "unavailable" and words in error.value.message


@needs_transformers
@pytest.mark.asyncio
async def test_streams_text_then_usage_then_finish(client):
    deltas = await answer(client)
    texts = [d for d in deltas if isinstance(d, TextDelta)]
    assert len(texts) >= 3 and all(d.text for d in texts)
    assert deltas[: len(texts)] == texts
    usage, finish = deltas[-2:]
    assert isinstance(usage, Usage) and usage.prompt_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    # The tiny model never ends on its own, so the configured default limit stops it.
    assert (usage.completion_tokens, finish) == (16, Finish("length"))
    assert client.loaded and not client.busy


@needs_transformers
@pytest.mark.asyncio
@pytest.mark.parametrize("key", ["max_tokens", "max_completion_tokens"])
async def test_max_tokens_ends_with_length(client, key):
    *_, usage, finish = await answer(client, {key: 5})
    assert (usage.completion_tokens, finish) == (5, Finish("length"))


@needs_transformers
@pytest.mark.asyncio
async def test_a_model_that_ends_by_itself_finishes_with_stop(tmp_path):
    from tests.support.tiny_model import build_tiny_model

    client = LocalModelClient(str(build_tiny_model(tmp_path / "ends", ends_after=4)))
    try:
        deltas = await answer(client, {"max_tokens": 50})
    finally:
        await client.close()
    *_, usage, finish = deltas
    # Four words, then EOS (counted as generated, never shown).
    assert (usage.completion_tokens, finish) == (5, Finish("stop"))
    assert len(text(deltas).split()) <= 4 and "</s>" not in text(deltas)


@needs_transformers
@pytest.mark.asyncio
async def test_greedy_answers_repeat_and_seeded_samples_repeat(client):
    greedy = [text(await answer(client, p)) for p in ({}, {"temperature": 0}, {})]
    assert greedy[0] and greedy[0] == greedy[1] == greedy[2]
    sampled = {"temperature": 1.5, "top_p": 0.95, "seed": 7, "max_tokens": 24}
    assert text(await answer(client, sampled)) == text(await answer(client, sampled))


@needs_transformers
@pytest.mark.asyncio
async def test_a_stop_string_ends_the_answer_before_it(client):
    full = text(await answer(client, {"max_tokens": 16}))
    words = full.split()
    # A stop string that straddles two tokens exercises the held-back text between deltas.
    stop = f"{words[3][-2:]} {words[4][:2]}"
    deltas = await answer(client, {"max_tokens": 16, "stop": ["never seen", stop]})
    *_, usage, finish = deltas
    assert text(deltas) == full[: full.index(stop)]
    assert finish == Finish("stop") and usage.completion_tokens < 16


@needs_transformers
@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_a_consumer_that_goes_away_stops_generation(client, how):
    await answer(client, {"max_tokens": 2})  # load first, so the timing below is generation only
    stream = client.stream_chat(client.model_id, HELLO, {"max_tokens": 5000})
    if how == "aclose":
        await anext(stream)
        assert client.busy
        await stream.aclose()
    else:
        started = asyncio.Event()

        async def consume():
            async for _ in stream:
                started.set()

        task = asyncio.create_task(consume())
        await started.wait()
        assert client.busy
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # 5000 tokens take several seconds here; the worker thread must notice within one step.
    assert await wait_until(lambda: not client.busy, within=1.0) < 1.0
    *_, finish = await answer(client, {"max_tokens": 3})
    assert finish == Finish("length")


@needs_transformers
@pytest.mark.asyncio
async def test_answers_run_one_at_a_time(client):
    first, second = await asyncio.gather(answer(client), answer(client))
    assert text(first) == text(second) and first[-1] == second[-1] == Finish("length")


@needs_transformers
@pytest.mark.asyncio
async def test_idle_model_is_unloaded_and_reloaded_on_next_use(tiny):
    client = LocalModelClient(str(tiny), idle_timeout=0.2, max_new_tokens_default=4)
    try:
        before = text(await answer(client))
        assert client.loaded
        model = weakref.ref(client._loaded.model)
        await wait_until(lambda: not client.loaded, within=2.0)
        # Freed at once by reference counting, not at some later garbage collection.
        assert model() is None, "the unloaded weights are still referenced"
        assert text(await answer(client)) == before and client.loaded
    finally:
        await client.close()


@needs_transformers
@pytest.mark.asyncio
async def test_weights_loaded_for_an_answer_stopped_meanwhile_are_shown_and_dropped(tiny):
    pool = ThreadPoolExecutor(1)
    gate = threading.Event()
    pool.submit(gate.wait, 10)  # the load waits behind this, so the answer stops before it
    client = LocalModelClient(str(tiny), idle_timeout=0.2, executor=pool)
    try:
        task = asyncio.ensure_future(answer(client))
        await wait_until(lambda: client._loading is not None, within=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        await asyncio.wrap_future(pool.submit(lambda: None))  # the load has ended
        await asyncio.sleep(0.01)
        assert client.loaded and client.resident() is not None, "weights in memory, unseen"
        model = weakref.ref(client._loaded.model)
        await wait_until(lambda: not client.loaded, within=2.0)
        assert model() is None, "the unloaded weights are still referenced"
    finally:
        await client.close()
        pool.shutdown()


@needs_transformers
@pytest.mark.asyncio
async def test_weights_are_freed_on_unload_after_an_answer_that_failed(tiny):
    client = LocalModelClient(str(tiny), idle_timeout=60, max_new_tokens_default=2)
    try:
        await answer(client)
        model = weakref.ref(client._loaded.model)
        # Fails inside the worker, as a template that refuses the messages does.
        client._loaded.tokenizer.chat_template = "{{ raise_exception('no system turn') }}"
        with pytest.raises(UpstreamError) as refused:
            await answer(client)
        assert refused.value.status == 400
        del refused
        await client.unload()
        # The failure's traceback and its frames form cycles: a collection frees them.
        await wait_until(lambda: gc.collect() >= 0 and model() is None, within=2.0)
    finally:
        await client.close()


@needs_transformers
@pytest.mark.asyncio
async def test_messages_past_the_context_are_a_400_and_answers_end_at_its_end(tmp_path):
    from tests.support.tiny_model import build_tiny_model

    short = LocalModelClient(str(build_tiny_model(tmp_path / "short-llama", context=32)))
    try:
        long = [{"role": "user", "content": " ".join(["hello there how are you"] * 10)}]
        with pytest.raises(UpstreamError) as refused:
            await answer(short, {"max_tokens": 4}, long)
        error = refused.value
        assert (error.status, error.said.code, error.said.param) == (
            400,
            "context_length_exceeded",
            "messages",
        )
        assert "maximum context length is 32 tokens" in error.message
        *_, usage, finish = await answer(short, {"max_tokens": 100})
        assert finish == Finish("length") and usage.total_tokens == 32
    finally:
        await short.close()


@needs_transformers
@pytest.mark.asyncio
async def test_a_template_without_a_system_turn_gets_the_system_prompt_in_the_question(client):
    from tests.support.tiny_model import CHAT_TEMPLATE

    await answer(client, {"max_tokens": 1})  # loaded
    client._loaded.tokenizer.chat_template = (
        "{% if messages[0]['role'] == 'system' %}"
        "{{ raise_exception('System role not supported') }}{% endif %}" + CHAT_TEMPLATE
    )
    system = [{"role": "system", "content": "red green"}, {"role": "user", "content": "hello"}]
    inline = [{"role": "user", "content": "red green\n\nhello"}]
    asked, merged = await answer(client, {}, system), await answer(client, {}, inline)
    assert text(asked) and asked[-2:] == merged[-2:] and text(asked) == text(merged)
    # A template's other refusals still come back as a 400 that quotes it.
    with pytest.raises(UpstreamError) as refused:
        await answer(client, {}, [system[0], {"role": "assistant", "content": "hi"}])
    assert refused.value.status == 400 and "System role not supported" in refused.value.message


@needs_transformers
@pytest.mark.asyncio
async def test_without_a_chat_template_a_plain_transcript_is_used(tmp_path):
    from tests.support.tiny_model import build_tiny_model

    client = LocalModelClient(str(build_tiny_model(tmp_path / "base", chat_template=False)))
    try:
        messages = [{"role": "system", "content": "one two"}, *HELLO]
        deltas = await answer(client, {"max_tokens": 6}, messages)
    finally:
        await client.close()
    assert text(deltas) and deltas[-1] == Finish("length")


@needs_transformers
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("chat-ext-tests/absent-model", ["hf download chat-ext-tests/absent-model", "local_model"]),
        ("/nonexistent/chat-ext-model", ["/nonexistent/chat-ext-model does not exist"]),
    ],
)
async def test_a_model_that_is_not_on_disk_says_how_to_get_it(source, words):
    client = LocalModelClient(source)
    try:
        with pytest.raises(UpstreamError) as caught:
            await answer(client)
    finally:
        await client.close()
    assert caught.value.kind == "unavailable"
    for word in words:
        assert word in caught.value.message
    assert not client.loaded and not client._lock.locked()


@pytest.mark.asyncio
async def test_another_model_name_or_bad_params_are_refused_before_loading():
    client = LocalModelClient("/nonexistent/tiny-llama")
    with pytest.raises(UpstreamError) as caught:
        await anext(client.stream_chat("gpt-4o", HELLO, {}))
    assert (caught.value.kind, caught.value.status) == ("http", 404)
    with pytest.raises(UpstreamError) as caught:
        await answer(client, {"max_tokens": 0})
    assert caught.value.status == 400
    assert not client.loaded


@needs_transformers
@pytest.mark.asyncio
async def test_the_event_loop_keeps_running_while_the_model_generates(client):
    await answer(client, {"max_tokens": 2})  # the first load imports torch: measure after it
    ticks: list[float] = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    deltas = await answer(client, {"max_tokens": 150})
    task.cancel()
    assert deltas[-1] == Finish("length") and len(ticks) >= 10, f"{len(ticks)} ticks"
    gaps = sorted(b - a for a, b in itertools.pairwise(ticks))
    median, longest = gaps[len(gaps) // 2], gaps[-1]
    # generate() on the loop would freeze it for the whole answer; a worker thread costs the
    # loop a GIL hand-over now and then. The bounds leave room for a machine busy with other work.
    assert median < 0.02, f"ticks {median * 1000:.1f} ms apart, not ~10 ms"
    assert longest < 0.25, f"the loop stalled for {longest * 1000:.0f} ms"


@needs_transformers
@pytest.mark.asyncio
async def test_a_consumer_that_leaves_during_the_last_step_keeps_the_next_answer_waiting(
    client, monkeypatch
):
    from jupyter_chat_ext.providers.local import runtime

    await answer(client, {"max_tokens": 1})  # loaded
    last_step = threading.Event()

    def stepping(loaded, messages, settings, channel):
        channel.send("one two")
        last_step.wait(10)  # still in its last step when the consumer goes away
        return runtime.Outcome(3, 2, "stop")

    monkeypatch.setattr(runtime, "_generate", stepping)
    task = asyncio.ensure_future(answer(client, {"stop": ["two"]}))
    await wait_until(lambda: client.busy, 5)
    await asyncio.sleep(0.05)  # the stop string is seen; the consumer waits for the worker
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.busy and client._lock.locked(), "a second answer could start beside it"
    last_step.set()
    await wait_until(lambda: not client._lock.locked(), 5)


@needs_transformers
@pytest.mark.asyncio
async def test_top_k_applies_and_what_the_model_cannot_do_is_refused(client):
    greedy = text(await answer(client, {"max_tokens": 12}))
    sampled = {
        text(await answer(client, {"max_tokens": 12, "temperature": 2, "top_k": 1, "seed": s}))
        for s in range(3)
    }
    assert sampled == {greedy}
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    for asked in ({"tools": [tool]}, {"response_format": {"type": "json_object"}}):
        with pytest.raises(UpstreamError) as error:
            await answer(client, asked)
        assert error.value.status == 400 and next(iter(asked)) in error.value.message


@needs_transformers
@pytest.mark.asyncio
async def test_damaged_weights_are_a_clear_error(tiny, tmp_path):
    import shutil

    folder = shutil.copytree(tiny, tmp_path / "cut-llama")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    damaged = LocalModelClient(str(folder))
    try:
        with pytest.raises(UpstreamError) as error:
            await answer(damaged)
    finally:
        await damaged.close()
    assert error.value.kind == "unavailable" and "could not be loaded" in error.value.message
