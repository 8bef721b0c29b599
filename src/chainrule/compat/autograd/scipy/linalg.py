"""``autograd.scipy.linalg``: chainrule's differentiable ``scipy.linalg``."""

from ._delegate import delegate

delegate(__name__, "chainrule.scipy.linalg", names=(
    "solve_triangular", "cholesky", "cho_factor", "cho_solve", "expm", "sqrtm", "logm",
    "solve_sylvester", "solve", "inv", "det"))
