"""``import chainrule.numpy as np``: NumPy's API, differentiable.

The namespace is assembled in layers, each over the one before (docs/numpy.md):

1. NumPy's own objects that need no derivative: constants, dtypes and types (``pi``,
   ``float64``, ``finfo``), ``random``, and functions whose results are indices, bools, shapes
   or constants (``argmax``, ``isclose``, ``shape``, ``zeros``, ``arange``), which take
   tensors and use their values (``_passthrough``);
2. chainrule's operations under NumPy's names and signatures (``_fallback``), and more of
   NumPy's API composed from them (``_extras``);
3. the ``__all__`` of the NumPy-semantics modules: ``primitives.math``, ``primitives.complex``,
   ``primitives.signal`` and ``numpy._arrays``;
4. every name that is a ufunc in NumPy becomes a function with a ufunc's attributes and
   ``reduce``, ``accumulate``, ``outer``, ``at``, ``out=``, ``where=`` and ``dtype=``;
5. the index tricks ``r_`` and ``c_`` (``_index_tricks``), differentiable concatenation.

The submodules ``linalg`` and ``fft`` are chainrule's; ``random`` is NumPy's own (random numbers
are constants), registered as ``chainrule.numpy.random`` so that HIPS autograd's
``import autograd.numpy.random as npr`` has a chainrule spelling.

Any other public NumPy name raises ``NotDifferentiableError`` (an ``AttributeError``) on access,
naming the function and how to proceed: chainrule never drops a gradient silently.
"""

from __future__ import annotations

import sys as _sys

import numpy as _np

from ..primitives import complex as _complex
from ..primitives import math as _math
from ..primitives import signal as _signal
from . import _arrays, _extras, _fallback, _index_tricks, _passthrough, fft, linalg  # noqa: F401
from ._passthrough import NotDifferentiableError, not_differentiable
from ._ufunc import make_ufunc

_LAYERS = (_math, _complex, _signal, _arrays)  # later layers win
_KINDS: dict[str, str] = {}  # name -> "chainrule", "value-only", "constant" or "numpy"


def _assemble() -> dict:
    ns: dict = {}
    for name in _passthrough.numpy_public_names(_np):
        obj = _passthrough.pass_through(name)
        if obj is not _passthrough.ABSENT:
            ns[name] = obj
            _KINDS[name] = getattr(obj, "_chainrule_kind", "numpy")
    for layer in (_fallback.ELEMENTWISE, _fallback.FUNCTIONS, _extras.FUNCTIONS):
        ns.update(layer)
        _KINDS.update(dict.fromkeys(layer, "chainrule"))
    for mod in _LAYERS:
        for name in getattr(mod, "__all__", ()):
            ns[name] = getattr(mod, name)
            _KINDS[name] = getattr(ns[name], "_chainrule_kind", "chainrule")
    # The functions from the layers below _arrays take single arrays: a list holding tensors is
    # stacked differentiably first (_arrays' own functions do that themselves).
    own = {id(getattr(_arrays, n)) for n in _arrays.__all__}
    for name, obj in ns.items():
        if _KINDS[name] == "chainrule" and callable(obj) and id(obj) not in own:
            ns[name] = _arrays._stack_nested_args(obj)
    for name, obj in ns.items():
        uf = getattr(_np, name, None)
        if isinstance(uf, _np.ufunc) and callable(obj) and not hasattr(obj, "_chainrule_ufunc"):
            ns[name] = make_ufunc(uf, obj, _KINDS[name])
    # NumPy's aliases (acos is arccos, concat is concatenate): the name we provide for the
    # same NumPy object.
    provided = {id(getattr(_np, n)): n for n in ns if hasattr(_np, n)}
    for name in _passthrough.numpy_public_names(_np):
        other = provided.get(id(getattr(_np, name)))
        if name not in ns and other is not None:
            ns[name] = ns[other]
            _KINDS[name] = _KINDS[other]
    ns["random"] = _np.random
    ns["linalg"], ns["fft"] = linalg, fft
    _KINDS.update(random="numpy", linalg="module", fft="module")
    for name in _index_tricks.__all__:
        ns[name] = getattr(_index_tricks, name)
        _KINDS[name] = "chainrule"
    return ns


def _fill_submodule(mod, np_mod, prefix: str, main: dict):
    """The pass-through names of ``numpy.linalg`` / ``numpy.fft`` that the submodule does not
    define, the main namespace's functions that NumPy mirrors there (``numpy.linalg.matmul``),
    and the refusing ``__getattr__``."""
    short = prefix.split(".")[-1]
    for name in _passthrough.numpy_public_names(np_mod):
        if name in vars(mod):
            continue
        obj = _passthrough.pass_through(name, np_mod, prefix)
        if obj is _passthrough.ABSENT and short == "linalg" and name in _MIRRORED:
            obj = main.get(name, obj)
        if obj is not _passthrough.ABSENT:
            setattr(mod, name, obj)
    if "__getattr__" not in vars(mod):
        mod.__getattr__ = _refuser(np_mod, prefix)


_MIRRORED = frozenset({"matmul", "tensordot", "trace", "diagonal", "cross", "matrix_transpose",
                       "vecdot"})


def _refuser(np_mod, prefix: str):
    def __getattr__(name: str):  # noqa: N807 - PEP 562
        if not name.startswith("_") and hasattr(np_mod, name):
            raise NotDifferentiableError(not_differentiable(f"{prefix}.{name}"))
        raise AttributeError(f"module 'chainrule.{prefix}' has no attribute {name!r}")

    return __getattr__


_ns = _assemble()
globals().update(_ns)
_sys.modules.setdefault(f"{__name__}.random", _np.random)  # import chainrule.numpy.random
_fill_submodule(linalg, _np.linalg, "numpy.linalg", _ns)
_fill_submodule(fft, _np.fft, "numpy.fft", _ns)
__all__ = sorted(n for n in _ns if not n.startswith("_"))
__getattr__ = _refuser(_np, "numpy")
del _ns


def _kind(name: str) -> str:
    """How chainrule.numpy provides ``name``: "chainrule" (a differentiable chainrule
    function), "value-only" (NumPy on the values: indices, bools, shapes), "constant" (NumPy
    building a constant array), "numpy" (a NumPy constant, type or module passed through),
    "module", or "unsupported" (access raises ``NotDifferentiableError``)."""
    return _KINDS.get(name, "unsupported")


def __dir__() -> list[str]:
    return __all__
