"""``import chainrule.numpy as np``: NumPy's API, differentiable.

The namespace is assembled from layers, and a name has one home: assembly raises if two layers
define the same name (docs/numpy.md):

1. NumPy's own objects that need no derivative (``_passthrough``): constants, dtypes and types
   (``pi``, ``float64``, ``finfo``), ``random``, and functions whose results are indices,
   bools, shapes or constants (``argmax``, ``isclose``, ``shape``, ``zeros``, ``arange``),
   which take tensors and use their values;
2. the ``__all__`` of chainrule's primitive families whose functions have NumPy's names and
   signatures: ``primitives.math``, ``primitives.complex``, ``primitives.signal`` (a list
   argument holding tensors is stacked into one array first);
3. the ``__all__`` of chainrule.numpy's families: ``_elementwise``, ``_reductions``,
   ``_shape``, ``_indexing``, ``_sorting``, ``_products``, ``_creation``, ``_polynomial``,
   ``_interp`` and ``_index_tricks`` (``r_``, ``c_``). Each function keeps NumPy's name,
   signature and defaults, and runs NumPy itself when no tensor is among its arguments
   (``_wrappers``, which holds what the families share);
4. the submodules ``linalg`` and ``fft`` (chainrule's) and ``random`` (NumPy's own, registered
   as ``chainrule.numpy.random`` so that HIPS autograd's ``import autograd.numpy.random as npr``
   has a chainrule spelling).

Then every name that is a ufunc in NumPy becomes a function with a ufunc's attributes and
``reduce``, ``accumulate``, ``outer``, ``at``, ``out=``, ``where=`` and ``dtype=`` (``_ufunc``),
and NumPy's aliases (``acos`` for ``arccos``) point to the same objects.

Any other public NumPy name raises ``NotDifferentiableError`` (an ``AttributeError``) on access,
naming the function and how to proceed: chainrule never drops a gradient silently.

``__init__.pyi`` lists the namespace for IDEs and type checkers; it is generated
(``python -m chainrule.numpy._stubs``).
"""

import sys as _sys

import numpy as _np

from ..primitives import complex as _complex
from ..primitives import math as _math
from ..primitives import signal as _signal
from . import (
    _creation,
    _elementwise,
    _index_tricks,
    _indexing,
    _interp,
    _passthrough,
    _polynomial,
    _products,
    _protocol,
    _reductions,
    _shape,
    _sorting,
    fft,
    linalg,
)
from ._passthrough import NotDifferentiableError, not_differentiable
from ._ufunc import make_ufunc as _make_ufunc
from ._wrappers import stack_nested_args as _stack_nested_args

# chainrule's primitive families whose functions have NumPy's names and signatures
_PRIMITIVE_FAMILIES = (_math, _complex, _signal)
# chainrule.numpy's own families: their functions take NumPy's arguments as they are
_FAMILIES = (_elementwise, _reductions, _shape, _indexing, _sorting, _products, _creation,
             _polynomial, _interp, _index_tricks)


def _assemble(primitive_families=_PRIMITIVE_FAMILIES, families=_FAMILIES):
    """The namespace (name -> object) and each name's kind ("chainrule", "value-only",
    "constant", "numpy" or "module"). Raises ``RuntimeError`` when two layers define a name."""
    ns: dict = {}
    kinds: dict[str, str] = {}
    home: dict[str, str] = {}

    def add(name: str, obj, kind: str, where: str):
        if name in ns:
            raise RuntimeError(
                f"chainrule.numpy: {name!r} is defined twice, by {home[name]} and by {where}; "
                f"a name has one home, so remove one of them (the later one would silently "
                f"shadow the other)")
        ns[name], kinds[name], home[name] = obj, kind, where

    for name in _passthrough.numpy_public_names(_np):
        obj = _passthrough.pass_through(name)
        if obj is not _passthrough.ABSENT:
            add(name, obj, getattr(obj, "_chainrule_kind", "numpy"),
                "chainrule.numpy._passthrough (NumPy's own)")
    for mod in primitive_families:
        for name in mod.__all__:
            obj = getattr(mod, name)
            kind = getattr(obj, "_chainrule_kind", "chainrule")
            if kind == "chainrule" and callable(obj):
                obj = _stack_nested_args(obj)
            add(name, obj, kind, mod.__name__)
    for mod in families:
        for name in mod.__all__:
            obj = getattr(mod, name)
            add(name, obj, getattr(obj, "_chainrule_kind", "chainrule"), mod.__name__)
    add("linalg", linalg, "module", "chainrule.numpy")
    add("fft", fft, "module", "chainrule.numpy")
    for name, obj in ns.items():
        uf = getattr(_np, name, None)
        if isinstance(uf, _np.ufunc) and callable(obj) and not hasattr(obj, "_chainrule_ufunc"):
            ns[name] = _make_ufunc(uf, obj, kinds[name])
    # NumPy's aliases (acos is arccos, concat is concatenate): the name we provide for the
    # same NumPy object.
    provided = {id(getattr(_np, n)): n for n in ns if hasattr(_np, n)}
    for name in _passthrough.numpy_public_names(_np):
        other = provided.get(id(getattr(_np, name)))
        if name not in ns and other is not None:
            ns[name] = ns[other]
            kinds[name] = kinds[other]
    return ns, kinds


def _fill_submodule(mod, np_mod, prefix: str, main: dict):
    """The pass-through names of ``numpy.linalg`` / ``numpy.fft`` that the submodule does not
    define, the main namespace's functions that NumPy mirrors there (``numpy.linalg.matmul``),
    and the refusing ``__getattr__``. Raises when a pass-through list names a function the
    submodule defines (one home per name)."""
    short = prefix.split(".")[-1]
    for name in _passthrough.numpy_public_names(np_mod):
        obj = _passthrough.pass_through(name, np_mod, prefix)
        if name in vars(mod):
            if obj is not _passthrough.ABSENT and obj is not vars(mod)[name]:
                raise RuntimeError(
                    f"chainrule.{prefix}: {name!r} is defined by chainrule.{prefix} and listed "
                    f"in chainrule.numpy._passthrough; a name has one home, so remove one")
            continue
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


_ns, _KINDS = _assemble()
globals().update(_ns)
_protocol.install(_sys.modules[__name__])  # numpy.sin(t), numpy.sum(t) on tensors come here
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
