"""``chainrule.optimize``: least squares, minimisation, roots and implicit differentiation with
exact derivatives (docs/optimize.md). SciPy's names, signatures and result objects."""

from ._implicit import ImplicitDiffError, implicit_solution
from ._least_squares import least_squares
from ._minimize import minimize
from ._result import OptimizeResult
from ._root import custom_root, fixed_point, root
