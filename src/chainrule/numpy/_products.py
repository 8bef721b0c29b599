"""NumPy's products, differentiable: ``dot``, ``vdot``, ``inner``, ``outer``, ``matmul``,
``vecdot``, ``matvec``, ``vecmat``, ``tensordot``, ``einsum``, ``kron`` and ``cross``.
"""

from __future__ import annotations

import builtins
import operator
import warnings

import numpy as np

from .. import composite as C
from ..primitives import elementwise as E
from ..primitives import linalg as L
from ..primitives import shape as S
from ..primitives.complex import conj
from ._shape import moveaxis
from ._wrappers import PY_SCALARS, as_array, data_of, no_out, numpy_unless_tensor, public_functions

_NV = np._NoValue  # NumPy's "argument not given" marker, kept so signatures match NumPy's


def _strong(x):
    """``_arr``, with Python numbers made arrays (for functions where NumPy does so)."""
    x = as_array(x)
    return np.asarray(x) if type(x) in PY_SCALARS else x


# --- products ------------------------------------------------------------------------------------
@numpy_unless_tensor(np.dot)
def dot(a, b, out=None):
    """``numpy.dot``."""
    no_out(out, "dot")
    a, b = _strong(a), _strong(b)
    da, db = data_of(a), data_of(b)
    if da.ndim and db.ndim and da.shape[-1] != db.shape[-2 if db.ndim > 1 else -1]:
        raise ValueError(f"dot: shapes {da.shape} and {db.shape} not aligned: "
                         f"{da.shape[-1]} (dim {da.ndim - 1}) != "
                         f"{db.shape[-2 if db.ndim > 1 else -1]} "
                         f"(dim {db.ndim - 2 if db.ndim > 1 else 0})")
    return C.dot(a, b)


@numpy_unless_tensor(np.vdot)
def vdot(a, b, /):
    """``numpy.vdot``: the dot product of the flattened arrays, the first conjugated."""
    a, b = S.reshape(conj(as_array(a)), (-1,)), S.reshape(as_array(b), (-1,))
    if data_of(a).size != data_of(b).size:
        raise ValueError(f"vdot: vectors have different lengths ({data_of(a).size} and "
                         f"{data_of(b).size})")
    return L.matmul(a, b)


@numpy_unless_tensor(np.inner)
def inner(a, b, /):
    """``numpy.inner``: a sum over the last axes."""
    a, b = _strong(a), _strong(b)
    da, db = data_of(a), data_of(b)
    if da.ndim == 0 or db.ndim == 0:
        return a * b
    if da.shape[-1] != db.shape[-1]:
        raise ValueError(f"inner: shapes {da.shape} and {db.shape} not aligned: the last "
                         f"dimensions ({da.shape[-1]} and {db.shape[-1]}) must match")
    return C.tensordot(a, b, ([-1], [-1]))


@numpy_unless_tensor(np.outer)
def outer(a, b, out=None):
    """``numpy.outer``: of the flattened inputs."""
    no_out(out, "outer")
    return S.reshape(as_array(a), (-1, 1)) * S.reshape(as_array(b), (1, -1))


@numpy_unless_tensor(np.matmul)
def matmul(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.matmul`` (``axes``, ``axis``, ``keepdims`` and ``signature`` are not supported
    for tensors)."""
    no_out(out, "matmul")
    if axes is not _NV or axis is not _NV or keepdims or signature is not None:
        raise NotImplementedError("matmul: axes=, axis=, keepdims= and signature= are not "
                                  "supported for tensors; move the axes with moveaxis first")
    x1, x2 = as_array(x1), as_array(x2)
    if dtype is not None:
        x1, x2 = E.astype(x1, dtype), E.astype(x2, dtype)
    return L.matmul(x1, x2)


def _gufunc(op, x1, x2, out, axes, axis, keepdims, signature, dtype, spec, core):
    no_out(out, op)
    if axes is not _NV or keepdims or signature is not None or (axis is not _NV and core != 1):
        raise NotImplementedError(f"{op}: axes=, keepdims= and signature= are not supported "
                                  f"for tensors; move the axes with moveaxis first")
    x1, x2 = as_array(x1), as_array(x2)
    if dtype is not None:
        x1, x2 = E.astype(x1, dtype), E.astype(x2, dtype)
    if axis is not _NV:  # vecdot: the contracted axis moved last
        x1 = moveaxis(x1, S.normalize_dim(axis, data_of(x1).ndim, op), -1)
        x2 = moveaxis(x2, S.normalize_dim(axis, data_of(x2).ndim, op), -1)
    s1, s2 = data_of(x1).shape, data_of(x2).shape
    k1 = s1[-1] if s1 else None
    k2 = (s2[-2] if len(s2) > 1 else None) if spec == "...i,...ij->...j" else (s2[-1] if s2
                                                                                 else None)
    if k1 is None or k2 is None or k1 != k2:
        raise ValueError(f"{op}: the core dimensions of shapes {s1} and {s2} do not match "
                         f"(signature {spec})")
    if op in ("vecdot", "vecmat"):  # NumPy conjugates the vector operand (a no-op when real)
        x1 = conj(x1)
    return L.einsum(spec, x1, x2)


@numpy_unless_tensor(np.vecdot)
def vecdot(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.vecdot``: the dot product over the last axis (or ``axis``), broadcasting the
    others; the first operand is conjugated."""
    return _gufunc("vecdot", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...i,...i->...", 1)


@numpy_unless_tensor(np.matvec)
def matvec(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.matvec``: matrices (..., m, n) times vectors (..., n), broadcasting."""
    if data_of(x1).ndim < 2:
        raise ValueError(f"matvec: the first operand must be a stack of matrices, got shape "
                         f"{data_of(x1).shape}")
    return _gufunc("matvec", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...ij,...j->...i", 2)


@numpy_unless_tensor(np.vecmat)
def vecmat(x1, x2, /, out=None, *, axes=_NV, axis=_NV, keepdims=False, casting="same_kind",
           order="K", dtype=None, subok=True, signature=None):
    """``numpy.vecmat``: vectors (..., m) times matrices (..., m, n), broadcasting."""
    if data_of(x2).ndim < 2:
        raise ValueError(f"vecmat: the second operand must be a stack of matrices, got shape "
                         f"{data_of(x2).shape}")
    return _gufunc("vecmat", x1, x2, out, axes, axis, keepdims, signature, dtype,
                   "...i,...ij->...j", 2)


@numpy_unless_tensor(np.tensordot)
def tensordot(a, b, axes=2):
    """``numpy.tensordot``."""
    a, b = as_array(a), as_array(b)
    sa, sb = data_of(a).shape, data_of(b).shape
    if isinstance(axes, (int, np.integer)):
        axa, axb = list(range(len(sa) - axes, len(sa))), list(range(int(axes)))
    else:
        axa, axb = axes
        axa = [axa] if isinstance(axa, (int, np.integer)) else list(axa)
        axb = [axb] if isinstance(axb, (int, np.integer)) else list(axb)
    if len(axa) != len(axb) or builtins.any(
            sa[i] != sb[j] for i, j in zip(axa, axb)):
        raise ValueError(f"tensordot: shape-mismatch for sum: axes {axa} of shape {sa} and "
                         f"axes {axb} of shape {sb} must have equal lengths")
    return C.tensordot(a, b, (axa, axb))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = operator.index(s)
            if not 0 <= s < 52:
                raise ValueError(f"einsum: subscript {s} is not within the valid range [0, 52)")
            out.append(_LETTERS[s])
    return "".join(out)


@numpy_unless_tensor(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """``numpy.einsum``: the string form (implicit output and ellipses included) and the
    sublist form; ``optimize`` is accepted (the contraction order is chosen internally). As in
    NumPy, a list after the subscripts is one array-like operand (tensors in it are stacked
    differentiably); ``chainrule.einsum`` reads it as the list of operands (torch.einsum)."""
    no_out(out, "einsum")
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("casting", None)
    kwargs.pop("order", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:  # sublist form: op, sublist, op, sublist, ..., [output sublist]
        items = list(operands)
        ops, subs = items[0::2], items[1::2]
        if len(ops) > len(subs):
            subscripts = ",".join(_sublist(s) for s in subs) + "->" + _sublist(ops.pop())
        else:
            subscripts = ",".join(_sublist(s) for s in subs)
    ops = [as_array(o) for o in ops]
    if dtype is not None:
        ops = [E.astype(o, dtype) for o in ops]
    return L.einsum(subscripts, *ops)


@numpy_unless_tensor(np.kron)
def kron(a, b):
    """``numpy.kron``: the Kronecker product."""
    a, b = as_array(a), as_array(b)
    sa, sb = data_of(a).shape, data_of(b).shape
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    ai = S.reshape(a, tuple(v for n in sa for v in (n, 1)))
    bi = S.reshape(b, tuple(v for n in sb for v in (1, n)))
    return S.reshape(ai * bi, tuple(x * y for x, y in zip(sa, sb)))


@numpy_unless_tensor(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross`` of 3-vectors (and of 2-vectors, deprecated in NumPy 2)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_array(a), as_array(b)
    a = moveaxis(a, S.normalize_dim(axisa, data_of(a).ndim, "cross"), -1)
    b = moveaxis(b, S.normalize_dim(axisb, data_of(b).ndim, "cross"), -1)
    na, nb = data_of(a).shape[-1], data_of(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be "
                         f"2 or 3), got {na} and {nb}")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    ca = [S.getitem(a, (Ellipsis, i)) for i in range(na)]
    cb = [S.getitem(b, (Ellipsis, i)) for i in range(nb)]
    z = ca[0] * cb[1] - ca[1] * cb[0]
    if na == 2 and nb == 2:
        return z
    if na == 2:
        x, y = ca[1] * cb[2], -(ca[0] * cb[2])
    elif nb == 2:
        x, y = -(ca[2] * cb[1]), ca[2] * cb[0]
    else:
        x, y = ca[1] * cb[2] - ca[2] * cb[1], ca[2] * cb[0] - ca[0] * cb[2]
    shape = np.broadcast_shapes(data_of(x).shape, data_of(y).shape, data_of(z).shape)
    cp = C.stack([S.broadcast_to(c, shape) for c in (x, y, z)], axis=-1)
    return moveaxis(cp, -1, S.normalize_dim(axisc, len(shape) + 1, "cross"))

__all__: list[str] = public_functions(globals(), __name__)
