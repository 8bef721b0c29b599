"""``chainrule.compile`` (this package is ``chainrule.compiler``): trace a function once per
input signature and run it as generated straight-line code (docs/compile.md)."""

from __future__ import annotations

from ..autograd.tracing import TracingError
from ._compiled import Compiled
from ._control import cond, fori_loop, scan
from ._module import CompiledModule
from ._vmap import vmap

__all__ = ["compile", "Compiled", "CompiledModule", "TracingError", "cond", "fori_loop", "scan",
           "vmap"]


def compile(fn=None, *, static_argnums=(), static_argnames=(), backend: str = "numpy",
            cache_size: int = 64):
    """Compile ``fn`` (a function of arrays, tensors and nested containers of them, or a
    ``Module``); usable as ``@compile`` or ``@compile(static_argnums=...)``.

    Returns a ``Compiled`` callable with the same results as ``fn``, derivatives included
    (``grad(compile(f))``, ``compile(grad(f))``, ``loss.backward()`` through a compiled module).
    ``static_argnums`` / ``static_argnames`` name arguments whose values select the trace
    (Python numbers and other non-array leaves always do). ``backend``: ``"numpy"`` (generated
    NumPy code) or ``"numba"`` (fused loops; needs the ``numba`` extra). At most
    ``cache_size`` signatures are traced; further ones run eagerly with a warning.
    ``compiled.source`` shows the generated code.
    """
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames,
                   backend=backend, cache_size=cache_size)
    if fn is None:
        return lambda f: compile(f, **options)
    if _is_module(fn):
        return CompiledModule(fn, **options)
    return Compiled(fn, **options)


def _is_module(obj) -> bool:
    from ..nn.modules.module import Module
    return isinstance(obj, Module)
