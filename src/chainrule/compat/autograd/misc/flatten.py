"""``autograd.misc.flatten``: nested containers of arrays to one vector and back.

Built on ``chainrule.ravel_pytree``; both directions are differentiable. As in autograd, the
leaves of a dict are taken in the order of its sorted keys.
"""

from __future__ import annotations

from chainrule._pytree import ravel_pytree

__all__ = ["flatten", "flatten_func"]


def _sorted_dicts(value):
    if isinstance(value, dict):
        return {k: _sorted_dicts(value[k]) for k in sorted(value)}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_sorted_dicts(v) for v in value)
    if isinstance(value, list):
        return [_sorted_dicts(v) for v in value]
    return value


def flatten(value):
    """``(vector, unflatten)``: every array or scalar in ``value`` (nested tuples, lists and
    dicts) raveled into one 1-D array, and the function that rebuilds ``value``'s structure
    from such a vector."""
    return ravel_pytree(_sorted_dicts(value))


def flatten_func(func, example):
    """``(flat_func, unflatten, flat_example)``: ``func`` on nested containers as a function
    of one flat vector."""
    _ex, unflatten = flatten(example)

    def _func(_x, *args):
        return flatten(func(unflatten(_x), *args))[0]

    return _func, unflatten, _ex
