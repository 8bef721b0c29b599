"""``autograd.numpy.numpy_vjps``: the helpers that hand-written reverse rules import from it
(``unbroadcast_f``, ``unbroadcast``, ``match_complex``, ``balanced_eq``, ``replace_zero``,
``repeat_to_match_shape``). They are written with the differentiable namespace, so rules built
from them can be differentiated again."""

from __future__ import annotations

import numpy as _onp

import chainrule.numpy as _np

__all__ = ["unbroadcast", "unbroadcast_f", "match_complex", "balanced_eq", "replace_zero",
           "repeat_to_match_shape"]


def _meta(x):
    from chainrule.autograd.dispatch import is_tensor

    d = x._data if is_tensor(x) else _onp.asarray(x)
    return d.shape, d.ndim, d.dtype, _onp.iscomplexobj(d)


def match_complex(target, x):
    """``x`` made real when ``target`` is real (its real part)."""
    target_iscomplex = target[3] if isinstance(target, tuple) else _meta(target)[3]
    x_iscomplex = _meta(x)[3]
    if x_iscomplex and not target_iscomplex:
        return _np.real(x)
    if not x_iscomplex and target_iscomplex:
        return x + 0j
    return x


def unbroadcast(x, target_meta, broadcast_idx=0):
    """Sum ``x`` back to the shape of ``target_meta`` = (shape, ndim, dtype, iscomplex)."""
    target_shape, target_ndim, _, target_iscomplex = target_meta
    while _np.ndim(x) > target_ndim:
        x = _np.sum(x, axis=broadcast_idx)
    for axis, size in enumerate(target_shape):
        if size == 1:
            x = _np.sum(x, axis=axis, keepdims=True)
    if _meta(x)[3] and not target_iscomplex:
        x = _np.real(x)
    return x


def unbroadcast_f(target, f):
    """``g -> unbroadcast(f(g), target's shape)``."""
    target_meta = _meta(target)
    return lambda g: unbroadcast(f(g), target_meta)


def balanced_eq(x, z, y):
    return (x == z) / (1.0 + (x == y))


def replace_zero(x, val):
    return _np.where(x, x, val)


def repeat_to_match_shape(g, shape, dtype, axis, keepdims):
    """``g`` (a reduction's cotangent) broadcast back to ``shape``; also returns the count of
    elements each entry of ``g`` stands for."""
    if shape == ():
        return g, 1
    axis = list(axis) if isinstance(axis, list) else axis
    new_shape = _onp.array(shape)
    new_shape[axis] = 1
    num_reps = int(_onp.prod(_onp.array(shape)[axis]))
    return _np.broadcast_to(_np.reshape(g, tuple(new_shape)), shape), num_reps
