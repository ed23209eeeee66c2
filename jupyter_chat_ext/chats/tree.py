"""The message tree: which branch to show, and each message's siblings.

Works on a chat's skeleton (id, parent, creation time), which is cheap to load even for a chat
of thousands of messages; contents are loaded afterwards for the branch alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    parent_id: str | None
    created_at: int


class Tree:
    def __init__(self, nodes: Iterable[Node]):
        self.nodes = {n.id: n for n in nodes}
        children: dict[str | None, list[Node]] = defaultdict(list)
        for node in self.nodes.values():
            children[node.parent_id].append(node)
        self.children = {
            parent: [n.id for n in sorted(kids, key=lambda n: (n.created_at, n.id))]
            for parent, kids in children.items()
        }

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.nodes

    def siblings(self, message_id: str) -> list[str]:
        return self.children.get(self.nodes[message_id].parent_id, [message_id])

    def newest_leaf(self, start: str | None = None) -> str | None:
        """Follow the newest child down from ``start`` (or from the newest root)."""
        kids = self.children.get(start, []) if start is not None else self.children.get(None, [])
        cursor = start if start is not None else (kids[-1] if kids else None)
        while cursor is not None and self.children.get(cursor):
            cursor = self.children[cursor][-1]
        return cursor

    def path_to(self, leaf: str | None) -> list[str]:
        """Root-first ids from the root down to ``leaf``."""
        path: list[str] = []
        seen: set[str] = set()
        cursor = leaf
        while cursor is not None and cursor in self.nodes and cursor not in seen:
            seen.add(cursor)  # a corrupt cycle must not hang the server
            path.append(cursor)
            cursor = self.nodes[cursor].parent_id
        path.reverse()
        return path
