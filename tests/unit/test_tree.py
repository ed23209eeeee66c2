"""Branch selection over the message tree."""

from __future__ import annotations

from jupyter_chat_ext.chats.tree import Node, Tree


def tree() -> Tree:
    # q1 -> a1, a2 (newer); q1b (a newer root) -> b1
    return Tree(
        [
            Node("q1", None, 1),
            Node("a1", "q1", 2),
            Node("a2", "q1", 3),
            Node("q1b", None, 4),
            Node("b1", "q1b", 5),
        ]
    )


def test_newest_leaf_and_paths():
    t = tree()
    assert t.newest_leaf() == "b1"
    assert t.newest_leaf("q1") == "a2"
    assert t.newest_leaf("a1") == "a1"
    assert t.path_to("a1") == ["q1", "a1"]
    assert t.path_to(None) == []
    assert t.siblings("a2") == ["a1", "a2"]
    assert t.siblings("q1b") == ["q1", "q1b"]


def test_empty_tree_and_cycles_terminate():
    assert Tree([]).newest_leaf() is None
    looped = Tree([Node("x", "y", 1), Node("y", "x", 2)])
    assert looped.path_to("x") == ["y", "x"]
