"""Make ``import autograd`` (and every ``autograd.*`` submodule) load this package instead.

A meta-path finder placed first on ``sys.meta_path`` answers for the name ``autograd`` and the
names below it: the module it returns is ``chainrule.compat.autograd`` (or the matching
submodule) itself, so that ``autograd.numpy is chainrule.compat.autograd.numpy`` and state held
in module globals (``primitive_vjps``, ...) is shared whichever name imported it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

ALIAS = "autograd"
TARGET = __name__.rsplit(".", 1)[0]  # chainrule.compat.autograd


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):  # the target module is already executed
        pass


class AutogradAlias(importlib.abc.MetaPathFinder):
    """Finds ``autograd`` and ``autograd.<sub>`` as ``chainrule.compat.autograd[.<sub>]``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS):]
        try:
            real_spec = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            return None
        if real_spec is None:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real), is_package=real_spec.submodule_search_locations
            is not None)
        return spec


_finder = AutogradAlias()


def install() -> None:
    """Make ``autograd`` name this package for the rest of the process (idempotent). Modules
    already imported under the name ``autograd`` (a real autograd) are replaced."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        mod = sys.modules[name]
        if not getattr(mod, "__name__", "").startswith(TARGET):
            del sys.modules[name]
    sys.modules[ALIAS] = importlib.import_module(TARGET)


def uninstall() -> None:
    """Undo ``install``: the name ``autograd`` is free again."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        del sys.modules[name]
