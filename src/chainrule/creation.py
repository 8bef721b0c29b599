"""Making tensors: from data, filled, ranges, and random (with seedable generators).

Default dtypes follow NumPy: Python floats and the float factories give float64, Python ints
give int64 (docs/semantics.md).
"""

from __future__ import annotations

import numpy as np

from .autograd.conversion import check_number
from .autograd.dispatch import wrap
from .tensor import Tensor


def _finish(arr, requires_grad):
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


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
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
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """A tensor sharing memory with ``data`` when it is an array of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    return wrap(np.asarray(data, dtype=dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return wrap(array)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_shape(shape, "zeros"), dtype=dtype or np.float64), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_shape(shape, "ones"), dtype=dtype or np.float64), requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_shape(shape, "empty"), dtype=dtype or np.float64), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _finish(np.full(shape, fill_value, dtype=dtype), requires_grad)


def _like(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros_like(_like(x), dtype=dtype), requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones_like(_like(x), dtype=dtype), requires_grad)


def empty_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty_like(_like(x), dtype=dtype), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.full_like(_like(x), fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to but excluding ``end``, spaced by ``step``."""
    if end is None:
        start, end = 0, start
    return _finish(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps=50, dtype=None, requires_grad: bool = False, *, num=None) -> Tensor:
    """``steps`` (NumPy: ``num``) evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps if num is None else num, dtype=dtype),
                   requires_grad)


def eye(n, m=None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=dtype or np.float64), requires_grad)


# --- random -------------------------------------------------------------------------------------
class Generator:
    """A source of random numbers (PCG64). ``Generator().manual_seed(0)`` makes a seeded one."""

    def __init__(self, seed: int | None = None):
        if isinstance(seed, str):  # torch.Generator('cpu'): a device, not a seed
            if seed.split(":")[0] != "cpu":
                raise RuntimeError(f"Generator: chainrule runs on the CPU only, not {seed!r}")
            seed = None
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        self._seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def _rng(generator):
    return (generator or default_generator)._rng


def _float_dtype(dtype, op):
    dt = np.dtype(dtype or np.float64)
    if dt.kind != "f":
        raise TypeError(f"{op}: draws floating point numbers, so dtype must be a float dtype, "
                        f"not {dt.name}; use randint for integers")
    return dt


def rand(*shape, generator: Generator | None = None, dtype=None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _float_dtype(dtype, "rand")
    draws = _rng(generator).random(_shape(shape, "rand"), dtype=np.float64)
    return _finish(draws.astype(dt, copy=False), requires_grad)


def randn(*shape, generator: Generator | None = None, dtype=None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dt = _float_dtype(dtype, "randn")
    return _finish(_rng(generator).standard_normal(_shape(shape, "randn")).astype(dt, copy=False),
                   requires_grad)


def randint(low, high=None, size=None, *, generator: Generator | None = None,
            dtype=None) -> Tensor:
    """Integers in [low, high). PyTorch's ``randint(high, size)`` form works too."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    size = () if size is None else (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return wrap(_rng(generator).integers(low, high, size, dtype=dtype or np.int64))


def randperm(n: int, *, generator: Generator | None = None) -> Tensor:
    return wrap(_rng(generator).permutation(int(n)))


def rand_like(x, *, generator=None, dtype=None, requires_grad=False) -> Tensor:
    d = _like(x)
    return rand(d.shape, generator=generator, dtype=dtype or d.dtype, requires_grad=requires_grad)


def randn_like(x, *, generator=None, dtype=None, requires_grad=False) -> Tensor:
    d = _like(x)
    return randn(d.shape, generator=generator, dtype=dtype or d.dtype, requires_grad=requires_grad)
