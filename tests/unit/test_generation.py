"""Following a generation: every listener ends up with the whole answer and its last event."""

from __future__ import annotations

import pytest

from jupyter_chat_ext.completions import tasks
from jupyter_chat_ext.completions.tasks import Generation


def write(gen: Generation, *pieces: str) -> None:
    for piece in pieces:
        gen.parts.append(piece)
        gen.emit("delta", {"text": piece})


def end(gen: Generation) -> None:
    gen.status, gen.finish_reason = "done", "stop"
    gen.emit(*gen.last_event())
    gen.finished.set()


async def received(batches) -> tuple[str, list[str]]:
    text, names = "", []
    async for batch in batches:
        for name, data in batch:
            names.append(name)
            text += data["text"] if name == "delta" else data["content"] if name == "start" else ""
    return text, names


@pytest.mark.asyncio
async def test_a_listener_gets_the_text_so_far_then_what_follows():
    gen = Generation("u", "c", "m", "model")
    write(gen, "Hello")
    batches = gen.follow({"chat_id": "c"})
    assert await anext(batches) == [("start", {"chat_id": "c", "content": "Hello"})]
    write(gen, ", ", "world")
    end(gen)
    text, names = await received(batches)
    assert (text, names) == (", world", ["delta", "delta", "done"])


@pytest.mark.asyncio
async def test_a_listener_that_falls_behind_catches_up_and_still_ends(monkeypatch):
    monkeypatch.setattr(tasks, "_QUEUE_LIMIT", 5)
    gen = Generation("u", "c", "m", "model")
    batches = gen.follow({})
    await anext(batches)
    write(gen, *(f"{i} " for i in range(20)))  # while the listener was busy sending
    first = await anext(batches)
    assert len(first) == 5  # what its queue held
    write(gen, "last")
    end(gen)
    text, names = await received(batches)
    assert "".join(d["text"] for _, d in first) + text == gen.text
    assert names[-1] == "done" and not gen._listeners


@pytest.mark.asyncio
async def test_a_listener_that_joins_after_the_end_gets_the_last_event():
    gen = Generation("u", "c", "m", "model")
    write(gen, "all of it")
    gen.status, gen.error = "error", "The upstream went away"
    gen.finished.set()
    text, names = await received(gen.follow({}))
    assert (text, names) == ("all of it", ["start", "error"])
