"""Nested containers (tuples, lists, dicts, namedtuples) of arrays: flatten and rebuild."""

from __future__ import annotations


class TreeDef:
    """The shape of a nested container, enough to rebuild it from its leaves."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta=None, children=()):
        self.kind, self.meta, self.children = kind, meta, children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __repr__(self):
        return f"TreeDef({self.kind}, {len(self.children)} children)"


LEAF = TreeDef("leaf")


def flatten(tree):
    """``(leaves, treedef)``: the leaves in order, and what rebuilds the container."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # namedtuple
        return TreeDef("namedtuple", type(tree), tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, (tuple, list)):
        return TreeDef(type(tree).__name__, None, tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves):
    """Rebuild a container of ``treedef``'s shape from ``leaves``."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td, it):
    if td.kind == "leaf":
        return next(it)
    items = [_unflatten(c, it) for c in td.children]
    if td.kind == "namedtuple":
        return td.meta(*items)
    if td.kind == "tuple":
        return tuple(items)
    if td.kind == "list":
        return items
    return dict(zip(td.meta, items))


def tree_map(fn, tree):
    leaves, td = flatten(tree)
    return unflatten(td, [fn(x) for x in leaves])
