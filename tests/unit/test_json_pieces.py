"""json_pieces: a model's JSON in pieces, the same bytes as pydantic's whole."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from jupyter_chat_ext.core.json_pieces import json_pieces


class Leaf(BaseModel):
    text: str


class Inner(BaseModel):
    streamed_field: ClassVar[str] = "leaves"
    name: str
    leaves: list[Leaf]


class OnlyList(BaseModel):
    streamed_field: ClassVar[str] = "items"
    items: list[Inner | int]


def whole(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


def test_pieces_join_to_the_whole():
    leaves = [Leaf(text=f'"{i}" é\n\u2028') for i in range(5)]
    for model in (
        Inner(name="a", leaves=leaves),
        Inner(name="none", leaves=[]),
        OnlyList(items=[]),
        OnlyList(items=[Inner(name="b", leaves=leaves), 7, Inner(name="c", leaves=[])]),
    ):
        pieces = list(json_pieces(model))
        assert b"".join(pieces) == whole(model)


def test_the_list_is_split_an_item_at_a_time():
    model = OnlyList(items=[Inner(name="b", leaves=[Leaf(text="x")] * 3), 1, 2])
    pieces = list(json_pieces(model))
    assert pieces[0] == b'{"items":['
    assert b'{"text":"x"}' in pieces
    assert pieces[-1] == b"]}"
    assert max(map(len, pieces)) < len(whole(model)) / 2
