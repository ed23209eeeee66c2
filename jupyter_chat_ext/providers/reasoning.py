"""Reasoning written into the text. Some models, and servers that do not take it apart, open
an answer with ``<think>...</think>``; taken out here, it is kept and shown as reasoning, and
the answer is what follows. Only an answer's opening is looked at: a tag later on is text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from .base import Delta, ReasoningDelta, TextDelta

_OPENINGS = ("<think>", "<thinking>")


class ThinkTags:
    """Splits a stream of text pieces; a tag may arrive cut across pieces."""

    def __init__(self) -> None:
        # "start": not yet known whether the answer opens with a tag; "inside": in the
        # reasoning; "gap": the whitespace after it; "text": the rest passes as it comes.
        self.state = "start"
        self.held = ""
        self.close = ""

    def feed(self, delta: TextDelta) -> list[Delta]:
        if self.state == "text":
            return [delta]
        text = self.held + delta.text
        self.held = ""
        if self.state == "start":
            return self._start(text)
        if self.state == "inside":
            return self._inside(text)
        return self._gap(text)

    def end(self) -> list[Delta]:
        """What is still held when the stream ends: an unclosed reasoning stays reasoning."""
        held, self.held = self.held, ""
        if not held:
            return []
        if self.state == "inside":
            return [ReasoningDelta(held)]
        self.state = "text"
        return [TextDelta(held)]

    def _start(self, text: str) -> list[Delta]:
        opening = text.lstrip()
        for tag in _OPENINGS:
            if opening.startswith(tag):
                self.state, self.close = "inside", "</" + tag[1:]
                return self._inside(opening[len(tag) :])
        if not opening or any(tag.startswith(opening) for tag in _OPENINGS):
            self.held = text  # too short to tell yet
            return []
        self.state = "text"
        return [TextDelta(text)]

    def _inside(self, text: str) -> list[Delta]:
        found = text.find(self.close)
        if found >= 0:
            self.state = "gap"
            thought = [ReasoningDelta(text[:found])] if found else []
            return thought + self._gap(text[found + len(self.close) :])
        keep = _partial_suffix(text, self.close)
        self.held = text[len(text) - keep :] if keep else ""
        thought = text[: len(text) - keep]
        return [ReasoningDelta(thought)] if thought else []

    def _gap(self, text: str) -> list[Delta]:
        # The blank lines between the reasoning and the answer belong to neither.
        text = text.lstrip()
        if not text:
            return []
        self.state = "text"
        return [TextDelta(text)]


def _partial_suffix(text: str, tag: str) -> int:
    """How many trailing characters of ``text`` could be the start of ``tag``."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


async def split_reasoning(deltas: AsyncIterator[Delta]) -> AsyncIterator[Delta]:
    """``deltas`` with reasoning written as ``<think>`` tags turned into reasoning deltas,
    and the reasoning starting at its first word: the blank lines before it, or an empty
    ``<think>\n\n</think>`` (a model told not to think), are no reasoning."""
    tags = ThinkTags()
    thinking = False

    def opening(pieces: list[Delta]) -> list[Delta]:
        nonlocal thinking
        out = []
        for piece in pieces:
            if isinstance(piece, ReasoningDelta) and not thinking:
                piece = ReasoningDelta(piece.text.lstrip())
                if not piece.text:
                    continue
                thinking = True
            out.append(piece)
        return out

    # Closing this closes ``deltas`` with it (and so the upstream request).
    async with aclosing(deltas):  # type: ignore[type-var]
        async for delta in deltas:
            pieces = tags.feed(delta) if isinstance(delta, TextDelta) else [*tags.end(), delta]
            for piece in opening(pieces):
                yield piece
    for piece in opening(tags.end()):
        yield piece
