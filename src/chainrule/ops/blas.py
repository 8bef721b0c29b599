"""PyTorch-spelled products (see chainrule/ops/__init__.py): the mm/bmm/mv family and its
``add*`` forms, outer and inner products, kron, tensordot, einsum, cross, cdist, cov and
corrcoef, composed from matmul, einsum and the elementwise primitives."""

from __future__ import annotations

import numpy as np

from .. import composite as C
from ..primitives import shape as S
from ..primitives._conj import conj
from ..primitives._core import array_of, data_of
from ..primitives.complex import abs2
from ..primitives.elementwise import abs as _abs
from ..primitives.elementwise import clip, sqrt, where
from ..primitives.linalg import einsum as _einsum
from ..primitives.linalg import matmul as _matmul
from ..primitives.reduction import amax
from ..primitives.reduction import sum as _sum
from .shape import constant, diagonal, shape_of

_data = array_of

__all__ = [
    "mm", "bmm", "mv", "addmm", "addmv", "addbmm", "baddbmm", "addr", "outer", "ger", "inner",
    "dot", "vdot", "matmul", "chain_matmul", "kron", "tensordot", "einsum", "cross", "cdist",
    "cov", "corrcoef",
]


def _need(x, nd, op, name="input"):
    s = shape_of(x)
    if len(s) != nd:
        raise ValueError(f"{op}: {name} must be {nd}-D, got shape {s}")
    return s


def _mat_check(sa, sb, op):
    if sa[-1] != sb[0 if len(sb) == 1 else -2]:
        raise ValueError(f"{op}: shapes {sa} and {sb} cannot be multiplied ({sa[-1]} columns "
                         f"against {sb[0 if len(sb) == 1 else -2]} rows)")


def _scaled_sum(input, prod, beta, alpha):
    """``beta * input + alpha * prod``; beta = 0 ignores input (nan and inf included), as in
    PyTorch."""
    p = prod if alpha == 1 else alpha * prod
    if beta == 0:
        return S.broadcast_to(p, np.broadcast_shapes(shape_of(input), shape_of(p)))
    return (input if beta == 1 else beta * input) + p


def matmul(input, other):
    """The matrix product with NumPy's (and PyTorch's) broadcasting and 1-D rules."""
    return _matmul(input, other)


def mm(input, mat2):
    """The product of two matrices (2-D only)."""
    sa, sb = _need(input, 2, "mm"), _need(mat2, 2, "mm", "mat2")
    _mat_check(sa, sb, "mm")
    return _matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    sa, sb = _need(input, 3, "bmm"), _need(mat2, 3, "bmm", "mat2")
    if sa[0] != sb[0]:
        raise ValueError(f"bmm: batch sizes differ: shapes {sa} and {sb}")
    _mat_check(sa, sb, "bmm")
    return _matmul(input, mat2)


def mv(input, vec):
    """Matrix times vector."""
    sa, sb = _need(input, 2, "mv"), _need(vec, 1, "mv", "vec")
    _mat_check(sa, sb, "mv")
    return _matmul(input, vec)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    _need(batch1, 3, "addbmm", "batch1")
    _need(batch2, 3, "addbmm", "batch2")
    return _scaled_sum(input, _einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


def outer(input, vec2):
    """The outer product of two 1-D tensors."""
    _need(input, 1, "outer")
    _need(vec2, 1, "outer", "vec2")
    return S.reshape(input, (-1, 1)) * S.reshape(vec2, (1, -1))


ger = outer


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def dot(input, other):
    """The scalar product of two 1-D tensors of one length (no conjugation), as ``torch.dot``.
    Other shapes, which PyTorch refuses, follow ``numpy.dot`` (docs/pytorch.md)."""
    sa, sb = shape_of(input), shape_of(other)
    if len(sa) != 1 or len(sb) != 1:
        return C.dot(input, other)
    if sa != sb:
        raise ValueError(f"dot: the tensors must have the same length, got {sa} and {sb}")
    return _matmul(input, other)


def vdot(input, other):
    """``dot(conj(input), other)``."""
    return dot(conj(input), other)


def inner(input, other):
    """The sum over the last dims of the two tensors (a product when either is 0-D)."""
    sa, sb = shape_of(input), shape_of(other)
    if not sa or not sb:
        return input * other
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: the last dims must match, got shapes {sa} and {sb}")
    return C.tensordot(input, other, ([-1], [-1]))


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (``torch.linalg.multi_dot`` is the newer
    spelling)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise ValueError("chain_matmul: expects at least one matrix")
    out = matrices[0]
    _need(out, 2, "chain_matmul", "each matrix")
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def kron(input, other):
    """The Kronecker product (tensors of any number of dims; the smaller gets leading 1s)."""
    sa, sb = shape_of(input), shape_of(other)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a = S.reshape(input, tuple(v for n in sa for v in (n, 1)))
    b = S.reshape(other, tuple(v for n in sb for v in (1, n)))
    return S.reshape(a * b, tuple(m * n for m, n in zip(sa, sb)))


def tensordot(a, b, dims=2, out=None, *, axes=None):
    """Contract ``dims`` (an int: the last of ``a`` with the first of ``b``; or two lists of
    dims). NumPy's ``axes=`` is accepted too."""
    if out is not None:
        raise TypeError("tensordot: out= is not supported; assign the result instead")
    d = data_of(dims if axes is None else axes)
    if isinstance(d, np.ndarray):
        d = int(d) if d.ndim == 0 else d.tolist()
    if not isinstance(d, (int, np.integer)):
        # PyTorch lets a contracted dim of length 1 meet any length: broadcast it first
        sa, sb = list(shape_of(a)), list(shape_of(b))
        pa = [d[0]] if isinstance(d[0], (int, np.integer)) else list(d[0])
        pb = [d[1]] if isinstance(d[1], (int, np.integer)) else list(d[1])
        for i, j in zip(pa, pb):
            if sa[i] == 1 and sb[j] != 1:
                sa[i] = sb[j]
            elif sb[j] == 1 and sa[i] != 1:
                sb[j] = sa[i]
        a, b = S.broadcast_to(a, tuple(sa)), S.broadcast_to(b, tuple(sb))
    return C.tensordot(a, b, d)


def einsum(equation, *operands):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)``, operands as a list, or the sublist
    form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if not isinstance(equation, str):  # sublist form
        args = (equation,) + operands
        out = args[-1] if len(args) % 2 else None
        args = args[:-1] if len(args) % 2 else args
        ops, subs = list(args[0::2]), list(args[1::2])

        def letters(sub):
            return "".join("..." if s is Ellipsis else
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(s)]
                           for s in sub)
        equation = ",".join(letters(s) for s in subs)
        if out is not None:
            equation += "->" + letters(out)
        operands = tuple(ops)
    return _einsum(equation.replace(" ", ""), *operands)  # a list of operands: it unpacks it


def cross(input, other, dim: int | None = None):
    """The cross product of 3-vectors along ``dim`` (default: the first dim of length 3, as
    ``torch.cross`` without dim; ``torch.linalg.cross`` uses -1)."""
    shape = np.broadcast_shapes(shape_of(input), shape_of(other))
    if dim is None:
        dims = [k for k, n in enumerate(shape) if n == 3]
        if not dims:
            raise ValueError(f"cross: no dim of length 3 in the shape {shape}")
        dim = dims[0]
    d = S.normalize_dim(dim, len(shape), "cross")
    if shape[d] != 3:
        raise ValueError(f"cross: dim {dim} has length {shape[d]}, expected 3 (shape {shape})")
    a, b = S.broadcast_to(input, shape), S.broadcast_to(other, shape)
    lead = (slice(None),) * d

    def part(x, i):
        return S.getitem(x, lead + (slice(i, i + 1),))
    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    return S.concatenate([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def cdist(x1, x2, p: float = 2.0, compute_mode=None):
    """The p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M).
    Where a distance is 0 its gradient is 0, as in PyTorch."""
    s1, s2 = shape_of(x1), shape_of(x2)
    if len(s1) < 2 or len(s2) < 2 or s1[-1] != s2[-1]:
        raise ValueError(f"cdist: expects (..., P, M) and (..., R, M) tensors, got {s1} and {s2}")
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    diff = C.unsqueeze(x1, -2) - C.unsqueeze(x2, -3)
    if p == 0:
        return constant((np.asarray(_data(diff)) != 0).sum(-1).astype(_data(diff).dtype), diff)
    if np.isinf(p):
        return amax(_abs(diff), -1)
    if p == 1:
        return _sum(_abs(diff), -1)
    if p == 2:
        s = _sum(abs2(diff), -1)
    else:
        s = _sum(_abs(diff) ** p, -1)
    zero = _data(s) == 0
    safe = where(zero, 1.0, s)
    r = sqrt(safe) if p == 2 else safe ** (1.0 / p)
    return where(zero, 0.0, r)


def cov(input, *, correction: int = 1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of ``input`` (observations in columns; a
    1-D input is one variable), with optional frequency and observation weights."""
    s = shape_of(input)
    if len(s) > 2:
        raise ValueError(f"cov: expects a tensor of at most 2 dims, got shape {s}")
    x = S.reshape(input, (1, -1)) if len(s) < 2 else input
    n = shape_of(x)[1]
    w = None
    if fweights is not None:
        fw = np.asarray(_data(fweights))
        if fw.dtype.kind not in "iu" or (fw < 0).any():
            raise ValueError("cov: fweights must be non-negative integers")
        w = fweights
    if aweights is not None:
        if (np.asarray(_data(aweights)) < 0).any():
            raise ValueError("cov: aweights must be non-negative")
        w = aweights if w is None else w * aweights
    if w is None:
        avg = _sum(x, 1, True) / n
        wsum = n
        norm = n - correction
        xw = x - avg
    else:
        wsum = _sum(w)
        avg = _sum(x * w, 1, True) / wsum
        norm = wsum - (correction if aweights is None else
                       correction * _sum(w * aweights) / wsum)
        xw = (x - avg) * w
    c = _matmul(x - avg, conj(S.permute(xw, (1, 0)))) / norm  # norm <= 0: inf/nan, as PyTorch
    return S.reshape(c, ()) if shape_of(c) == (1, 1) else c  # one variable: a 0-D result


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input`` (clipped to [-1, 1])."""
    c = cov(input)
    if not shape_of(c):
        return c / c
    d = diagonal(c)
    sd = sqrt(d)
    r = c / S.reshape(sd, (-1, 1)) / S.reshape(sd, (1, -1))
    if _data(r).dtype.kind == "c":
        return r
    return clip(r, -1, 1)
