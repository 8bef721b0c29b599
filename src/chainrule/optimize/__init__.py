"""``chainrule.optimize``: least squares, minimisation, roots and implicit differentiation with
exact derivatives (docs/optimize.md). SciPy's names, signatures and result objects."""

from ._result import OptimizeResult
