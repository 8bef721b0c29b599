"""The residual function of ``least_squares`` on a flat float64 vector: pytree parameters,
extra arguments, and the Jacobian (AD in forward or reverse mode, the user's, or finite
differences), with honest counts of residual and Jacobian evaluations."""

from __future__ import annotations

import numpy as onp

from .._pytree import ravel_pytree
from ..autograd.dispatch import is_tensor
from ..functional import jacfwd, vjp
from ..primitives._core import data_of

_EPS = onp.finfo(float).eps
AD_MODES = {"auto": None, "fwd": "forward", "forward": "forward", "rev": "reverse",
            "reverse": "reverse"}
FD_MODES = ("2-point", "3-point", "cs")


def _identity(x):
    return x


def _complex_tree(tree):
    from .._pytree import tree_map

    return tree_map(lambda v: onp.asarray(v, dtype=complex), tree)


def _check_closure(out):
    """Refuse a residual function that reads a traced value from its closure: the solution
    would silently not be differentiable in it."""
    from ._implicit import _live

    if _live(out):
        raise ValueError("least_squares: fun reads a traced value (a tensor that requires grad, "
                         "or an input of grad/jvp/jacobian) from outside its arguments, so the "
                         "solution could not be differentiated with respect to it; pass it "
                         "through args or kwargs (then res.x is differentiable in it), or "
                         "detach it")


def _flat_data(out) -> onp.ndarray:
    return onp.asarray(data_of(out)).reshape(-1)


class Point:
    """One evaluated parameter vector: residuals, and the Jacobian once it is asked for."""

    __slots__ = ("x", "f", "J", "_pullback")

    def __init__(self, x, f, J=None, pullback=None):
        self.x, self.f, self.J, self._pullback = x, f, J, pullback


class Residuals:
    """``fun`` seen as flat vector -> flat residual vector, with its Jacobian.

    nfev counts calls of ``fun`` (every call: a call carrying forward-mode tangents or recording
    a reverse-mode graph counts once, as do the calls of finite differences); njev counts
    Jacobians formed.
    """

    def __init__(self, fun, x0, args, kwargs, jac, diff_step, lb, ub):
        self.fun, self.args, self.kwargs = fun, tuple(args), dict(kwargs)
        x_flat, self.unravel = ravel_pytree(x0)
        if isinstance(x0, onp.ndarray):  # SciPy's 1-D x0: fun gets the vector as it is
            self.unravel = _identity
        # complex steps need an unravel that keeps the imaginary part
        self._unravel_c = ravel_pytree(_complex_tree(x0))[1] if jac == "cs" else None
        self.x0 = onp.asarray(x_flat, dtype=float)
        self.n = self.x0.size
        self.lb, self.ub = lb, ub
        self.diff_step = diff_step
        self.nfev = self.njev = self.nhev = 0
        self.jac_spec = jac
        if callable(jac):
            self.kind = "callable"
        elif isinstance(jac, str) and jac in FD_MODES:
            self.kind = jac
        elif isinstance(jac, str) and jac in AD_MODES:
            self.kind = "ad"
        else:
            raise ValueError(f"least_squares: jac must be 'auto', 'fwd', 'rev', a callable, "
                             f"'2-point', '3-point' or 'cs', got {jac!r}")
        self.mode = None
        self.m = None
        # The first call fixes m and, for jac="auto", the AD mode.
        f0 = self._plain(self.x0) if self.kind != "ad" else None
        if self.kind == "ad":
            self.mode = AD_MODES[jac]
            if self.mode is None:
                f0 = self._plain(self.x0, tensors=True)
                self.mode = "forward" if self.n <= f0.size else "reverse"
        self.m = None if f0 is None else f0.size
        self._f0 = f0

    # --- calling fun ------------------------------------------------------------------------
    def _call(self, x):
        return self.fun(self.unravel(x), *self.args, **self.kwargs)

    def _plain(self, x, tensors=False):
        self.nfev += 1
        if tensors:
            from ..autograd.dispatch import wrap

            out = self._call(wrap(onp.array(x)))
            _check_closure(out)
        else:
            out = self._call(onp.array(x))
        return self._residuals(out)

    def _residuals(self, out) -> onp.ndarray:
        """fun's output as a flat float vector, checked against the first one's size."""
        f = _flat_data(out)
        if onp.iscomplexobj(f):
            raise ValueError("least_squares: fun returned complex residuals; return real ones "
                             "(e.g. concatenate the real and imaginary parts)")
        f = f.astype(float)
        if self.m is not None and f.size != self.m:
            raise ValueError(f"least_squares: fun returned {f.size} residuals here but "
                             f"{self.m} at x0; the number of residuals must not depend on x")
        return f

    def _traced_flat(self, xt):
        from ..numpy import reshape

        out = self._call(xt)
        return reshape(out, (-1,)) if is_tensor(out) else onp.asarray(out, float).reshape(-1)

    # --- points ---------------------------------------------------------------------------------
    def first(self) -> Point:
        """The starting point (reusing the call that found m where it gave everything)."""
        if self._f0 is not None and self.kind != "ad":
            f0, self._f0 = self._f0, None
            return Point(self.x0.copy(), f0)
        pt = self.eval(self.x0.copy())
        self.m = pt.f.size
        return pt

    def eval(self, x) -> Point:
        """Residuals at x; in forward mode the Jacobian comes from the same call."""
        if self.kind != "ad":
            return Point(x, self._plain(x))
        if self.mode == "forward":
            def both(xt):
                out = self._traced_flat(xt)
                return out, out

            self.nfev += 1
            self.njev += 1
            J, out = jacfwd(both, has_aux=True)(x)
            _check_closure(out)
            f = self._residuals(out)
            J = onp.asarray(data_of(J), float).reshape(f.size, self.n)
            return Point(x, f, J)
        self.nfev += 1
        out, pullback = vjp(self._traced_flat, x)
        return Point(x, self._residuals(out), None, pullback)

    def jac(self, pt: Point) -> onp.ndarray:
        if pt.J is not None:
            return pt.J
        self.njev += 1
        m, n = pt.f.size, self.n
        if pt._pullback is not None:
            J = onp.empty((m, n))
            e = onp.zeros(m)
            for i in range(m):  # reverse mode: one pull-back per residual (m < n here)
                e[i] = 1.0
                J[i] = onp.asarray(data_of(pt._pullback(e)[0]), float)
                e[i] = 0.0
            pt._pullback = None
        elif self.kind == "callable":
            J = onp.asarray(data_of(self.jac_spec(self.unravel(pt.x.copy()), *self.args,
                                                  **self.kwargs)), dtype=float)
            if J.size != m * n:
                raise ValueError(f"least_squares: the callable jac returned shape {J.shape}, "
                                 f"but there are {m} residuals and {n} parameters; return an "
                                 f"array of shape ({m}, {n})")
            J = J.reshape(m, n)
        else:
            J = self._finite_differences(pt)
        pt.J = J
        return J

    def hessian(self, x, loss) -> onp.ndarray | None:
        """The exact Hessian of the cost at x by AD (forward over reverse), or None when the
        Jacobian is not by AD. One call of fun (counted in nfev and nhev)."""
        if self.kind != "ad":
            return None
        from ..functional import hessian
        from ..numpy import sum as np_sum
        from ._lsq_loss import rho0_traced

        fs = loss.f_scale

        def cost(xt):
            r = self._traced_flat(xt)
            if loss.linear:
                return 0.5 * np_sum(r * r)
            return 0.5 * fs**2 * np_sum(rho0_traced(loss.spec, (r / fs) ** 2))

        self.nfev += 1
        self.nhev += 1
        return onp.asarray(data_of(hessian(cost)(x)), dtype=float).reshape(self.n, self.n)

    def _finite_differences(self, pt: Point) -> onp.ndarray:
        x, f0 = pt.x, pt.f
        n = self.n
        J = onp.empty((f0.size, n))
        rel = {"2-point": _EPS**0.5, "3-point": _EPS ** (1 / 3), "cs": _EPS**0.5}[self.kind]
        sign = onp.where(x >= 0, 1.0, -1.0)
        if self.diff_step is None:
            h = rel * sign * onp.maximum(1.0, onp.abs(x))
        else:
            h = onp.asarray(self.diff_step, float) * sign * onp.abs(x)
            h = onp.where(h == 0, rel * sign * onp.maximum(1.0, onp.abs(x)), h)
        for j in range(n):
            e = onp.zeros(n)
            if self.kind == "cs":
                xc = x.astype(complex)
                xc[j] += 1j * abs(h[j])
                self.nfev += 1
                out = self.fun(self._unravel_c(xc), *self.args, **self.kwargs)
                J[:, j] = onp.asarray(data_of(out)).reshape(-1).imag / abs(h[j])
                continue
            hj = h[j]
            if not (self.lb[j] <= x[j] + hj <= self.ub[j]):
                hj = -hj  # stay inside the bounds: the one-sided step the other way
            e[j] = hj
            hj = (x + e)[j] - x[j]  # the step as represented
            if self.kind == "3-point" and self.lb[j] <= x[j] - hj <= self.ub[j]:
                J[:, j] = (self._plain(x + e) - self._plain(x - e)) / (2 * hj)
            else:
                J[:, j] = (self._plain(x + e) - f0) / hj
        return J
