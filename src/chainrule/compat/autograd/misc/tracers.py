"""``autograd.misc.tracers``: ``const_graph``.

autograd's ``const_graph`` records the primitives of one call and replays them on later calls.
chainrule keeps no replayable trace of primitive calls, so here ``const_graph`` gives the same
values by calling the function each time (no speed-up). ``full_graph`` is not available.
"""

from __future__ import annotations

import functools

__all__ = ["const_graph", "const_graph_unary", "full_graph"]


def const_graph_unary(fun):
    return fun


def const_graph(fun, *args, **kwargs):
    """``fun`` with ``args`` and ``kwargs`` bound first (values are recomputed on each call)."""
    bound = functools.partial(fun, *args, **kwargs)

    @functools.wraps(fun)
    def _fun(*rest):
        return bound(*rest)

    return _fun


def full_graph(fun, *args, **kwargs):
    raise NotImplementedError("autograd.misc.tracers.full_graph: chainrule records its own "
                              "graph (chainrule.viz.draw_graph draws it); autograd's node "
                              "objects are not available")
