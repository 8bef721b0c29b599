"""autograd.test_util: ``check_grads`` and ``combo_check``, real derivative checks.

``check_grads(f, modes, order)(*args)`` compares, at a random direction, the exact derivatives
against central finite differences (step 1e-6, relative and absolute tolerance 1e-6):

- ``"rev"``: <v, vjp(u)> against <u, (f(x + eps v/2) - f(x - eps v/2)) / eps>;
- ``"fwd"``: jvp(v) against the same finite difference (compared along a random direction);

and, for ``order > 1``, does the same recursively for the derivative maps themselves (the
jvp as a function of (x, v), the vjp as a function of (x, u)): second order checks the
derivatives of the derivatives. autograd's suite relies on these checks to test derivatives,
so they are as strict as autograd's own.
"""

from __future__ import annotations

from itertools import product

from .core import make_jvp, make_vjp, vspace
from .wrap_util import get_name, unary_to_nary

__all__ = ["check_grads", "combo_check", "check_vjp", "check_jvp", "check_equivalent",
           "scalar_close", "make_numerical_jvp", "TOL", "RTOL", "EPS"]

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6


def scalar_close(a, b):
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


def make_numerical_jvp(f, x):
    """``v -> (f(x + eps v / 2) - f(x - eps v / 2)) / eps``."""
    y = f(x)
    x_vs, y_vs = vspace(x), vspace(y)

    def jvp(v):
        step = x_vs.scalar_mul(v, EPS / 2)
        plus = f(x_vs.add(x, step))
        minus = f(x_vs.add(x, x_vs.scalar_mul(step, -1.0)))
        return y_vs.scalar_mul(y_vs.add(plus, y_vs.scalar_mul(minus, -1.0)), 1.0 / EPS)

    return jvp


def check_vjp(f, x):
    vjp, y = make_vjp(f, x)
    num_jvp = make_numerical_jvp(f, x)
    x_vs, y_vs = vspace(x), vspace(y)
    x_v, y_v = x_vs.randn(), y_vs.randn()
    vjp_y = x_vs.covector(vjp(y_vs.covector(y_v)))
    got = vspace(vjp_y)
    assert got == x_vs, (f"Derivative (VJP) check of {get_name(f)}: the gradient's vector space "
                         f"{got} differs from the argument's {x_vs}")
    exact = x_vs.inner_prod(x_v, vjp_y)
    numeric = y_vs.inner_prod(y_v, num_jvp(x_v))
    assert scalar_close(numeric, exact), (
        f"Derivative (VJP) check of {get_name(f)} failed with arg {x}:\n"
        f"analytic: {exact}\nnumeric:  {numeric}")


def check_jvp(f, x):
    jvp = make_jvp(f, x)
    num_jvp = make_numerical_jvp(f, x)
    x_v = vspace(x).randn()
    check_equivalent(jvp(x_v)[1], num_jvp(x_v))


def check_equivalent(x, y):
    x_vs, y_vs = vspace(x), vspace(y)
    assert x_vs == y_vs, f"VSpace mismatch:\nx: {x_vs}\ny: {y_vs}"
    v = x_vs.randn()
    assert scalar_close(x_vs.inner_prod(x, v), x_vs.inner_prod(y, v)), \
        f"Value mismatch:\nx: {x}\ny: {y}"


@unary_to_nary
def check_grads(f, x, modes=("fwd", "rev"), order=2):
    """Check ``f``'s derivatives at ``x`` in ``modes`` ("fwd", "rev") up to ``order``."""
    modes = list(modes)
    bad = [m for m in modes if m not in ("fwd", "rev")]
    if bad:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {bad}")
    if "fwd" in modes:
        check_jvp(f, x)
        if order > 1:
            def jvp_f(x, v):
                return make_jvp(f, x)(v)[1]

            jvp_f.__name__ = f"jvp_{get_name(f)}"
            check_grads(jvp_f, (0, 1), modes, order=order - 1)(x, vspace(x).randn())
    if "rev" in modes:
        check_vjp(f, x)
        if order > 1:
            def vjp_f(x, v):
                return make_vjp(f, x)[0](v)

            vjp_f.__name__ = f"vjp_{get_name(f)}"
            check_grads(vjp_f, (0, 1), modes, order=order - 1)(x, vspace(f(x)).randn())


def combo_check(fun, *args, **kwargs):
    """``combo_check(fun, argnum, modes=..., order=...)(arg_options..., kw=[options])``:
    ``check_grads`` at every combination of the given arguments and keyword values."""

    def _combo_check(*arg_options, **kwarg_options):
        kw_pairs = [[(k, v) for v in vs] for k, vs in kwarg_options.items()]
        for a in product(*arg_options):
            for kw in product(*kw_pairs):
                check_grads(fun, *args, **kwargs)(*a, **dict(kw))

    return _combo_check
