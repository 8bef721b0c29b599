"""NumPy's dispatch protocols on tensors: ``Tensor.__array_ufunc__`` (NEP 13) and
``Tensor.__array_function__`` (NEP 18) delegate here.

``numpy.sin(t)``, ``numpy.add(a, t, out=...)``, ``ndarray + tensor``, ``numpy.add.reduce(t)``
run the chainrule.numpy ufunc of the same name (see ``_ufunc``); ``numpy.sum(t)``,
``numpy.linalg.norm(t)``, ``numpy.fft.fft(t)``, ``numpy.concatenate([t, a])`` run the
chainrule.numpy function of the same module path and name. A NumPy function that chainrule does
not cover raises ``TypeError`` naming it, rather than converting the tensor to an array and
dropping its gradient.

Tensor operators do not come here (``t + a`` calls the primitive directly); only NumPy's own
entry points pay for the lookup.
"""

from __future__ import annotations

import sys

import numpy as np

from ..primitives._core import tensor_types
from ..tensor import install_numpy_protocol
from ._passthrough import not_differentiable
from ._ufunc import Ufunc

__all__ = ["array_ufunc", "array_function"]

_UFUNCS: dict = {}  # numpy ufunc -> Ufunc (the implementation of the namespace's ufunc)
_CALLS: dict = {}  # numpy ufunc -> chainrule function: the fast path of a plain call
_FUNCTIONS: dict = {}  # numpy function -> chainrule.numpy function


_NAMESPACE = None  # the chainrule.numpy module, handed over by install() (it imports this one)


def install(namespace) -> None:
    """Called once by ``chainrule.numpy`` when it is assembled: look names up in ``namespace``
    and serve Tensor's NumPy protocols from here."""
    global _NAMESPACE
    _NAMESPACE = namespace
    install_numpy_protocol(sys.modules[__name__])


def _namespace(module_name: str):
    cnp = _NAMESPACE
    if module_name == "numpy":
        return cnp
    if module_name.startswith("numpy."):
        return getattr(cnp, module_name.split(".", 1)[1], None)
    return None


def _lookup_ufunc(uf: np.ufunc) -> Ufunc:
    w = _namespace("numpy").__dict__.get(uf.__name__)
    if w is None or not callable(w):
        raise TypeError(not_differentiable(f"numpy.{uf.__name__}"))
    impl = getattr(w, "_chainrule_ufunc", None) or \
        Ufunc(uf, w, getattr(w, "_chainrule_kind", "chainrule"))
    _UFUNCS[uf], _CALLS[uf] = impl, impl._fn
    return impl


def array_ufunc(uf: np.ufunc, method: str, inputs: tuple, kwargs: dict):
    """``Tensor.__array_ufunc__``: run the chainrule.numpy ufunc named like ``uf``."""
    if method == "__call__" and not kwargs:  # operators with an ndarray on the left
        fn = _CALLS.get(uf)
        if fn is not None:
            return fn(*inputs)
    w = _UFUNCS.get(uf) or _lookup_ufunc(uf)
    if method == "__call__":
        return w.call(inputs, kwargs) if kwargs else w._fn(*inputs)
    if method in ("reduce", "accumulate", "outer", "at"):
        return getattr(w, method)(*inputs, **kwargs)
    raise TypeError(f"numpy.{uf.__name__}.{method} is not differentiable by chainrule (only "
                    f"__call__, reduce, accumulate, outer and at are); call it on "
                    f"t.detach().numpy() for values without gradients")


def _lookup_function(func):
    modname, name = getattr(func, "__module__", None) or "numpy", func.__name__
    mod = _namespace(modname)
    target = None if mod is None else mod.__dict__.get(name)
    if target is None and mod is not None:
        try:
            target = getattr(mod, name)
        except AttributeError:
            target = None
    if target is None or target is func or not callable(target):
        raise TypeError(not_differentiable(f"{modname}.{name}"))
    _FUNCTIONS[func] = target
    return target


def array_function(func, types, args: tuple, kwargs: dict):
    """``Tensor.__array_function__``: run the chainrule.numpy function named like ``func``."""
    for t in types:
        if not (issubclass(t, np.ndarray) or t in tensor_types):
            return NotImplemented
    target = _FUNCTIONS.get(func) or _lookup_function(func)
    return target(*args, **kwargs)
