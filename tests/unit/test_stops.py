"""Stop strings applied by the Ollama API for an upstream that takes only four."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jupyter_chat_ext.providers.base import Delta, Finish, TextDelta, Usage
from jupyter_chat_ext.proxy.stops import cut_at_stops, kept_stops


class Upstream:
    """Yields ``deltas``; says whether it was read to its end or closed before."""

    def __init__(self, *deltas: Delta) -> None:
        self.deltas = deltas
        self.closed_early = False

    async def stream(self) -> AsyncIterator[Delta]:
        try:
            for delta in self.deltas:
                yield delta
        except GeneratorExit:
            self.closed_early = True
            raise


async def read(upstream: Upstream, stops: list[str]) -> list[Delta]:
    return [d async for d in cut_at_stops(upstream.stream(), stops)]


def text(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas if isinstance(d, TextDelta))


def test_only_what_openai_cannot_take_is_kept_here():
    params = {"stop": ["a", "b", "c", "d", "e", "", 7, "f"]}
    assert kept_stops(params) == ["e", "f"]
    assert params["stop"] == ["a", "b", "c", "d"]
    for stop in (["a", "b", "c", "d"], "a", None):
        params = {"stop": stop}
        assert kept_stops(params) == [] and params == {"stop": stop}


@pytest.mark.asyncio
async def test_a_stop_string_split_across_pieces_ends_the_answer_before_it():
    upstream = Upstream(
        TextDelta("Here is the code<"), TextDelta("|en"), TextDelta("d|> and more"), Finish("stop")
    )
    deltas = await read(upstream, ["<|end|>"])
    assert text(deltas) == "Here is the code"
    assert deltas[-1] == Finish("stop") and upstream.closed_early


@pytest.mark.asyncio
async def test_the_earliest_of_several_stop_strings_wins():
    upstream = Upstream(TextDelta("one\n\ntwo```three"), Finish("stop"))
    assert text(await read(upstream, ["```", "\n\n"])) == "one"


@pytest.mark.asyncio
async def test_text_that_only_looks_like_a_stop_string_is_sent_whole_in_order():
    pieces = ["a <", "|e", "nd but not", " <|en", "d", "!", "|> at all <|e"]
    upstream = Upstream(*map(TextDelta, pieces), Usage(1, 2, 3), Finish("length"))
    deltas = await read(upstream, ["<|end|>", "<|stop|>"])
    assert text(deltas) == "".join(pieces) and not upstream.closed_early
    # What waited to be told is sent before the usage, which comes in its place.
    assert deltas[-3:] == [TextDelta("<|e"), Usage(1, 2, 3), Finish("length")]


@pytest.mark.asyncio
async def test_text_held_back_is_sent_as_soon_as_it_cannot_begin_a_stop_string():
    upstream = Upstream(TextDelta("ab<"), TextDelta("x"))
    deltas = await read(upstream, ["<end>"])
    assert [d.text for d in deltas] == ["ab", "<x"]


@pytest.mark.asyncio
async def test_log_probabilities_go_with_the_text_they_came_with():
    first = [{"token": "a", "logprob": -0.1}]
    second = [{"token": "<", "logprob": -0.2}]
    upstream = Upstream(TextDelta("a", first), TextDelta("<", second), TextDelta("b"))
    deltas = await read(upstream, ["<stop>"])
    assert deltas == [TextDelta("a", first), TextDelta("<b", second)]
