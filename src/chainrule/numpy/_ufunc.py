"""chainrule.numpy's ufuncs: a NumPy ufunc's face over a chainrule function.

``chainrule.numpy.add`` is a ufunc function (``make_ufunc``): calling it runs chainrule's
``add``, and it has NumPy's methods ``reduce``, ``accumulate``, ``outer`` and ``at`` and the
keywords ``out=``, ``where=`` and ``dtype=``, all differentiable. The same implementation
(``Ufunc``) serves ``numpy.add(t, ...)`` on a tensor, through ``Tensor.__array_ufunc__`` (see
``_protocol``), so both faces share one code path. Given no tensor at all, every call with
keywords or a method goes to NumPy's ufunc unchanged (the result is exactly NumPy's).
"""

from __future__ import annotations

import numpy as np

from ..composite import logsumexp, stack
from ..primitives import shape as S
from ..primitives._core import apply, tensor_types
from ..primitives.elementwise import astype, where
from ..primitives.reduction import amax, amin, cumsum, normalize_axis, prod, sum
from ._reductions import cumprod as _cumprod
from ._wrappers import has_tensor, requires_grad, shape_of, unwrap

__all__ = ["make_ufunc", "Ufunc", "write_out"]

_NOVALUE = np._NoValue  # NumPy's "argument not given" marker, so NumPy sees what the user gave
_LN2 = float(np.log(2.0))


def _constant_like(x, arr):
    """``arr`` as a constant of the kind of ``x`` (a tensor when ``x`` is one)."""
    return type(x)._constant(arr) if type(x) in tensor_types else arr


def write_out(name: str, res, out):
    """NumPy's ``out=`` for one result: a tensor receives it through ``copy_`` (the gradient
    flows); an ndarray receives its values, unless the result carries a derivative."""
    if out is None:
        return res
    if type(out) in tensor_types:
        out.copy_(res)
        return out
    if isinstance(out, np.ndarray):
        if requires_grad(res):
            raise TypeError(
                f"numpy.{name}: the result requires grad but out= is a NumPy array, which "
                f"would lose the gradient. Pass a chainrule tensor as out=, or drop out= and "
                f"use the returned tensor (for `array += tensor`, write `array = array + "
                f"tensor`).")
        np.copyto(out, unwrap(res), casting="same_kind")
        return out
    raise TypeError(f"numpy.{name}: out= must be a tensor or a NumPy array, got "
                    f"{type(out).__name__}")


def _outs(out, nout: int, name: str):
    if out is None:
        return (None,) * nout
    if not isinstance(out, tuple):
        out = (out,)
    if len(out) != nout:
        raise ValueError(f"numpy.{name}: out= needs {nout} arrays, got {len(out)}")
    return out


def _drop_harmless(kwargs: dict):
    for k in ("casting", "order", "subok"):  # harmless: chainrule's results are plain arrays
        kwargs.pop(k, None)
    if kwargs.get("signature") is None:
        kwargs.pop("signature", None)


def _call_rest(name: str, fn, args: tuple, rest: dict):
    """``fn(*args, **rest)``: keywords beyond NumPy's common ones (a gufunc's ``axis``) go to
    the function, which may take them; a clear error if it does not."""
    if not rest:
        return fn(*args)
    try:
        return fn(*args, **rest)
    except TypeError as e:
        if "unexpected keyword argument" not in str(e):
            raise
        raise TypeError(f"numpy.{name}: keyword argument(s) {sorted(rest)} are not supported "
                        f"on chainrule tensors") from None


_ATTRS = ("nin", "nout", "nargs", "identity", "signature", "types", "ntypes")


def make_ufunc(np_ufunc: np.ufunc, fn, kind: str = "chainrule"):
    """The namespace's ufunc: a function (a plain call costs one Python call over ``fn``)
    carrying NumPy's ufunc attributes and the methods ``reduce``, ``accumulate``, ``outer`` and
    ``at`` of a ``Ufunc``."""
    impl = Ufunc(np_ufunc, fn, kind)
    call_kw = impl.call

    def ufunc(*args, **kwargs):
        if kwargs:
            return call_kw(args, kwargs)
        return fn(*args)

    ufunc.__name__ = ufunc.__qualname__ = np_ufunc.__name__
    ufunc.__doc__ = impl.__doc__
    for a in _ATTRS:
        setattr(ufunc, a, getattr(np_ufunc, a))
    ufunc.reduce, ufunc.accumulate = impl.reduce, impl.accumulate
    ufunc.outer, ufunc.at = impl.outer, impl.at
    ufunc._chainrule_ufunc, ufunc._chainrule_kind = impl, kind
    return ufunc


class Ufunc:
    """A NumPy ufunc over a chainrule function: the implementation behind ``make_ufunc``'s
    functions and ``Tensor.__array_ufunc__`` (and their type in ``__init__.pyi``)."""

    # NumPy's ufunc attributes (``_ATTRS``), copied from the NumPy ufunc
    nin: int
    nout: int
    nargs: int
    identity: object
    signature: str | None
    types: list[str]
    ntypes: int

    def __init__(self, np_ufunc: np.ufunc, fn, kind: str = "chainrule"):
        self.np = np_ufunc
        self._fn = fn
        self.kind = kind  # "chainrule" (differentiable) or "value-only"
        self.__name__ = np_ufunc.__name__
        self.__doc__ = fn.__doc__ or np_ufunc.__doc__
        for a in _ATTRS:
            setattr(self, a, getattr(np_ufunc, a))

    def __repr__(self):
        return f"<chainrule ufunc '{self.__name__}'>"

    def __call__(self, *args, **kwargs):
        if not kwargs:
            return self._fn(*args)
        return self.call(args, kwargs)

    # --- __call__ with keywords --------------------------------------------------------------
    def call(self, args: tuple, kwargs: dict):
        """The ufunc with NumPy's keywords ``out``, ``where``, ``dtype`` (and the harmless
        ``casting``, ``order``, ``subok``)."""
        out = kwargs.get("out")
        if not (has_tensor(args) or has_tensor(_outs(out, self.nout, self.__name__))
                or type(kwargs.get("where")) in tensor_types):
            return self.np(*args, **kwargs)
        kwargs = dict(kwargs)
        outs = _outs(kwargs.pop("out", None), self.nout, self.__name__)
        mask = kwargs.pop("where", True)
        dtype = kwargs.pop("dtype", None)
        _drop_harmless(kwargs)
        if dtype is not None:
            args = tuple(astype(a, dtype) for a in args)
        res = _call_rest(self.__name__, self._fn, args, kwargs)
        results = res if self.nout > 1 else (res,)
        if not (isinstance(mask, (bool, np.bool_)) and mask):
            mask = unwrap(mask)
            # NumPy keeps out's old values where the mask is False (uninitialised without out;
            # chainrule fills zeros there).
            results = tuple(
                where(mask, r, o if o is not None else np.zeros((), dtype=np.result_type(
                    unwrap(r)))) for r, o in zip(results, outs))
            if any(o is None for o in outs):
                shape = np.broadcast_shapes(*(shape_of(a) for a in args), np.shape(mask))
                results = tuple(S.broadcast_to(r, shape) if shape_of(r) != shape else r
                                for r in results)
        results = tuple(write_out(self.__name__, r, o) for r, o in zip(results, outs))
        return results if self.nout > 1 else results[0]

    # --- methods -----------------------------------------------------------------------------
    def _binary(self, method: str):
        if self.nin != 2 or self.nout != 1 or self.signature is not None:
            raise ValueError(f"numpy.{self.__name__}.{method}: only supported for binary "
                             f"scalar ufuncs (as in NumPy)")

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
               where=True):
        """NumPy's ``ufunc.reduce``: ``add`` is ``sum``, ``multiply`` ``prod``, ``maximum``
        ``amax``, ``minimum`` ``amin``, ``logaddexp`` a stable log-sum-exp; any other binary
        ufunc folds along one axis."""
        if not has_tensor((array, out, where)):
            kw = {k: v for k, v in (("dtype", dtype), ("out", out), ("keepdims", keepdims),
                                    ("initial", initial), ("where", where)) if v is not _NOVALUE}
            return self.np.reduce(array, axis, **kw)
        self._binary("reduce")
        name = self.__name__
        if self.kind != "chainrule":
            res = self.np.reduce(unwrap(array), axis, dtype, None, keepdims, initial,
                                 unwrap(where))
            return write_out(name, _constant_like(array, res), _first(out))
        x = array if dtype is None else astype(array, dtype)
        nd = len(shape_of(x))
        axes = normalize_axis(axis, nd, f"numpy.{name}.reduce")
        axes = tuple(range(nd)) if axes is None else axes
        if where is not True:
            # Masked entries become the identity (or, without one, the initial value).
            fill = self.identity if self.identity is not None else \
                (None if initial is _NOVALUE else initial)
            if fill is None:
                raise ValueError(f"numpy.{name}.reduce: the reduction has no identity, so to "
                                 f"use a where mask one has to specify 'initial'")
            x = _where(unwrap(where), x, fill)
        res = self._reduce(x, axes, keepdims, initial)
        return write_out(name, res, _first(out))

    def _reduce(self, x, axes, keepdims, initial):
        name, shape = self.__name__, shape_of(x)
        empty = any(shape[a] == 0 for a in axes)
        if empty and initial is not _NOVALUE:
            kept = tuple(1 if a in axes else s for a, s in enumerate(shape)) if keepdims else \
                tuple(s for a, s in enumerate(shape) if a not in axes)
            return _constant_like(x, np.full(kept, initial, dtype=np.result_type(
                unwrap(x), initial)))
        special = _REDUCERS.get(name)
        if special is not None:
            res = special(x, axes, keepdims)
        elif len(axes) == 1:
            res = self._fold(x, axes[0], keepdims)
        elif not axes:
            res = x
        else:
            raise ValueError(f"numpy.{name}.reduce: reduction over several axes needs a "
                             f"reorderable operation (add, multiply, maximum, minimum, "
                             f"logaddexp); reduce one axis at a time")
        return res if initial is _NOVALUE else self._fn(res, initial)

    def _fold(self, x, axis: int, keepdims: bool):
        n = shape_of(x)[axis]
        if n == 0:
            if self.identity is None:
                raise ValueError(f"zero-size array to reduction operation {self.__name__} "
                                 f"which has no identity")
            kept = list(shape_of(x))
            kept[axis] = 1
            res = _constant_like(x, np.full(kept, self.identity, dtype=unwrap(x).dtype))
            return res if keepdims else S.reshape(res, tuple(np.delete(kept, axis)))
        lead = (slice(None),) * axis
        acc = S.getitem(x, lead + (0,))
        for i in range(1, n):
            acc = self._fn(acc, S.getitem(x, lead + (i,)))
        if keepdims:
            kept = list(shape_of(x))
            kept[axis] = 1
            acc = S.reshape(acc, tuple(kept))
        return acc

    def accumulate(self, array, axis=0, dtype=None, out=None):
        """NumPy's ``ufunc.accumulate``: ``add`` is ``cumsum``, ``multiply`` the namespace's
        ``cumprod``; any other binary ufunc is a running fold."""
        if not has_tensor((array, out)):
            return self.np.accumulate(array, axis, dtype, out)
        self._binary("accumulate")
        name = self.__name__
        if self.kind != "chainrule":
            res = self.np.accumulate(unwrap(array), axis, dtype)
            return write_out(name, _constant_like(array, res), _first(out))
        x = array if dtype is None else astype(array, dtype)
        nd = len(shape_of(x))
        if nd == 0:
            raise ValueError(f"numpy.{name}.accumulate: cannot accumulate on a scalar")
        axis = S.normalize_dim(axis, nd, f"numpy.{name}.accumulate")
        if name == "add":
            res = cumsum(x, axis)
        elif name == "multiply":
            res = _cumprod(x, axis=axis)
        else:
            res = self._scan(x, axis)
        return write_out(name, res, _first(out))

    def _scan(self, x, axis: int):
        n = shape_of(x)[axis]
        if n == 0:
            return x
        lead = (slice(None),) * axis
        acc = S.getitem(x, lead + (0,))
        parts = [acc]
        for i in range(1, n):
            acc = self._fn(acc, S.getitem(x, lead + (i,)))
            parts.append(acc)
        return stack(parts, axis=axis)

    def outer(self, A, B, **kwargs):
        """NumPy's ``ufunc.outer``: the result has shape ``A.shape + B.shape``."""
        if not (has_tensor((A, B, kwargs.get("out"))) or type(kwargs.get("where"))
                in tensor_types):
            return self.np.outer(A, B, **kwargs)
        self._binary("outer")
        sa = shape_of(A)
        a = S.reshape(A, tuple(sa) + (1,) * len(shape_of(B)))
        return self(a, B, **kwargs)

    def at(self, a, indices, b=None):
        """NumPy's unbuffered ``ufunc.at``, in place: repeated indices apply repeatedly. On a
        tensor, the new value is computed as a recorded function of the old one and written
        with ``copy_``, so gradients flow to ``a``'s old values and to ``b``."""
        name = self.__name__
        if type(a) not in tensor_types:
            if requires_grad(b):
                raise TypeError(f"numpy.{name}.at: b requires grad but the target is a NumPy "
                                f"array, which would lose the gradient; use a chainrule tensor "
                                f"as the target")
            args = (a, unwrap(indices)) if b is None else (a, unwrap(indices), unwrap(b))
            return self.np.at(*args)
        if (b is None) != (self.nin == 1) or self.nout != 1:
            raise ValueError(f"numpy.{name}.at: {'no' if self.nin == 1 else 'a'} second "
                             f"operand expected for a {self.nin}-input ufunc")
        if self.kind != "chainrule":
            args = (a._data, unwrap(indices)) if b is None else \
                (a._data, unwrap(indices), unwrap(b))
            self.np.at(*args)
            return None
        a.copy_(self._at_value(a, S._convert_index(indices), b))
        return None

    def _at_value(self, a, index, b):
        n = int(np.prod(a.shape, dtype=np.int64))
        pos = np.arange(n).reshape(a.shape)[index]
        p = np.ravel(pos)
        flat = S.reshape(a, (n,))
        bb = None if b is None else S.reshape(S.broadcast_to(b, np.shape(pos)), (p.size,))
        if self.__name__ in ("add", "subtract") and bb is not None:
            # Scatter-add of every occurrence at once (the unbuffered sum).
            contrib = apply(S.INDEX_ADD, (bb,), ((p,), (n,), False, 1))
            new = flat + contrib if self.__name__ == "add" else flat - contrib
            return S.reshape(new, a.shape)
        # Otherwise in rounds: round r applies the r-th occurrence of every position, so
        # positions within a round are distinct and occurrences apply in order.
        rank = _occurrence_rank(p)
        for r in range(int(rank.max()) + 1 if p.size else 0):
            sel = np.flatnonzero(rank == r)
            pr = p[sel]
            cur = S.getitem(flat, pr)
            upd = self._fn(cur) if bb is None else self._fn(cur, S.getitem(bb, sel))
            scattered = apply(S.INDEX_ADD, (upd,), ((pr,), (n,), False, 1))
            mask = np.zeros(n, dtype=bool)
            mask[pr] = True
            flat = where(mask, scattered, flat)
        return S.reshape(flat, a.shape)


def _occurrence_rank(p):
    """For each entry of ``p``, how many equal entries come before it."""
    order = np.argsort(p, kind="stable")
    sp = p[order]
    idx = np.arange(p.size)
    starts = np.flatnonzero(np.r_[True, sp[1:] != sp[:-1]]) if p.size else idx
    rank = np.empty(p.size, dtype=np.int64)
    rank[order] = idx - starts[np.searchsorted(starts, idx, side="right") - 1]
    return rank


def _first(out):
    if isinstance(out, tuple):
        if len(out) != 1:
            raise ValueError(f"out= needs 1 array, got {len(out)}")
        return out[0]
    return out


def _where(mask, x, fill):
    res = where(mask, x, fill)
    return res if shape_of(res) == shape_of(x) else S.broadcast_to(res, shape_of(x))


def _logsumexp2(x, axes, keepdims):
    return logsumexp(x * _LN2, axis=axes, keepdims=keepdims) / _LN2


_REDUCERS = {
    "add": lambda x, axes, k: sum(x, axes, k),
    "multiply": lambda x, axes, k: prod(x, axes, k),
    "maximum": lambda x, axes, k: amax(x, axes, k),
    "minimum": lambda x, axes, k: amin(x, axes, k),
    "logaddexp": lambda x, axes, k: logsumexp(x, axis=axes, keepdims=k),
    "logaddexp2": _logsumexp2,
}
