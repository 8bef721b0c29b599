"""The Tensor: an array plus autograd metadata.

Its methods and operators only dispatch to the primitive table (``chainrule.primitives``), to
the composite functions and, for in-place changes, to ``autograd/inplace.py``; no derivative
formula and no in-place bookkeeping lives here. Every method is a ``def`` in the class body (an
alias is ``name = method`` beside it), so searching for ``def asin`` finds it.
"""

from __future__ import annotations

import copy
import weakref

import numpy as np

from . import composite as C
from ._device import CPU, check_device
from .autograd import conversion as _conv
from .autograd import dispatch
from .autograd import inplace as _inplace
from .autograd.grad_mode import state as _grad_state
from .autograd.graph import AccumulateGrad, RemovableHandle, RetainGrad
from .ops import _linalg as OL
from .ops import blas as OB
from .ops import indexing as OI
from .ops import pointwise as PW
from .ops import random as OR
from .ops import reductions as RD
from .ops import shape as OS
from .ops import sorting as OO
from .ops import spectral as SPC
from .primitives import complex as _CX
from .primitives import elementwise as E
from .primitives import linalg as L
from .primitives import math as M
from .primitives import shape as S
from .primitives import special as SP

_record = dispatch.record
_record1 = dispatch.record1
_record2 = dispatch.record2
_wrap = dispatch.wrap
_MISSING = C._MISSING
_ARRAY_OP = ("numpy.asarray() / numpy.array() (also what NumPy calls for ndarray[i:j] = value, "
             "and for a list holding tensors given to a NumPy function)")


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


class _Size(int):
    """``x.size`` is the element count (NumPy) and ``x.size()`` the shape (PyTorch)."""

    def __new__(cls, shape):
        obj = super().__new__(cls, int(np.prod(shape, dtype=np.int64)))
        obj._shape = shape
        return obj

    def __call__(self, dim=None):
        return self._shape if dim is None else self._shape[dim]


def _check_grad_dtype(dtype, op="requires_grad"):
    # Real and complex floating dtypes carry gradients (complex: PyTorch's convention,
    # docs/semantics.md "Complex numbers").
    if not np.issubdtype(dtype, np.inexact):
        raise RuntimeError(
            f"{op}: only tensors of floating point or complex dtype can require gradients, "
            f"but this one has dtype {np.dtype(dtype).name}; convert it first, e.g. "
            f"x.astype('float64').requires_grad_()")


def _rebuild(cls, data, requires_grad):
    """A new leaf of class ``cls`` around ``data`` (unpickling and copying)."""
    t = cls.__new__(cls)
    Tensor.__init__(t, data)
    if requires_grad:
        t.requires_grad_(True)
    return t


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False)`` wraps ``data`` without copying when it is already a
    NumPy array; ``chainrule.tensor(data)`` always copies.
    """

    # _fw (forward-mode tangents) is set only on dual tensors; read it with getattr(t, "_fw", None)
    # _view (autograd.inplace) is set only on views and on tensors that have views
    __slots__ = ("_data", "_edge", "_grad", "_meta", "_fw", "_view", "__weakref__")

    # NumPy's protocols (NEP 13, NEP 18): numpy.sin(t), ndarray + t, numpy.sum(t) run the
    # chainrule.numpy function of the same name. Tensor operators never come through here.
    # chainrule.numpy._protocol, a layer above: it installs itself when chainrule.numpy is
    # imported (install_numpy_protocol below; chainrule's __init__ imports chainrule.numpy).
    _numpy_protocol = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return Tensor._numpy_protocol.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return Tensor._numpy_protocol.array_function(func, types, args, kwargs)

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        if type(data) in dispatch._tensor_types:
            _conv.check_number(data, "Tensor(x), a new leaf holding x's values,")
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
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def T(self) -> Tensor:
        return C.transpose(self)

    @property
    def real(self) -> Tensor:
        """The real part (the tensor itself when it is real), differentiable."""
        return _CX.real(self)

    @property
    def imag(self) -> Tensor:
        """The imaginary part of a complex tensor, differentiable."""
        return _CX.imag(self)

    def conj(self) -> Tensor:
        """The complex conjugate (the tensor itself when it is real), differentiable."""
        return _CX.conj(self)

    conj_physical = conjugate = conj

    def resolve_conj(self) -> Tensor:
        return self

    resolve_neg = resolve_conj  # chainrule has no lazy conjugation or negation

    def angle(self) -> Tensor:
        """The argument of each complex element (0 or pi for real ones), differentiable."""
        return _CX.angle(self)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def mT(self) -> Tensor:
        if self._data.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self._data.shape}")
        return L.apply(L.SWAPLAST, (self,))

    @property
    def mH(self) -> Tensor:
        return OS.adjoint(self)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (0-D and 1-D: the conjugate)."""
        if self._data.ndim > 2:
            raise ValueError(f"H: needs at most 2 dimensions, got shape {self._data.shape}; use "
                             f"mH for batches of matrices")
        return _CX.conj(OS.t(self))

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
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"grad: assigned grad has dtype {value._data.dtype}, but the "
                                   f"tensor has dtype {self._data.dtype}; convert it with "
                                   f".astype({self._data.dtype.name!r})")
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
    # Conversions to NumPy arrays and Python numbers (autograd/conversion.py; docs/semantics.md
    # "No silent loss of derivatives"): inside a functional transform a traced value refuses
    # them all; outside, numbers are free and arrays need a tensor that does not require grad
    # (PyTorch's rules).
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory)."""
        if self._edge is not None or _grad_state.transforms:
            _conv.check_array(self, ".numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._edge is not None or _grad_state.transforms:
            _conv.check_array(self, _ARRAY_OP)
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        if _grad_state.transforms:
            _conv.check_number(self, ".item()")
        if self._data.size != 1:
            raise RuntimeError(f"item: a tensor with {self._data.size} elements cannot be "
                               f"converted to a Python scalar; only one-element tensors can")
        return self._data.item()

    def tolist(self):
        if _grad_state.transforms:
            _conv.check_number(self, ".tolist()")
        return self._data.tolist()

    def astype(self, dtype) -> Tensor:
        """Convert to ``dtype``; differentiable between floating dtypes."""
        return E.astype(self, dtype)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``:
        converts the dtype (differentiably between floating dtypes); the only device is 'cpu'.
        """
        flags = []  # positional non_blocking, then copy: to(dtype, False, True)
        for a in args:
            if isinstance(a, (bool, np.bool_)):
                flags.append(a)
            elif isinstance(a, Tensor):
                dtype = a._data.dtype
            elif isinstance(a, (str, int)):
                device = a  # a device name, a chainrule.device (a str) or a CUDA index
            elif a is not None:
                dtype = a
        copy = flags[1] if len(flags) > 1 else copy
        check_device(device, "Tensor.to")
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self.clone() if copy else self
        return E.astype(self, dtype)

    def type(self, dtype=None, non_blocking=False):
        """``type()``: the type name ('chainrule.FloatTensor', ...); ``type(dtype)``: ``to``."""
        if dtype is None:
            return f"chainrule.{_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
        return self.to(dtype)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def float(self, memory_format=None) -> Tensor:
        return E.astype(self, np.float32)

    def double(self, memory_format=None) -> Tensor:
        return E.astype(self, np.float64)

    def half(self, memory_format=None) -> Tensor:
        return E.astype(self, np.float16)

    def cfloat(self, memory_format=None) -> Tensor:
        return E.astype(self, np.complex64)

    def cdouble(self, memory_format=None) -> Tensor:
        return E.astype(self, np.complex128)

    def long(self, memory_format=None) -> Tensor:
        return E.astype(self, np.int64)

    def int(self, memory_format=None) -> Tensor:
        return E.astype(self, np.int32)

    def short(self, memory_format=None) -> Tensor:
        return E.astype(self, np.int16)

    def char(self, memory_format=None) -> Tensor:
        return E.astype(self, np.int8)

    def byte(self, memory_format=None) -> Tensor:
        return E.astype(self, np.uint8)

    def bool(self, memory_format=None) -> Tensor:
        return E.astype(self, np.bool_)

    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        check_device("cuda" if device is None else device, "Tensor.cuda")
        return self

    def pin_memory(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    # --- copying and pickling ------------------------------------------------------------
    def __reduce_ex__(self, protocol):
        """Pickle (and ``copy.copy``) the values and ``requires_grad``, not the graph: the
        result is a leaf, as in PyTorch."""
        state = getattr(self, "__dict__", None) or None
        return (_rebuild, (type(self), self._data, self._edge is not None), state)

    def __deepcopy__(self, memo):
        """A leaf with copied values (and a copied ``.grad``), and its own gradient: the
        original's graph node is not shared."""
        if not self.is_leaf:
            raise RuntimeError(
                "deepcopy: only leaf tensors (made by the user, not computed from others) can be "
                "deep-copied; copy x.detach() instead, or x.detach().clone().requires_grad_()")
        new = _rebuild(type(self), copy.deepcopy(self._data, memo), self._edge is not None)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        d = getattr(self, "__dict__", None)
        if d:
            new.__dict__.update(copy.deepcopy(d, memo))
        return new

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
        if _grad_state.transforms:
            _conv.check_number(self, "float() (also what NumPy calls for ndarray[i] = value)")
        return float(self._data)

    def __int__(self):
        if _grad_state.transforms:
            _conv.check_number(self, "int() (also what NumPy calls for int_ndarray[i] = value)")
        return int(self._data)

    def __complex__(self):
        if _grad_state.transforms:
            _conv.check_number(self, "complex() (also what NumPy calls for complex_ndarray[i] = "
                                     "value)")
        return complex(self._data)

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
        return _record2(E.ADD, self, other)

    def __radd__(self, other):
        return _record2(E.ADD, other, self)

    def __sub__(self, other):
        return _record2(E.SUB, self, other)

    def __rsub__(self, other):
        return _record2(E.SUB, other, self)

    def __mul__(self, other):
        return _record2(E.MUL, self, other)

    def __rmul__(self, other):
        return _record2(E.MUL, other, self)

    def __truediv__(self, other):
        return _record2(E.DIV, self, other)

    def __rtruediv__(self, other):
        return _record2(E.DIV, other, self)

    def __floordiv__(self, other):
        return _record2(E.FLOOR_DIVIDE, self, other)

    def __rfloordiv__(self, other):
        return _record2(E.FLOOR_DIVIDE, other, self)

    def __mod__(self, other):
        return _record2(E.REMAINDER, self, other)

    def __rmod__(self, other):
        return _record2(E.REMAINDER, other, self)

    def __pow__(self, other):
        return _record2(E.POW, self, other)

    def __rpow__(self, other):
        return _record2(E.POW, other, self)

    def __matmul__(self, other):
        return _record2(L.MATMUL, self, other)

    def __rmatmul__(self, other):
        return _record2(L.MATMUL, other, self)

    def __neg__(self):
        return _record1(E.NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _record1(E.ABS, self)

    def __invert__(self):
        return _record1(E.INVERT, self)

    def __and__(self, other):
        return _record2(E.BITWISE_AND, self, other)

    def __rand__(self, other):
        return _record2(E.BITWISE_AND, other, self)

    def __or__(self, other):
        return _record2(E.BITWISE_OR, self, other)

    def __ror__(self, other):
        return _record2(E.BITWISE_OR, other, self)

    def __xor__(self, other):
        return _record2(E.BITWISE_XOR, self, other)

    def __rxor__(self, other):
        return _record2(E.BITWISE_XOR, other, self)

    def __eq__(self, other):
        return _record2(E.EQ, self, other)

    def __ne__(self, other):
        return _record2(E.NE, self, other)

    def __lt__(self, other):
        return _record2(E.LT, self, other)

    def __le__(self, other):
        return _record2(E.LE, self, other)

    def __gt__(self, other):
        return _record2(E.GT, self, other)

    def __ge__(self, other):
        return _record2(E.GE, self, other)

    # PyTorch's method names for the comparison and bitwise operators
    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__
    bitwise_and = __and__
    bitwise_or = __or__
    bitwise_xor = __xor__
    floor_divide = __floordiv__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def __getitem__(self, index):
        return S.getitem(self, index)

    def __setitem__(self, index, value):
        """``x[index] = value``, in place (see ``autograd.inplace.setitem``)."""
        _inplace.setitem(self, index, value)

    # --- in-place updates (autograd/inplace.py: write, bump the version, rebase the graph) -----
    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return _inplace.version(self._data)

    @property
    def _base(self):
        """The tensor this one is a view of (None if it is not a view)."""
        return _inplace.view_root_of(self)

    def _is_view(self) -> bool:
        return _inplace.view_root_of(self) is not None

    def __iadd__(self, other):
        return _inplace.apply_prim(self, E.ADD, (self, other), "add_")

    def __isub__(self, other):
        return _inplace.apply_prim(self, E.SUB, (self, other), "sub_")

    def __imul__(self, other):
        return _inplace.apply_prim(self, E.MUL, (self, other), "mul_")

    def __itruediv__(self, other):
        return _inplace.apply_prim(self, E.DIV, (self, other), "div_")

    def __ipow__(self, other):
        return _inplace.apply_prim(self, E.POW, (self, other), "pow_")

    def add_(self, other, *, alpha=1):
        other = other if alpha == 1 else other * alpha
        return _inplace.apply_prim(self, E.ADD, (self, other), "add_")

    def sub_(self, other, *, alpha=1):
        other = other if alpha == 1 else other * alpha
        return _inplace.apply_prim(self, E.SUB, (self, other), "sub_")

    def mul_(self, other):
        return _inplace.apply_prim(self, E.MUL, (self, other), "mul_")

    def div_(self, other):
        return _inplace.apply_prim(self, E.DIV, (self, other), "div_")

    def pow_(self, exponent):
        return _inplace.apply_prim(self, E.POW, (self, exponent), "pow_")

    def exp_(self):
        return _inplace.apply_prim(self, E.EXP, (self,), "exp_")

    def expm1_(self):
        return _inplace.apply_prim(self, E.EXPM1, (self,), "expm1_")

    def log_(self):
        return _inplace.apply_prim(self, E.LOG, (self,), "log_")

    def log1p_(self):
        return _inplace.apply_prim(self, E.LOG1P, (self,), "log1p_")

    def sqrt_(self):
        return _inplace.apply_prim(self, E.SQRT, (self,), "sqrt_")

    def sin_(self):
        return _inplace.apply_prim(self, E.SIN, (self,), "sin_")

    def cos_(self):
        return _inplace.apply_prim(self, E.COS, (self,), "cos_")

    def tan_(self):
        return _inplace.apply_prim(self, E.TAN, (self,), "tan_")

    def tanh_(self):
        return _inplace.apply_prim(self, E.TANH, (self,), "tanh_")

    def sigmoid_(self):
        return _inplace.apply_prim(self, E.SIGMOID, (self,), "sigmoid_")

    def relu_(self):
        return _inplace.apply_prim(self, E.RELU, (self,), "relu_")

    def neg_(self):
        return _inplace.apply_prim(self, E.NEG, (self,), "neg_")

    negative_ = neg_

    def abs_(self):
        return _inplace.apply_prim(self, E.ABS, (self,), "abs_")

    absolute_ = abs_

    def sign_(self):
        return _inplace.apply_prim(self, E.SIGN, (self,), "sign_")

    def floor_(self):
        return _inplace.apply_prim(self, E.FLOOR, (self,), "floor_")

    def ceil_(self):
        return _inplace.apply_prim(self, E.CEIL, (self,), "ceil_")

    def round_(self):
        return _inplace.apply_prim(self, E.ROUND, (self,), "round_")

    def trunc_(self):
        return _inplace.apply_prim(self, E.TRUNC, (self,), "trunc_")

    def erf_(self):
        return _inplace.apply_prim(self, E.ERF, (self,), "erf_")

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
        return _inplace.update(self, src, "copy_")

    def fill_(self, value):
        return _inplace.update(self, value, "fill_")

    def zero_(self):
        return self.fill_(0)

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return _inplace.update(self, E.clip(self, min, max), "clamp_")

    clip_ = clamp_

    def clamp_min_(self, min):  # noqa: A002
        return _inplace.update(self, E.clip(self, min, None), "clamp_min_")

    def clamp_max_(self, max):  # noqa: A002
        return _inplace.update(self, E.clip(self, None, max), "clamp_max_")

    def masked_fill_(self, mask, value):
        return _inplace.update(self, E.where(mask, value, self), "masked_fill_")

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _inplace.update(self, self + value * tensor1 * tensor2, "addcmul_")

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _inplace.update(self, self + value * tensor1 / tensor2, "addcdiv_")

    def lerp_(self, end, weight):
        return _inplace.update(self, self + weight * (end - self), "lerp_")

    # --- elementwise methods --------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        return PW.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return PW.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _record2(E.MUL, self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return PW.div(self, other, rounding_mode=rounding_mode)

    divide = div

    def true_divide(self, other):
        return _record2(E.DIV, self, other)

    def pow(self, exponent):
        return _record2(E.POW, self, exponent)

    def remainder(self, other):
        return _record2(E.REMAINDER, self, other)

    def maximum(self, other):
        return _record2(E.MAXIMUM, self, other)

    def minimum(self, other):
        return _record2(E.MINIMUM, self, other)

    def neg(self):
        return _record1(E.NEG, self)

    negative = neg

    def rsqrt(self):
        return PW.rsqrt(self)

    def sgn(self):
        return PW.sgn(self)

    def frac(self):
        return PW.frac(self)

    def lerp(self, end, weight):
        return PW.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return PW.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return PW.addcdiv(self, tensor1, tensor2, value=value)

    def nextafter(self, other):
        return PW.nextafter(self, other)

    def gcd(self, other):
        return PW.gcd(self, other)

    def lcm(self, other):
        return PW.lcm(self, other)

    def exp(self):
        return _record1(E.EXP, self)

    def expm1(self):
        return _record1(E.EXPM1, self)

    def log(self):
        return _record1(E.LOG, self)

    def log1p(self):
        return _record1(E.LOG1P, self)

    def sqrt(self):
        return _record1(E.SQRT, self)

    def sin(self):
        return _record1(E.SIN, self)

    def cos(self):
        return _record1(E.COS, self)

    def tan(self):
        return _record1(E.TAN, self)

    def tanh(self):
        return _record1(E.TANH, self)

    def sigmoid(self):
        return _record1(E.SIGMOID, self)

    def erf(self):
        return _record1(E.ERF, self)

    def relu(self):
        return _record1(E.RELU, self)

    def abs(self):
        return _record1(E.ABS, self)

    absolute = abs

    def sign(self):
        return _record1(E.SIGN, self)

    def floor(self):
        return _record1(E.FLOOR, self)

    def ceil(self):
        return _record1(E.CEIL, self)

    def round(self, *, decimals=0):
        return PW.round(self, decimals=decimals)

    def trunc(self):
        return _record1(E.TRUNC, self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return E.clip(self, min, max)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        return E.clip(self, min, None)

    def clamp_max(self, max):  # noqa: A002
        return E.clip(self, None, max)

    def where(self, condition, other):
        """PyTorch's ``x.where(condition, y)``: x where condition holds, else y."""
        return E.where(condition, self, other)

    def isnan(self):
        return _record1(E.ISNAN, self)

    def isinf(self):
        return _record1(E.ISINF, self)

    def isfinite(self):
        return _record1(E.ISFINITE, self)

    def isposinf(self):
        return PW.isposinf(self)

    def isneginf(self):
        return PW.isneginf(self)

    def isreal(self):
        return PW.isreal(self)

    def is_nonzero(self) -> bool:
        return PW.is_nonzero(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return PW.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return PW.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        return PW.equal(self, other)

    def bitwise_not(self):
        return _record1(E.INVERT, self)

    def bitwise_left_shift(self, other):
        return PW.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return PW.bitwise_right_shift(self, other)

    def logical_not(self):
        return _record1(E.LOGICAL_NOT, self)

    def logical_and(self, other):
        return _record2(E.LOGICAL_AND, self, other)

    def logical_or(self, other):
        return _record2(E.LOGICAL_OR, self, other)

    def logical_xor(self, other):
        return _record2(E.LOGICAL_XOR, self, other)

    # --- linear algebra (ops/_linalg.py: torch's signatures) -------------------------------
    def det(self):
        return OL.det(self)

    def logdet(self):
        return OL.logdet(self)

    def slogdet(self):
        return OL.slogdet(self)

    def inverse(self):
        return OL.inverse(self)

    def pinverse(self, rcond=1e-15):
        return OL.pinverse(self, rcond)

    def matrix_power(self, n):
        return OL.matrix_power(self, n)

    def matrix_exp(self):
        return OL.matrix_exp(self)

    def cholesky(self, upper=False):
        return OL.cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return OL.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return OL.cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
        return OL.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot=True, get_infos=False):
        return tuple(OL.lu(self, pivot, get_infos))  # a plain tuple, as torch's method

    def lu_solve(self, LU_data, LU_pivots):  # noqa: N803
        return OL.lu_solve(self, LU_data, LU_pivots)

    def qr(self, some=True):
        return OL.qr(self, some)

    def svd(self, some=True, compute_uv=True):
        return OL.svd(self, some, compute_uv)

    def orgqr(self, input2):
        return OL.householder_product(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        return OL.ormqr(self, input2, input3, left, transpose)

    def geqrf(self):
        return OL.geqrf(self)

    # --- the math family (chainrule.numpy's functions) ------------------------------------------
    def asin(self):
        return M.arcsin(self)

    arcsin = asin

    def acos(self):
        return M.arccos(self)

    arccos = acos

    def atan(self):
        return M.arctan(self)

    arctan = atan

    def sinh(self):
        return M.sinh(self)

    def cosh(self):
        return M.cosh(self)

    def asinh(self):
        return M.arcsinh(self)

    arcsinh = asinh

    def acosh(self):
        return M.arccosh(self)

    arccosh = acosh

    def atanh(self):
        return M.arctanh(self)

    arctanh = atanh

    def exp2(self):
        return M.exp2(self)

    def log2(self):
        return M.log2(self)

    def log10(self):
        return M.log10(self)

    def sinc(self):
        return M.sinc(self)

    def square(self):
        return M.square(self)

    def reciprocal(self):
        return PW.reciprocal(self)

    def deg2rad(self):
        return M.deg2rad(self)

    def rad2deg(self):
        return M.rad2deg(self)

    def positive(self):
        return M.positive(self)

    def fix(self):
        return M.fix(self)

    def signbit(self):
        return M.signbit(self)

    def frexp(self):
        return PW.frexp(self)

    def logaddexp(self, other):
        return M.logaddexp(self, other)

    def logaddexp2(self, other):
        return M.logaddexp2(self, other)

    def hypot(self, other):
        return M.hypot(self, other)

    def atan2(self, other):
        return M.arctan2(self, other)

    arctan2 = atan2

    def fmod(self, other):
        return M.fmod(self, other)

    def fmax(self, other):
        return M.fmax(self, other)

    def fmin(self, other):
        return M.fmin(self, other)

    def copysign(self, other):
        return M.copysign(self, other)

    def float_power(self, other):
        return M.float_power(self, other)

    def ldexp(self, other):
        return PW.ldexp(self, other)

    def heaviside(self, other):
        return M.heaviside(self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return M.nan_to_num(self, nan=nan, posinf=posinf, neginf=neginf)

    # --- special functions (chainrule.scipy.special) -------------------------------------------
    def lgamma(self):
        return SP.gammaln(self)

    def digamma(self):
        return SP.digamma(self)

    def erfc(self):
        return SP.erfc(self)

    def erfinv(self):
        return SP.erfinv(self)

    def i0(self):
        return SP.i0(self)

    def logit(self, eps=None):
        return PW.logit(self, eps)

    def xlogy(self, other):
        return SP.xlogy(self, other)

    def polygamma(self, n):
        """PyTorch's ``x.polygamma(n)``: the n-th derivative of digamma at x."""
        return SP.polygamma(n, self)

    def mvlgamma(self, p):
        return PW.mvlgamma(self, p)

    def igamma(self, other):
        return SP.gammainc(self, other)

    def igammac(self, other):
        return SP.gammaincc(self, other)

    # --- reductions (ops/reductions.py: torch's signatures and result types) ---------------
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):
        return RD.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return RD.nansum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):
        return RD.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return RD.nanmean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=_MISSING, keepdims=False):
        return RD.prod(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,
            axis=_MISSING, keepdims=False):
        """PyTorch's overloads: ``x.var(unbiased)`` (a bool: all elements) and
        ``x.var(dim, unbiased, keepdim)``; see ``chainrule.var``."""
        return RD.var(self, dim, unbiased, keepdim, correction=correction, ddof=ddof,
                      axis=axis, keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=_MISSING, ddof=None,
            axis=_MISSING, keepdims=False):
        """PyTorch's overloads: ``x.std(unbiased)`` (a bool: all elements) and
        ``x.std(dim, unbiased, keepdim)``; see ``chainrule.std``."""
        return RD.std(self, dim, unbiased, keepdim, correction=correction, ddof=ddof,
                      axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return RD.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return RD.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return RD.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=_MISSING, keepdims=False):
        return RD.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def aminmax(self, *, dim=None, keepdim=False):
        return RD.aminmax(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=_MISSING):
        return RD.argmax(self, dim, keepdim, axis=axis)

    def argmin(self, dim=None, keepdim=False, *, axis=_MISSING):
        return RD.argmin(self, dim, keepdim, axis=axis)

    def all(self, dim=None, keepdim=False):
        return RD.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return RD.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return RD.count_nonzero(self, dim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return RD.norm(self, p, dim, keepdim, dtype)

    def dist(self, other, p=2):
        return RD.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        return RD.renorm(self, p, dim, maxnorm)

    def median(self, dim=None, keepdim=False):
        return RD.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return RD.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return RD.mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return RD.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return RD.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def cumsum(self, dim=None, *, dtype=None, axis=_MISSING):
        return RD.cumsum(self, dim, dtype=dtype, axis=axis)

    def cumprod(self, dim=None, *, dtype=None, axis=_MISSING):
        return RD.cumprod(self, dim, dtype=dtype, axis=axis)

    def cummax(self, dim):
        return RD.cummax(self, dim)

    def cummin(self, dim):
        return RD.cummin(self, dim)

    def logcumsumexp(self, dim):
        return RD.logcumsumexp(self, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return RD.diff(self, n, dim, prepend, append)

    def logsumexp(self, dim=None, keepdim=False):
        return RD.logsumexp(self, dim, keepdim)

    def softmax(self, dim=-1, dtype=None):
        return PW.softmax(self, dim, dtype)

    def log_softmax(self, dim=-1, dtype=None):
        return PW.log_softmax(self, dim, dtype)

    # --- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        return S.reshape(self, *shape)

    def view(self, *shape) -> Tensor:
        """The same memory seen with another shape; an error where NumPy would have to copy
        (use ``reshape`` then, which copies when it must)."""
        out = S.reshape(self, *shape)
        if out._data.size and not np.may_share_memory(out._data, self._data):
            raise RuntimeError(
                f"view: shape {out._data.shape} is not compatible with the memory layout of "
                f"this tensor (shape {self._data.shape}, strides {self._data.strides}): it "
                f"would need a copy. Use .reshape(...) instead.")
        return out

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

    def flip(self, *args, dims=None, axis=_MISSING):
        return OS.flip(self, args[0] if len(args) == 1 else (args or dims), axis=axis)

    def fliplr(self):
        return OS.fliplr(self)

    def flipud(self):
        return OS.flipud(self)

    def roll(self, shifts, dims=None):
        return OS.roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        return OS.rot90(self, k, dims)

    def narrow(self, dim, start, length):
        return OS.narrow(self, dim, start, length)

    def unbind(self, dim=0):
        return OS.unbind(self, dim)

    def split(self, split_size_or_sections, dim=0):
        return C.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return C.chunk(self, chunks, dim)

    def tensor_split(self, indices_or_sections, dim=0):
        return OS.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return OS.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return OS.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return OS.dsplit(self, indices_or_sections)

    def movedim(self, source, destination):
        return OS.movedim(self, source, destination)

    moveaxis = movedim

    def swapdims(self, dim0, dim1):
        return C.swapaxes(self, dim0, dim1)

    def adjoint(self):
        return OS.adjoint(self)

    def unflatten(self, dim, sizes):
        return OS.unflatten(self, dim, sizes)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return S.reshape(self, other.shape)

    def repeat(self, *sizes):
        return OS.repeat(self, OS.sizes_arg(sizes, "repeat"))

    def tile(self, *dims):
        return OS.tile(self, OS.sizes_arg(dims, "tile"))

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return OS.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tril(self, diagonal=0):
        return OS.tril(self, diagonal)

    def triu(self, diagonal=0):
        return OS.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return _inplace.update(self, OS.tril(self, diagonal), "tril_")

    def triu_(self, diagonal=0):
        return _inplace.update(self, OS.triu(self, diagonal), "triu_")

    def diag(self, diagonal=0):
        return OS.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return OS.diag_embed(self, offset, dim1, dim2)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return OS.diagonal(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return OS.diagflat(self, offset)

    def trace(self):
        return OS.trace(self)

    def unfold(self, dimension, size, step):
        return OS.unfold(self, dimension, size, step)

    def as_strided(self, size, stride, storage_offset=0):
        return OS.as_strided(self, size, stride, storage_offset)

    def sum_to_size(self, *size):
        return S.sum_to(self, OS.sizes_arg(size, "sum_to_size"))

    def split_with_sizes(self, split_sizes, dim=0):
        return OS.split_with_sizes(self, split_sizes, dim)

    unsafe_split = split

    unsafe_chunk = chunk

    def narrow_copy(self, dim, start, length):
        return OS.narrow_copy(self, dim, start, length)

    def select_scatter(self, src, dim, index):
        return OS.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return OS.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return OS.diagonal_scatter(self, src, offset, dim1, dim2)

    def as_strided_scatter(self, src, size, stride, storage_offset=0):
        return OS.as_strided_scatter(self, src, size, stride, storage_offset)

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
        return OS.new_full(self, tuple(size), 0, dtype, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return OS.new_full(self, OS.sizes_arg(size, "new_zeros"), 0, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return OS.new_full(self, OS.sizes_arg(size, "new_ones"), 1, dtype, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return OS.new_full(self, OS.sizes_arg(size, "new_empty"), 0, dtype, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return OS.new_full(self, tuple(size), fill_value, dtype, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return OS.new_tensor(self, data, dtype, requires_grad)

    # --- indexing ---------------------------------------------------------------------------
    def gather(self, dim, index, *, sparse_grad=False):
        return OI.gather(self, dim, index)

    def take_along_axis(self, indices, axis):
        return S.take_along_axis(self, indices, axis)

    def take_along_dim(self, indices, dim=None):
        return OI.take_along_dim(self, indices, dim)

    def take(self, index):
        return OI.take(self, index)

    def index_select(self, dim, index):
        return OI.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return OI.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace.update(self, OI.index_add(self, dim, index, source, alpha=alpha),
                               "index_add_")

    def index_copy(self, dim, index, source):
        return OI.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return _inplace.update(self, OI.index_copy(self, dim, index, source), "index_copy_")

    def index_fill(self, dim, index, value):
        return OI.index_fill(self, dim, index, value)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return OI.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return _inplace.update(self, OI.index_reduce(self, dim, index, source, reduce,
                                                     include_self=include_self), "index_reduce_")

    def select(self, dim, index):
        return OI.select(self, dim, index)

    def index_fill_(self, dim, index, value):
        return _inplace.update(self, OI.index_fill(self, dim, index, value), "index_fill_")

    def index_put(self, indices, values, accumulate=False):
        return OI.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return _inplace.update(self, OI.index_put(self, indices, values, accumulate),
                               "index_put_")

    def masked_fill(self, mask, value):
        return OI.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return OI.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return OI.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return _inplace.update(self, OI.masked_scatter(self, mask, source), "masked_scatter_")

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return OI.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.update(self, OI.scatter(self, dim, index, src, value=value,
                                                reduce=reduce), "scatter_")

    def scatter_add(self, dim, index, src):
        return OI.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _inplace.update(self, OI.scatter_add(self, dim, index, src), "scatter_add_")

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return OI.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return _inplace.update(self, OI.scatter_reduce(self, dim, index, src, reduce,
                                                       include_self=include_self),
                               "scatter_reduce_")

    def put(self, index, source, accumulate=False):
        return OI.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return _inplace.update(self, OI.put(self, index, source, accumulate), "put_")

    def nonzero(self, *, as_tuple=False):
        return OI.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return OI.argwhere(self)

    def nonzero_static(self, *, size, fill_value=-1):
        return OI.nonzero_static(self, size=size, fill_value=fill_value)

    def isin(self, test_elements, *, assume_unique=False, invert=False):
        return OO.isin(self, test_elements, assume_unique=assume_unique, invert=invert)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return OO.histogram(self, bins, range=range, weight=weight, density=density)

    # --- sorting ----------------------------------------------------------------------------
    def sort(self, dim=-1, descending=False, *, stable=False):
        return OO.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return OO.argsort(self, dim, descending, stable=stable)

    def msort(self):
        return OO.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        return OO.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return OO.kthvalue(self, k, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
               dim=None):
        return OO.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return OO.unique_consecutive(self, return_inverse, return_counts, dim)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        return OO.histc(self, bins, min, max)

    def bincount(self, weights=None, minlength=0):
        return OO.bincount(self, weights, minlength)

    # --- products ---------------------------------------------------------------------------
    def matmul(self, other):
        return _record2(L.MATMUL, self, other)

    def dot(self, other):
        return OB.dot(self, other)

    def vdot(self, other):
        return OB.vdot(self, other)

    def inner(self, other):
        return OB.inner(self, other)

    def outer(self, vec2):
        return OB.outer(self, vec2)

    ger = outer

    def mm(self, mat2):
        return OB.mm(self, mat2)

    def bmm(self, mat2):
        return OB.bmm(self, mat2)

    def mv(self, vec):
        return OB.mv(self, vec)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return OB.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return OB.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return OB.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return OB.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return OB.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def kron(self, other):
        return OB.kron(self, other)

    def cross(self, other, dim=None):
        return OB.cross(self, other, dim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return OB.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return OB.corrcoef(self)

    # --- random sampling (ops/random.py) and the short-time Fourier transform (ops/spectral.py)
    def bernoulli(self, p=None, *, generator=None):
        return OR.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return OR.multinomial(self, num_samples, replacement, generator=generator)

    def stft(self, n_fft, *args, **kwargs):
        return SPC.stft(self, n_fft, *args, **kwargs)

    def istft(self, n_fft, *args, **kwargs):
        return SPC.istft(self, n_fft, *args, **kwargs)


def install_numpy_protocol(protocol) -> None:
    """Called by ``chainrule.numpy`` at import: ``protocol`` (its ``_protocol`` module) serves
    ``Tensor.__array_ufunc__`` and ``Tensor.__array_function__``."""
    Tensor._numpy_protocol = protocol


dispatch.install_tensor_type(Tensor)
