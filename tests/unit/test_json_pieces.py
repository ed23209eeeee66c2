"""json_pieces: a model's JSON in pieces, the same bytes as pydantic's whole."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from jupyter_chat_ext.core.json_pieces import json_ends, json_pieces


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


def leaves(count: int) -> list[Leaf]:
    return [Leaf(text=f'"{i}" é\n\u2028') for i in range(count)]


def test_pieces_join_to_the_whole():
    for model in (
        Inner(name="a", leaves=leaves(5)),
        Inner(name="long", leaves=leaves(100)),
        Inner(name="none", leaves=[]),
        OnlyList(items=[]),
        OnlyList(items=[Inner(name="b", leaves=leaves(40)), 7, Inner(name="c", leaves=[])]),
        OnlyList(items=[Inner(name=str(i), leaves=leaves(2)) for i in range(50)]),
    ):
        assert b"".join(json_pieces(model)) == whole(model)


def test_a_long_list_is_split_an_item_at_a_time():
    model = Inner(name="long", leaves=leaves(40))
    pieces = list(json_pieces(model))
    assert pieces[0] == b'{"name":"long","leaves":['
    assert pieces[-1] == b"]}"
    assert len(pieces) == 2 + 40 + 39  # the ends, the items, the commas between them


def test_a_short_list_is_one_piece_unless_an_item_of_it_splits():
    short = Inner(name="short", leaves=leaves(3))
    assert list(json_pieces(short)) == [whole(short)]
    # One chat of a long chat's export: the export's list is short, the chat's is not.
    outer = OnlyList(items=[Inner(name="long", leaves=leaves(40))])
    pieces = list(json_pieces(outer))
    assert pieces[0] == b'{"items":['
    assert pieces[1] == b'{"name":"long","leaves":['
    assert max(map(len, pieces)) < len(whole(outer)) / 10


def test_the_ends_hold_everything_but_the_list():
    assert json_ends(Inner(name="x", leaves=leaves(3))) == (b'{"name":"x","leaves":[', b"]}")
    assert json_ends(OnlyList(items=[])) == (b'{"items":[', b"]}")
