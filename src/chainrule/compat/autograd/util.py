"""autograd.util: small helpers (``subvals``, ``subval``, ``func``, ``toposort``) and the
deprecated ``quick_grad_check``."""

from __future__ import annotations

import warnings

from .wrap_util import subval, subvals

__all__ = ["subvals", "subval", "func", "toposort", "quick_grad_check"]


def func(f):
    return f


def toposort(end_node, parents=lambda n: n.parents):
    """The nodes reachable from ``end_node`` through ``parents``, each after all of its
    children (children first)."""
    pending: dict = {}
    stack = [end_node]
    while stack:
        node = stack.pop()
        if node in pending:
            pending[node] += 1
            continue
        pending[node] = 1
        stack.extend(parents(node))
    ready = [end_node]
    while ready:
        node = ready.pop()
        yield node
        for p in parents(node):
            pending[p] -= 1
            if pending[p] == 0:
                ready.append(p)


def quick_grad_check(fun, arg0, extra_args=(), kwargs=None, verbose=True, eps=1e-4, rtol=1e-4,
                     atol=1e-6, rs=None):
    """Deprecated: use ``autograd.test_util.check_grads``."""
    warnings.warn("The quick_grad_check function is deprecated. See the update guide: "
                  "https://github.com/HIPS/autograd/blob/master/docs/updateguide.md",
                  stacklevel=2)
    from .test_util import check_grads

    kwargs = kwargs or {}
    check_grads(lambda a: fun(a, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)
