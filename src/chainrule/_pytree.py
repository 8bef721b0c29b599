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


def ravel_pytree(tree):
    """``(flat, unravel)``: the leaves of ``tree`` raveled and joined into one vector, and the
    function that turns such a vector back into a tree of ``tree``'s structure, shapes and
    dtypes (JAX's ``ravel_pytree``).

    Both directions are differentiable: ``flat`` is a tensor when a leaf is, and ``unravel``
    slices and reshapes with chainrule operations. Leaves are taken in ``flatten``'s order
    (dict keys in insertion order). The vector's dtype is the leaves' common one (float64
    for none); ``unravel`` casts each piece back to its leaf's dtype.
    """
    import numpy as np

    from .autograd.dispatch import is_tensor
    from .primitives.shape import concatenate, reshape

    leaves, td = flatten(tree)
    datas = [x._data if is_tensor(x) else np.asarray(x) for x in leaves]
    shapes = [d.shape for d in datas]
    dtypes = [d.dtype for d in datas]
    sizes = [d.size for d in datas]
    common = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
    if any(is_tensor(x) for x in leaves):
        parts = [reshape(x if is_tensor(x) else np.asarray(x, dtype=common), (-1,))
                 for x in leaves]
        parts = [p if p.dtype == common else p.astype(common) for p in parts]
        flat = concatenate(parts, 0)
    else:
        flat = (np.concatenate([d.ravel().astype(common, copy=False) for d in datas])
                if datas else np.zeros(0, dtype=common))

    def unravel(vector):
        n = vector._data.size if is_tensor(vector) else np.size(vector)
        if n != sum(sizes):
            raise ValueError(f"ravel_pytree's unravel: got a vector of {n} elements for a tree "
                             f"of {sum(sizes)}")
        out, start = [], 0
        for shape, dt, size in zip(shapes, dtypes, sizes):
            piece = vector[start:start + size]
            start += size
            if is_tensor(piece):
                piece = reshape(piece, shape)
                if piece.dtype != dt and np.issubdtype(dt, np.inexact):
                    piece = piece.astype(dt)
            else:
                piece = np.asarray(piece).reshape(shape)
                if piece.dtype != dt:
                    piece = piece.astype(dt)
                if piece.ndim == 0:
                    piece = piece[()]
            out.append(piece)
        return unflatten(td, out)

    return flat, unravel
