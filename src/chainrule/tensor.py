"""The Tensor: an array plus autograd metadata.

Its methods and operators only dispatch to the primitive table (``chainrule.primitives``) and
to the composite functions; no derivative formula lives here.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import composite as C
from .autograd import dispatch
from .autograd.graph import AccumulateGrad, RemovableHandle
from .primitives import elementwise as E
from .primitives import linalg as L
from .primitives import reduction as R
from .primitives import shape as S

_record = dispatch.record
_wrap = dispatch.wrap
_MISSING = C._MISSING


class _Size(int):
    """``x.size`` is the element count (NumPy) and ``x.size()`` the shape (PyTorch)."""

    def __new__(cls, shape):
        obj = super().__new__(cls, int(np.prod(shape, dtype=np.int64)))
        obj._shape = shape
        return obj

    def __call__(self, dim=None):
        return self._shape if dim is None else self._shape[dim]


def _check_grad_dtype(dtype, op="requires_grad"):
    if not np.issubdtype(dtype, np.inexact):
        raise RuntimeError(
            f"{op}: only tensors of floating point or complex dtype can require gradients, "
            f"but this one has dtype {np.dtype(dtype).name}; convert it first, e.g. "
            f"x.astype('float64').requires_grad_()")


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False)`` wraps ``data`` without copying when it is already a
    NumPy array; ``chainrule.tensor(data)`` always copies.
    """

    __slots__ = ("_data", "_edge", "_grad", "_meta", "__weakref__")
    __array_ufunc__ = None  # NumPy defers binary operators to ours (ndarray + Tensor works)

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        if type(data) in dispatch._tensor_types:
            data = data._data
        arr = np.asarray(data, dtype=dtype)
        self._data = arr
        self._edge = None
        self._grad = None
        self._meta = None
        if requires_grad:
            self.requires_grad_(True)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        dispatch._tensor_types.add(cls)

    @classmethod
    def _constant(cls, data):
        return _wrap(np.asarray(data))

    # --- attributes -----------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (shares memory)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = np.asarray(value._data if isinstance(value, Tensor) else value)

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self):
        return _Size(self._data.shape)

    def numel(self) -> int:
        return self._data.size

    def dim(self) -> int:
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def T(self) -> Tensor:
        return C.transpose(self)

    @property
    def mT(self) -> Tensor:
        if self._data.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self._data.shape}")
        return L.apply(L.SWAPLAST, (self,))

    # --- autograd metadata ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._edge is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether gradients are recorded for this leaf; returns the tensor."""
        if not self.is_leaf:
            if requires_grad:
                return self
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad of leaf tensors; this one "
                f"was computed by {self.grad_fn.name()}. Use t.detach() for a copy that does "
                "not require grad.")
        if requires_grad:
            _check_grad_dtype(self._data.dtype)
            if self._edge is None:
                self._edge = (AccumulateGrad(self), 0)
        else:
            self._edge = None
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be a Tensor or None, not "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"grad: assigned grad has shape {value._data.shape}, but the "
                                   f"tensor has shape {self._data.shape}")
        self._grad = value

    @property
    def grad_fn(self):
        e = self._edge
        if e is None or type(e[0]) is AccumulateGrad:
            return None
        return e[0]

    @property
    def is_leaf(self) -> bool:
        e = self._edge
        return e is None or type(e[0]) is AccumulateGrad

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see ``autograd.backward``)."""
        from .autograd.api import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        from .autograd.engine import RetainGrad

        if self._edge is None:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that does not "
                               "require grad")
        if self.is_leaf or self.retains_grad:
            return
        node = self._edge[0]
        if node.hooks is None:
            node.hooks = []
        node.hooks.append(RetainGrad(weakref.ref(self)))
        self._meta = {**(self._meta or {}), "retains_grad": True}

    @property
    def retains_grad(self) -> bool:
        return bool(self._meta and self._meta.get("retains_grad"))

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` takes the hook off."""
        if self._edge is None:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                               "require grad")
        node = self._edge[0]
        if node.hooks is None:
            node.hooks = []
        node.hooks.append(hook)
        return RemovableHandle(node.hooks, hook)

    def detach(self) -> Tensor:
        """The same data (shared memory), cut off from the graph."""
        return _wrap(self._data)

    def detach_(self) -> Tensor:
        self._edge = None
        return self

    # --- conversion -----------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory)."""
        if self._edge is not None:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; use "
                               "t.detach().numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"item: a tensor with {self._data.size} elements cannot be "
                               f"converted to a Python scalar; only one-element tensors can")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def astype(self, dtype) -> Tensor:
        """Convert to ``dtype``; differentiable between floating dtypes."""
        return E.astype(self, dtype)

    def to(self, dtype=None, *args, **kwargs) -> Tensor:
        """``to(dtype)`` converts; a device string 'cpu' is accepted and ignored."""
        dtype = kwargs.get("dtype", dtype)
        if dtype is None or (isinstance(dtype, str) and dtype == "cpu"):
            return self
        return E.astype(self, dtype)

    def float(self) -> Tensor:
        return E.astype(self, np.float32)

    def double(self) -> Tensor:
        return E.astype(self, np.float64)

    def half(self) -> Tensor:
        return E.astype(self, np.float16)

    def long(self) -> Tensor:
        return E.astype(self, np.int64)

    def int(self) -> Tensor:
        return E.astype(self, np.int32)

    def bool(self) -> Tensor:
        return E.astype(self, np.bool_)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return _record(E.CAST, (self,), (self._data.dtype,))

    # --- Python protocol --------------------------------------------------------------------
    def __repr__(self):
        d = self._data
        body = np.array2string(d, separator=", ", prefix="tensor(")
        extra = []
        if d.dtype not in (np.float64, np.int64, np.bool_):
            extra.append(f"dtype={d.dtype.name}")
        if d.size == 0 and d.shape != (0,):
            extra.append(f"size={d.shape}")
        fn = self.grad_fn
        if fn is not None:
            extra.append(f"grad_fn=<{fn.name()}>")
        elif self._edge is not None:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extra) + ")"

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __index__(self):
        if not np.issubdtype(self._data.dtype, np.integer) or self._data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self._data)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    # --- operators ----------------------------------------------------------------------------
    def __add__(self, other):
        return _record(E.ADD, (self, other), ())

    def __radd__(self, other):
        return _record(E.ADD, (other, self), ())

    def __sub__(self, other):
        return _record(E.SUB, (self, other), ())

    def __rsub__(self, other):
        return _record(E.SUB, (other, self), ())

    def __mul__(self, other):
        return _record(E.MUL, (self, other), ())

    def __rmul__(self, other):
        return _record(E.MUL, (other, self), ())

    def __truediv__(self, other):
        return _record(E.DIV, (self, other), ())

    def __rtruediv__(self, other):
        return _record(E.DIV, (other, self), ())

    def __floordiv__(self, other):
        return _record(E.FLOOR_DIVIDE, (self, other), ())

    def __rfloordiv__(self, other):
        return _record(E.FLOOR_DIVIDE, (other, self), ())

    def __mod__(self, other):
        return _record(E.REMAINDER, (self, other), ())

    def __rmod__(self, other):
        return _record(E.REMAINDER, (other, self), ())

    def __pow__(self, other):
        return _record(E.POW, (self, other), ())

    def __rpow__(self, other):
        return _record(E.POW, (other, self), ())

    def __matmul__(self, other):
        return _record(L.MATMUL, (self, other), ())

    def __rmatmul__(self, other):
        return _record(L.MATMUL, (other, self), ())

    def __neg__(self):
        return _record(E.NEG, (self,), ())

    def __pos__(self):
        return self

    def __abs__(self):
        return _record(E.ABS, (self,), ())

    def __invert__(self):
        return _record(E.INVERT, (self,), ())

    def __and__(self, other):
        return _record(E.BITWISE_AND, (self, other), ())

    def __rand__(self, other):
        return _record(E.BITWISE_AND, (other, self), ())

    def __or__(self, other):
        return _record(E.BITWISE_OR, (self, other), ())

    def __ror__(self, other):
        return _record(E.BITWISE_OR, (other, self), ())

    def __xor__(self, other):
        return _record(E.BITWISE_XOR, (self, other), ())

    def __rxor__(self, other):
        return _record(E.BITWISE_XOR, (other, self), ())

    def __eq__(self, other):
        return _record(E.EQ, (self, other), ())

    def __ne__(self, other):
        return _record(E.NE, (self, other), ())

    def __lt__(self, other):
        return _record(E.LT, (self, other), ())

    def __le__(self, other):
        return _record(E.LE, (self, other), ())

    def __gt__(self, other):
        return _record(E.GT, (self, other), ())

    def __ge__(self, other):
        return _record(E.GE, (self, other), ())

    def __getitem__(self, index):
        return S.getitem(self, index)

    # --- elementwise methods --------------------------------------------------------------------
    def add(self, other):
        return _record(E.ADD, (self, other), ())

    def sub(self, other):
        return _record(E.SUB, (self, other), ())

    def mul(self, other):
        return _record(E.MUL, (self, other), ())

    def div(self, other):
        return _record(E.DIV, (self, other), ())

    def pow(self, exponent):
        return _record(E.POW, (self, exponent), ())

    def remainder(self, other):
        return _record(E.REMAINDER, (self, other), ())

    def maximum(self, other):
        return _record(E.MAXIMUM, (self, other), ())

    def minimum(self, other):
        return _record(E.MINIMUM, (self, other), ())

    def neg(self):
        return _record(E.NEG, (self,), ())

    def exp(self):
        return _record(E.EXP, (self,), ())

    def expm1(self):
        return _record(E.EXPM1, (self,), ())

    def log(self):
        return _record(E.LOG, (self,), ())

    def log1p(self):
        return _record(E.LOG1P, (self,), ())

    def sqrt(self):
        return _record(E.SQRT, (self,), ())

    def sin(self):
        return _record(E.SIN, (self,), ())

    def cos(self):
        return _record(E.COS, (self,), ())

    def tan(self):
        return _record(E.TAN, (self,), ())

    def tanh(self):
        return _record(E.TANH, (self,), ())

    def sigmoid(self):
        return _record(E.SIGMOID, (self,), ())

    def relu(self):
        return _record(E.RELU, (self,), ())

    def abs(self):
        return _record(E.ABS, (self,), ())

    def sign(self):
        return _record(E.SIGN, (self,), ())

    def floor(self):
        return _record(E.FLOOR, (self,), ())

    def ceil(self):
        return _record(E.CEIL, (self,), ())

    def round(self):
        return _record(E.ROUND, (self,), ())

    def trunc(self):
        return _record(E.TRUNC, (self,), ())

    def clamp(self, min=None, max=None):  # noqa: A002
        return E.clip(self, min, max)

    clip = clamp

    def where(self, condition, other):
        """PyTorch's ``x.where(condition, y)``: x where condition holds, else y."""
        return E.where(condition, self, other)

    def isnan(self):
        return _record(E.ISNAN, (self,), ())

    def isinf(self):
        return _record(E.ISINF, (self,), ())

    def isfinite(self):
        return _record(E.ISFINITE, (self,), ())

    def logical_not(self):
        return _record(E.LOGICAL_NOT, (self,), ())

    # --- reductions -------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False, dtype=None):
        x = self if dtype is None else self.astype(dtype)
        return R.sum(x, C.pick_axis(dim, axis, "sum"), C.pick_keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False, dtype=None):
        return C.mean(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return R.prod(self, C.pick_axis(dim, axis, "prod"), C.pick_keep(keepdim, keepdims))

    def var(self, dim=None, *, correction=_MISSING, unbiased=None, ddof=None, keepdim=False,
            axis=_MISSING, keepdims=False):
        return C.var(self, dim, correction=correction, unbiased=unbiased, ddof=ddof,
                     keepdim=keepdim, axis=axis, keepdims=keepdims)

    def std(self, dim=None, *, correction=_MISSING, unbiased=None, ddof=None, keepdim=False,
            axis=_MISSING, keepdims=False):
        return C.std(self, dim, correction=correction, unbiased=unbiased, ddof=ddof,
                     keepdim=keepdim, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return C.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return C.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return R.amax(self, C.pick_axis(dim, axis, "amax"), C.pick_keep(keepdim, keepdims))

    def amin(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return R.amin(self, C.pick_axis(dim, axis, "amin"), C.pick_keep(keepdim, keepdims))

    def argmax(self, dim=None, keepdim=False, *, axis=_MISSING):
        ax = C.pick_axis(dim, axis, "argmax")
        return _wrap(np.asarray(np.argmax(self._data, axis=ax, keepdims=keepdim)))

    def argmin(self, dim=None, keepdim=False, *, axis=_MISSING):
        ax = C.pick_axis(dim, axis, "argmin")
        return _wrap(np.asarray(np.argmin(self._data, axis=ax, keepdims=keepdim)))

    def cumsum(self, dim=None, *, axis=_MISSING):
        ax = C.pick_axis(dim, axis, "cumsum")
        if ax is None:
            return R.cumsum(S.reshape(self, (-1,)), 0)
        return R.cumsum(self, ax)

    def logsumexp(self, dim=None, keepdim=False):
        return C.logsumexp(self, dim, keepdim)

    def softmax(self, dim=-1):
        return C.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return C.log_softmax(self, dim)

    def all(self, dim=None, keepdim=False):
        return _wrap(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))

    def any(self, dim=None, keepdim=False):
        return _wrap(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))

    # --- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        return S.reshape(self, *shape)

    view = reshape

    def permute(self, *dims):
        return S.permute(self, *dims)

    def transpose(self, *dims):
        return C.transpose(self, *dims)

    def swapaxes(self, axis0, axis1):
        return C.swapaxes(self, axis0, axis1)

    def t(self):
        if self._data.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape "
                             f"{self._data.shape}; use transpose(dim0, dim1) or mT")
        return C.transpose(self)

    def squeeze(self, dim=None, *, axis=_MISSING):
        return C.squeeze(self, dim, axis=axis)

    def unsqueeze(self, dim):
        return C.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return C.flatten(self, start_dim, end_dim)

    def ravel(self):
        return S.reshape(self, (-1,))

    def expand(self, *sizes):
        return C.expand(self, *sizes)

    def expand_as(self, other):
        return S.broadcast_to(self, other.shape)

    def broadcast_to(self, shape):
        return S.broadcast_to(self, shape)

    def flip(self, dims=None, *, axis=_MISSING):
        return S.flip(self, C.pick_axis(dims, axis, "flip"))

    def split(self, split_size_or_sections, dim=0):
        return C.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return C.chunk(self, chunks, dim)

    def gather(self, dim, index):
        return C.gather(self, dim, index)

    def take_along_axis(self, indices, axis):
        return S.take_along_axis(self, indices, axis)

    # --- products ---------------------------------------------------------------------------
    def matmul(self, other):
        return _record(L.MATMUL, (self, other), ())

    def dot(self, other):
        return C.dot(self, other)


dispatch.install_tensor_type(Tensor)
