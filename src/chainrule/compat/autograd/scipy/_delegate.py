"""Modules that stand for a chainrule module (or object): their names are its names, looked up
when first used, so that functions added to chainrule later appear here too."""

from __future__ import annotations

import importlib
import sys


def delegate(module_name: str, target: str, attr: str | None = None, names=(), fallback=None,
             fallback_names=()):
    """Give module ``module_name`` the public names of ``target`` (a module path; with
    ``attr``, an object in it), now for ``names`` and on first use for the rest. Names in
    ``fallback_names`` that chainrule lacks (random draws, which need no derivative) come from
    ``fallback`` (a ``(module path, attribute)`` pair, e.g. SciPy's distribution)."""
    mod = sys.modules[module_name]

    def source():
        t = importlib.import_module(target)
        return getattr(t, attr) if attr else t

    def __getattr__(name):  # noqa: N807 - PEP 562
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            value = getattr(source(), name)
        except AttributeError:
            if fallback is not None and name in fallback_names:
                value = getattr(getattr(importlib.import_module(fallback[0]), fallback[1]), name)
                setattr(mod, name, value)
                return value
            what = f"{target}.{attr}" if attr else target
            raise AttributeError(
                f"module {module_name!r} has no attribute {name!r} (chainrule's {what} does "
                f"not provide it)") from None
        setattr(mod, name, value)
        return value

    mod.__getattr__ = __getattr__
    for n in names:
        try:
            setattr(mod, n, getattr(source(), n))
        except AttributeError:
            pass  # looked up again (and reported) on use

    def __dir__():  # noqa: N807
        return sorted(set(vars(mod)) | {n for n in dir(source()) if not n.startswith("_")})

    mod.__dir__ = __dir__
