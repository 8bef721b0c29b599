"""The result object of ``chainrule.optimize``'s solvers, SciPy's ``OptimizeResult``."""

from __future__ import annotations


class OptimizeResult(dict):
    """A dict whose keys are also attributes (``res.x``, ``res["x"]``), as SciPy's."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self)) + 1
        return "\n".join(f"{k.rjust(width)}: {v!r}" for k, v in self.items())

    def __dir__(self):
        return list(self.keys())
