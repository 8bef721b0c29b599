"""Writing through a view: the primitive behind in-place changes of views (PyTorch's CopySlices).

``copy_slices(base, value, steps)`` is ``base`` with the part that the view ``steps`` select
replaced by ``value``. ``steps`` is the chain of view primitives from the base to the view, each
``(primitive, saved, params)`` as recorded (see autograd/inplace.py). The result is linear in
``base`` and ``value`` together:

- the base's rules keep the gradient outside the view's region (``where(region, 0, g)``);
- the value's reverse rule reads the view's part of the gradient (the steps' forward rules,
  which accept leading batch axes) and its forward rule places a tangent into the region (the
  steps' reverse rules, in reverse order).
"""

from __future__ import annotations

import numpy as np

from ._core import Primitive, array_of, register, shape_of


def _view_of(array, steps):
    v = array
    for prim, _saved, params in steps:
        v = prim.impl(v, *params)
    return v


def _region(shape, steps):
    """A bool array of the base's shape, True where the view lies."""
    mask = np.zeros(shape, dtype=bool)
    v = _view_of(mask, steps)
    if not np.shares_memory(v, mask):  # pragma: no cover - the steps were views when recorded
        raise RuntimeError("copy_slices: the view steps no longer give a view of the base")
    v[...] = True
    return mask


def _copy_slices_impl(base, value, steps):
    out = np.array(base, copy=True, order="K")  # the same memory order: the steps stay views
    v = _view_of(out, steps)
    if not np.shares_memory(v, out):  # pragma: no cover - see _region
        raise RuntimeError("copy_slices: the view steps no longer give a view of the base")
    v[...] = value
    return out


def _outside(g, shape, steps):
    from .elementwise import where

    return where(_region(shape, steps), 0, g)


def _read_view(g, steps):
    for prim, saved, params in steps:
        g = prim.jvp[0](g, *saved, *params)
    return g


def _place(t, steps):
    for prim, saved, params in reversed(steps):
        t = prim.vjp[0](t, *saved, *params)
    return t


def _place_value(t, shape, steps):
    from .elementwise import where

    # The steps' reverse rules give zeros outside the region already; `where` keeps the tangent
    # exact where a view step would sum (it never does for a writable view).
    return where(_region(shape, steps), _place(t, steps), 0)


def _batch(vals, bat, params, B, pbat):
    """vmap: the value placed into the base's shape by the steps' reverse rules (which take
    leading batch axes), and the base kept outside the view's region: whole-batch operations."""
    from ._conj import astype
    from .elementwise import where
    from .shape import batch_align, batch_broadcast, broadcast_to

    (steps,) = params
    base, value = vals
    shape = np.shape(array_of(base))[1:] if bat[0] else np.shape(array_of(base))
    view_shape = np.shape(_view_of(np.empty(shape, dtype=bool), steps))
    if bat[1]:  # NumPy's assignment broadcasts the value to the view's shape
        value = broadcast_to(batch_align(value, len(view_shape)), (B,) + view_shape)
    else:
        value = batch_broadcast(broadcast_to(value, view_shape), B)
    base = base if bat[0] else batch_broadcast(base, B)
    dtype = array_of(base).dtype
    return where(_region(shape, steps), astype(_place(astype(value, dtype), steps), dtype), base)


COPY_SLICES = Primitive(
    "copy_slices", _copy_slices_impl, nin=2, save=(shape_of(0),),
    vjp=(lambda g, shape, steps: _outside(g, shape, steps),
         lambda g, shape, steps: _read_view(g, steps)),
    jvp=(lambda t, shape, steps: _outside(t, shape, steps),
         lambda t, shape, steps: _place_value(t, shape, steps)),
    batch=_batch,
)
register(COPY_SLICES)
