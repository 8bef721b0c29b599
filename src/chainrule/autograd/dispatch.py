"""Recording: apply a primitive to tensors and, when a gradient is wanted, add a node.

This is the hot path of every operation on tensors; each attribute lookup here is paid once per
operation. The tensor class is handed in by ``chainrule.tensor`` (the layer above) at import.
"""

from __future__ import annotations

import numpy as np

from ..primitives import _core
from .grad_mode import state
from .graph import Node

_ndarray = np.ndarray
_asarray = np.asarray
Tensor = None
_new = None
_tensor_types = _core.tensor_types


def install_tensor_type(cls) -> None:
    global Tensor, _new
    Tensor = cls
    _new = cls.__new__
    _core.install(record, record1, record2, (cls,))


def wrap(data, edge=None):
    """A tensor around ``data`` (no copy) whose gradient flows into ``edge``."""
    t = _new(Tensor)
    t._data = data
    t._edge = edge
    t._grad = None
    t._meta = None
    return t


def record(prim, inputs, params):
    datas = []
    edges = []
    live = False
    tt = _tensor_types
    for a in inputs:
        if type(a) in tt:
            datas.append(a._data)
            e = a._edge
            if e is not None:
                live = True
            edges.append(e)
        else:
            datas.append(a)
            edges.append(None)
    try:
        out = prim.impl(*datas, *params)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, datas, exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    if live and state.grad_enabled and prim.vjp is not None:
        shapes = None
        if prim.elementwise and len(datas) > 1:
            oshape = out.shape
            for d, e in zip(datas, edges):
                if e is not None and d.shape != oshape:
                    shapes = tuple(np.shape(d) for d in datas)
                    break
        saver = prim.saver
        saved = saver(datas, out) + params if saver is not None else params
        t._edge = (Node(prim, tuple(edges), saved, shapes), 0)
    else:
        t._edge = None
    return t


def record1(prim, x):
    """``record`` for one tensor input and no parameters (unary elementwise operations)."""
    xd = x._data
    try:
        out = prim.impl(xd)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, [xd], exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    e = x._edge
    if e is not None and state.grad_enabled and prim.vjp is not None:
        saver = prim.saver
        t._edge = (Node(prim, (e,), saver((xd,), out) if saver is not None else (), None), 0)
    else:
        t._edge = None
    return t


def record2(prim, a, b):
    """``record`` for two inputs (at least one a tensor) and no parameters."""
    tt = _tensor_types
    if type(a) in tt:
        ad = a._data
        ea = a._edge
    else:
        ad = a
        ea = None
    if type(b) in tt:
        bd = b._data
        eb = b._edge
    else:
        bd = b
        eb = None
    try:
        out = prim.impl(ad, bd)
    except (ValueError, TypeError, IndexError) as exc:
        raise _operation_error(prim, [ad, bd], exc) from None
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _new(Tensor)
    t._data = out
    t._grad = None
    t._meta = None
    if (ea is not None or eb is not None) and state.grad_enabled and prim.vjp is not None:
        shapes = None
        if prim.elementwise:
            oshape = out.shape
            if (ea is not None and ad.shape != oshape) or (eb is not None and bd.shape != oshape):
                shapes = (np.shape(ad), np.shape(bd))
        saver = prim.saver
        saved = saver((ad, bd), out) if saver is not None else ()
        t._edge = (Node(prim, (ea, eb), saved, shapes), 0)
    else:
        t._edge = None
    return t


def _operation_error(prim, datas, exc):
    """Re-raise a kernel's error naming the operation and what it was given."""
    msg = str(exc)
    if msg.startswith(prim.name + ":"):
        return type(exc)(msg)
    desc = ", ".join(
        f"{tuple(d.shape)} {d.dtype}" if hasattr(d, "shape") else type(d).__name__ for d in datas
    )
    try:
        return type(exc)(f"{prim.name}: {msg} (inputs: {desc})")
    except Exception:  # an exception type with an unusual constructor
        return RuntimeError(f"{prim.name}: {msg} (inputs: {desc})")
