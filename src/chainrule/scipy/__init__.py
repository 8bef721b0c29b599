"""``chainrule.scipy``: differentiable parts of SciPy (``special``, ``stats``, ``linalg``,
``signal``, ``integrate``), with SciPy's names and signatures.

SciPy is an optional dependency of chainrule: this package needs it (its kernels are SciPy's) and
says so on import when it is missing. The submodules load on first use, so that
``import chainrule.scipy as sp; sp.special.gammaln(x)`` works as with SciPy itself.
"""

from __future__ import annotations

import importlib

try:
    import scipy as _scipy  # noqa: F401 - only checks that SciPy is there
except ImportError as _e:
    raise ImportError(
        'chainrule.scipy needs SciPy, which is not installed: pip install "chainrule[scipy]" '
        "(or pip install scipy)"
    ) from _e

_SUBMODULES = ("special", "stats", "linalg", "signal", "integrate")
__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
