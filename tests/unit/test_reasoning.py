"""Reasoning written as <think> tags at an answer's opening, taken apart from its text."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_chat_ext.providers.base import Finish, ReasoningDelta, TextDelta
from jupyter_chat_ext.providers.reasoning import split_reasoning


def split(pieces: list[str], *, end=True) -> tuple[str, str, list]:
    """(reasoning, text, every delta out) of an answer that came in ``pieces``."""

    async def source():
        for piece in pieces:
            if piece:  # clients never yield empty text
                yield TextDelta(piece)
        if end:
            yield Finish("stop")

    async def run():
        return [d async for d in split_reasoning(source())]

    out = asyncio.run(run())
    reasoning = "".join(d.text for d in out if isinstance(d, ReasoningDelta))
    text = "".join(d.text for d in out if isinstance(d, TextDelta))
    return reasoning, text, out


def cuts(text: str):
    """``text`` cut in two at every place, and in single characters."""
    for i in range(len(text) + 1):
        yield [text[:i], text[i:]]
    yield list(text)


@pytest.mark.parametrize("opening", ["<think>", "<thinking>"])
def test_the_opening_reasoning_is_taken_out_however_the_tags_are_cut(opening):
    closing = "</" + opening[1:]
    answer = f"\n {opening}Two and two.\n{closing}\n\nFour <b>is</b> it."
    for pieces in cuts(answer):
        reasoning, text, out = split(pieces)
        assert (reasoning, text) == ("Two and two.\n", "Four <b>is</b> it."), pieces
        assert isinstance(out[-1], Finish)
        assert all(d.text for d in out if not isinstance(d, Finish)), "no empty pieces"


def test_other_text_passes_as_it_came():
    for answer in ["Plain answer", "<b>bold</b> start", "<thi", "  ", "x <think>later</think>"]:
        for pieces in cuts(answer):
            assert split(pieces)[:2] == ("", answer), pieces
    # Nothing is held back once the opening is not a tag.
    _, _, out = split(["Hello", " there"])
    assert [d.text for d in out[:2]] == ["Hello", " there"]


def test_an_unclosed_reasoning_stays_reasoning():
    assert split(["<think>still going</th"], end=False)[:2] == ("still going</th", "")
    assert split(["<think>cut off"])[:2] == ("cut off", "")


def test_closing_it_closes_the_source():
    closed = []

    async def source():
        try:
            yield TextDelta("<think>a")
            yield TextDelta("b")
        finally:
            closed.append(True)

    async def run():
        stream = split_reasoning(source())
        assert await anext(stream) == ReasoningDelta("a")
        await stream.aclose()

    asyncio.run(run())
    assert closed == [True]
