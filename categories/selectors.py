"""Reads of the category tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from categories.models import Category


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    slug: str
    parent_id: int | None
    position: int


@dataclass
class CategoryTree:
    """The whole tree, loaded in one query: lookups by id and slug, children, ancestors."""

    nodes: dict[int, Node]
    by_slug: dict[str, Node] = field(init=False)
    children: dict[int | None, list[Node]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_slug = {node.slug: node for node in self.nodes.values()}
        self.children = {}
        for node in sorted(self.nodes.values(), key=lambda n: (n.position, n.name, n.id)):
            self.children.setdefault(node.parent_id, []).append(node)

    def roots(self) -> list[Node]:
        return self.children.get(None, [])

    def ancestors(self, node: Node) -> list[Node]:
        """Return ``node``'s ancestors, root first (a cycle in bad data ends the walk)."""
        chain: list[Node] = []
        seen = {node.id}
        current = self.nodes.get(node.parent_id) if node.parent_id else None
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = self.nodes.get(current.parent_id) if current.parent_id else None
        return chain[::-1]

    def descendant_ids(self, node: Node) -> list[int]:
        """Return the ids of ``node`` and everything below it."""
        ids, stack, seen = [], [node], set()
        while stack:
            current = stack.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            ids.append(current.id)
            stack.extend(self.children.get(current.id, ()))
        return ids


def category_tree() -> CategoryTree:
    """Return the whole category tree (one SQL query, on a replica)."""
    rows = Category.objects.order_by().values_list("id", "name", "slug", "parent_id", "position")
    return CategoryTree({row[0]: Node(*row) for row in rows})
