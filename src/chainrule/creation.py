"""Making tensors: from data, filled, ranges, and random (with seedable generators).

Default dtypes follow NumPy: Python floats and the float factories give float64, Python ints
give int64 (docs/semantics.md; docs/pytorch.md, "dtypes, devices and factories", says why they
stay so on the PyTorch face). Every factory takes ``device=`` (the CPU only).
"""

from __future__ import annotations

import numpy as np

from ._device import check_device
from .autograd.conversion import check_number
from .autograd.dispatch import wrap
from .ops.random import Generator, default_generator
from .ops.random import rng as _rng
from .tensor import Tensor


def _finish(arr, requires_grad, device=None, op="chainrule"):
    check_device(device, op)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(shape, op="zeros"):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike; a clear error for anything else."""
    if len(shape) == 1 and hasattr(shape[0], "__len__") and not isinstance(shape[0], str):
        shape = tuple(shape[0])  # a tuple, list, or torch.Size-like sequence
    out = []
    for s in shape:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: the size must be ints or one tuple of ints, but got an "
                            f"element {s!r} of type {type(s).__name__}")
        if s < 0:
            raise ValueError(f"{op}: negative dimension {int(s)} in size {tuple(shape)}")
        out.append(int(s))
    return tuple(out)


def _values(data):
    """``data`` with its tensors (in nested lists too) replaced by their values: PyTorch's copy.
    Inside a functional transform a traced value is refused (its derivative would be lost)."""
    if isinstance(data, Tensor):
        check_number(data, "chainrule.tensor(x), which copies x's values into a new leaf,")
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, (Tensor, list, tuple)) for d in data):
        return [_values(d) for d in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors)."""
    data = _values(data)
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as exc:
        raise ValueError(f"tensor: cannot make a tensor from this data ({exc}); nested lists "
                         f"must be rectangular, all rows of the same length") from None
    if arr.dtype == object:
        raise TypeError(f"tensor: cannot make a tensor from data of type "
                        f"{type(data).__name__}; give numbers, nested lists or arrays")
    return _finish(arr, requires_grad, device, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` when it is an array of the right dtype."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    return wrap(np.asarray(data, dtype=dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return wrap(array)


# Every factory takes PyTorch's keywords: ``device`` (the CPU only: chainrule._device), and
# ``pin_memory`` and ``memory_format``, which change nothing for NumPy arrays.
def zeros(*shape, dtype=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    return _finish(np.zeros(_shape(shape, "zeros"), dtype=dtype or np.float64), requires_grad,
                   device, "zeros")


def ones(*shape, dtype=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    return _finish(np.ones(_shape(shape, "ones"), dtype=dtype or np.float64), requires_grad,
                   device, "ones")


def empty(*shape, dtype=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    return _finish(np.empty(_shape(shape, "empty"), dtype=dtype or np.float64), requires_grad,
                   device, "empty")


def full(shape, fill_value, dtype=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _finish(np.full(shape, fill_value, dtype=dtype), requires_grad, device, "full")


def _like(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def zeros_like(x, dtype=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(np.zeros_like(_like(x), dtype=dtype), requires_grad, device, "zeros_like")


def ones_like(x, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(np.ones_like(_like(x), dtype=dtype), requires_grad, device, "ones_like")


def empty_like(x, dtype=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(np.empty_like(_like(x), dtype=dtype), requires_grad, device, "empty_like")


def full_like(x, fill_value, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(np.full_like(_like(x), fill_value, dtype=dtype), requires_grad, device,
                   "full_like")


def arange(start, end=None, step=1, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to but excluding ``end``, spaced by ``step``."""
    if end is None:
        start, end = 0, start
    return _finish(np.arange(start, end, step, dtype=dtype), requires_grad, device, "arange")


def linspace(start, end, steps=50, dtype=None, device=None, requires_grad: bool = False, *,
             num=None) -> Tensor:
    """``steps`` (NumPy: ``num``) evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps if num is None else num, dtype=dtype),
                   requires_grad, device, "linspace")


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``; ``start`` and ``end`` may be 0-d tensors."""
    start, end = (_like(v).item() if isinstance(v, Tensor) else v for v in (start, end))
    return _finish(np.logspace(start, end, steps, base=base, dtype=dtype or np.float64),
                   requires_grad, device, "logspace")


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s`` (float64 unless ``dtype`` is given)."""
    return _finish(np.array(s, dtype=dtype or np.float64), requires_grad, device,
                   "scalar_tensor")


def empty_strided(size, stride, *, dtype=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size``; NumPy arrays here are contiguous, so ``stride``
    is checked for length only."""
    if len(tuple(stride)) != len(tuple(size)):
        raise ValueError(f"empty_strided: {len(tuple(size))} sizes but "
                         f"{len(tuple(stride))} strides")
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size``; ``physical_layout`` (a permutation of the dims,
    the memory order) is checked but NumPy's memory stays contiguous."""
    if sorted(physical_layout) != list(range(len(tuple(size)))):
        raise ValueError(f"empty_permuted: physical_layout {tuple(physical_layout)} is not a "
                         f"permutation of the {len(tuple(size))} dims")
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=dtype or np.float64), requires_grad, device, "eye")


# --- random -------------------------------------------------------------------------------------
# Generator and default_generator live in ops/random.py, below the Tensor, whose bernoulli and
# multinomial methods draw from them too.
def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def _float_dtype(dtype, op):
    dt = np.dtype(dtype or np.float64)
    if dt.kind != "f":
        raise TypeError(f"{op}: draws floating point numbers, so dtype must be a float dtype, "
                        f"not {dt.name}; use randint for integers")
    return dt


def rand(*shape, generator: Generator | None = None, dtype=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _float_dtype(dtype, "rand")
    check_device(device, "rand")
    draws = _rng(generator).random(_shape(shape, "rand"), dtype=np.float64)
    return _finish(draws.astype(dt, copy=False), requires_grad)


def randn(*shape, generator: Generator | None = None, dtype=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples."""
    dt = _float_dtype(dtype, "randn")
    check_device(device, "randn")
    return _finish(_rng(generator).standard_normal(_shape(shape, "randn")).astype(dt, copy=False),
                   requires_grad)


def randint(low, high=None, size=None, *, generator: Generator | None = None,
            dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high). PyTorch's ``randint(high, size)`` form works too."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    size = () if size is None else (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    check_device(device, "randint")
    dt = np.dtype(dtype or np.int64)
    draws = _rng(generator).integers(low, high, size, dtype=np.int64)
    return _finish(draws.astype(dt, copy=False), requires_grad)  # PyTorch: dtype=float works


def randperm(n: int, *, generator: Generator | None = None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    check_device(device, "randperm")
    perm = _rng(generator).permutation(int(n)).astype(dtype or np.int64, copy=False)
    return _finish(perm, requires_grad)


def rand_like(x, *, generator=None, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    d = _like(x)
    return rand(d.shape, generator=generator, dtype=dtype or d.dtype, device=device,
                requires_grad=requires_grad)


def randint_like(x, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False, memory_format=None) -> Tensor:
    """Integers in [low, high) (``randint_like(x, high)`` too) shaped like ``x``."""
    d = _like(x)
    if high is None:
        low, high = 0, low
    return randint(low, high, d.shape, generator=generator, dtype=dtype or d.dtype,
                   device=device, requires_grad=requires_grad)


def randn_like(x, *, generator=None, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    d = _like(x)
    return randn(d.shape, generator=generator, dtype=dtype or d.dtype, device=device,
                 requires_grad=requires_grad)
