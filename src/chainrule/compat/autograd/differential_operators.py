"""autograd's differential operators (``grad``, ``jacobian``, ``hessian``, ...), on chainrule.

Each takes ``argnum`` (an int, or a tuple or list of ints) in autograd's spelling. The
operators built on reverse mode go through ``core.make_vjp``, which converts complex
cotangents between the two conventions (see ``core``'s docstring).
"""

from __future__ import annotations

import inspect
import warnings
from collections import OrderedDict

import numpy as onp

from chainrule import func as _cf
from chainrule.autograd.dispatch import is_tensor
from chainrule.utils.checkpoint import checkpoint as _cr_checkpoint

from . import numpy as np
from .core import flip, vspace
from .core import make_jvp as _make_jvp
from .core import make_vjp as _make_vjp
from .wrap_util import unary_to_nary

__all__ = [
    "grad", "value_and_grad", "elementwise_grad", "deriv", "jacobian", "holomorphic_grad",
    "grad_named", "hessian", "make_hvp", "hessian_tensor_product", "hessian_vector_product",
    "tensor_jacobian_product", "vector_jacobian_product", "make_jvp_reversemode",
    "make_ggnvp", "grad_and_aux", "multigrad_dict", "checkpoint", "make_vjp", "make_jvp",
]

make_vjp = unary_to_nary(_make_vjp)
make_jvp = unary_to_nary(_make_jvp)


def _scalar_check(ans, op):
    try:
        vs = vspace(ans)
    except TypeError:
        raise TypeError(f"{op}: the function returned {type(ans).__name__} {ans!r}, which "
                        f"cannot be differentiated; return a float") from None
    if vs.size != 1:
        raise TypeError(f"{op} only applies to real scalar-output functions. Try jacobian, "
                        f"elementwise_grad or holomorphic_grad.")
    return vs


@unary_to_nary
def grad(fun, x):
    """
    Returns a function which takes ``fun``'s arguments and gives the gradient of
    scalar-valued ``fun`` with respect to argument ``argnum``, shaped (and typed) like
    that argument: one reverse pass."""
    vjp, ans = _make_vjp(fun, x)
    vs = _scalar_check(ans, "Grad")
    return vjp(vs.ones())


@unary_to_nary
def elementwise_grad(fun, x):
    """The vector-Jacobian product with ones, one reverse pass: for ``fun`` acting
    elementwise (a diagonal Jacobian), the derivative of each output element with respect to
    its own input element."""
    vjp, ans = _make_vjp(fun, x)
    vs = vspace(ans)
    if vs.iscomplex:
        raise TypeError("Elementwise_grad only applies to real-output functions.")
    return vjp(vs.ones())


@unary_to_nary
def deriv(fun, x):
    """The derivative of ``fun`` in the direction of ones, by forward mode."""
    return _make_jvp(fun, x)(vspace(x).ones())[1]


def _is_array_like(v, real=False):
    d = v._data if is_tensor(v) else v
    if real and onp.iscomplexobj(d):
        return False
    return isinstance(d, (onp.ndarray, float, complex, onp.number))


@unary_to_nary
def jacobian(fun, x):
    """The Jacobian of ``fun`` with respect to argument ``argnum`` (a scalar or an array),
    for outputs of any shape: an output of shape ``out`` and an input of shape ``in`` give an
    array of shape ``out + in``, one reverse pass per output element."""
    if _is_array_like(x):
        res = {}

        def f(x_):
            res["out"] = out = fun(x_)
            return out

        J = _cf.jacrev(f)(x)
        out = res["out"]
        if _is_array_like(out, real=True):
            return flip(J)
    # autograd's own construction: one reverse pass per element of the output
    vjp, ans = _make_vjp(fun, x)
    ans_vs = vspace(ans)
    shape = ans_vs.shape + vspace(x).shape
    grads = [vjp(e) for e in ans_vs.standard_basis()]
    return np.reshape(np.stack(grads), shape)


@unary_to_nary
def holomorphic_grad(fun, x):
    """The complex derivative f'(z) of a holomorphic ``fun``."""
    if not vspace(x).iscomplex:
        warnings.warn("Input to holomorphic_grad is not complex", stacklevel=2)
    return grad(lambda x: np.real(fun(x)))(x)


def grad_named(fun, argname):
    """``grad`` with respect to the argument called ``argname`` (a named parameter of
    ``fun``'s signature; not one collected by ``*args`` or ``**kwargs``)."""
    arg_index = inspect.getfullargspec(fun).args.index(argname)
    return grad(fun, arg_index)


@unary_to_nary
def hessian(fun, x):
    """The Hessian of scalar-valued ``fun``, exactly: the Jacobian of its Jacobian."""
    return jacobian(jacobian(fun))(x)


@unary_to_nary
def make_hvp(fun, x):
    """``(hvp, gradient)`` at ``x``: ``hvp(v)`` is H v, pulled back through the gradient's
    recorded graph, so that many products at one point share one forward pass."""
    return _make_vjp(grad(fun), x)


def hessian_tensor_product(fun, argnum=0):
    """A function of ``(*args, tensor, **kwargs)`` giving the Hessian (with respect to
    ``argnum``) contracted with ``tensor``: the gradient of <gradient, tensor>."""
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return np.tensordot(fun_grad(*args, **kwargs), vector, np.ndim(vector))

    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """A function of ``(*args, tensor, **kwargs)`` giving ``tensor`` contracted with
    ``fun``'s Jacobian over the output axes (a vector-Jacobian product for a vector)."""

    def vector_dot_fun(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return np.tensordot(vector, fun(*args, **kwargs), axes=np.ndim(vector))

    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


@unary_to_nary
def make_jvp_reversemode(fun, x):
    """The Jacobian-vector product at ``x`` by reverse mode alone: the vjp is linear in its
    cotangent, so pulling back through it again pushes a tangent forward."""
    vjp, y = _make_vjp(fun, x)
    vjp_vjp, _ = _make_vjp(vjp, vspace(y).zeros())
    return vjp_vjp


def make_ggnvp(f, g=lambda x: 1.0 / 2 * np.sum(x**2, axis=-1), f_argnum=0):
    """Generalized Gauss-Newton products at a point: ``v -> J^T H_g J v``, where J is the
    Jacobian of ``f`` at x and H_g the Hessian of the outer loss ``g`` at f(x)."""

    @unary_to_nary
    def _make_ggnvp(f, x):
        f_vjp, f_x = _make_vjp(f, x)
        g_hvp, grad_g_x = _make_vjp(grad(g), f_x)
        f_jvp, _ = _make_vjp(f_vjp, vspace(grad_g_x).zeros())

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)))

        return ggnvp

    return _make_ggnvp(f, f_argnum)


@unary_to_nary
def value_and_grad(fun, x):
    """``(fun(x), gradient)`` from one forward and one reverse pass: the pair that
    ``scipy.optimize.minimize(..., jac=True)`` expects."""
    vjp, ans = _make_vjp(fun, x)
    vs = _scalar_check(ans, "value_and_grad")
    return ans, vjp(vs.ones())


@unary_to_nary
def grad_and_aux(fun, x):
    """For ``fun`` returning ``(scalar, aux)``: ``(gradient of the scalar, aux)``, aux
    passed through as ``fun`` returned it."""
    aux = []

    def first(x_):
        ans, a = fun(x_)
        aux.append(a)
        return ans

    vjp, ans = _make_vjp(first, x)
    vs = _scalar_check(ans, "grad_and_aux")
    return vjp(vs.ones()), _plain(aux[-1])


def _plain(v):
    """An auxiliary output handed back: NumPy data unless an enclosing transform traces it."""
    from chainrule.functional import _output

    if isinstance(v, (tuple, list, dict)):
        from chainrule._pytree import flatten, unflatten

        leaves, td = flatten(v)
        return unflatten(td, [_output(x, False) if is_tensor(x) else x for x in leaves])
    return _output(v, False) if is_tensor(v) else v


def multigrad_dict(fun):
    """Takes gradients with respect to all arguments simultaneously; returns a dict mapping
    each argument's name to its gradient."""
    sig = inspect.signature(fun)
    params = sig.parameters
    var_pos = [n for n, p in params.items() if p.kind == p.VAR_POSITIONAL]
    var_kw = [n for n, p in params.items() if p.kind == p.VAR_KEYWORD]
    plain = [n for n in params if n not in var_pos and n not in var_kw]

    def gradfun(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = OrderedDict((n, bound.arguments[n]) for n in params)

        def of_dict(d):
            pos = tuple(d[n] for n in plain if params[n].kind != params[n].KEYWORD_ONLY)
            kw = {n: d[n] for n in plain if params[n].kind == params[n].KEYWORD_ONLY}
            if var_pos:
                pos = pos + tuple(d[var_pos[0]])
            if var_kw:
                kw.update(d[var_kw[0]])
            return fun(*pos, **kw)

        g = grad(of_dict)(dict(values))
        return OrderedDict((n, g[n]) for n in values)

    return gradfun


def checkpoint(fun):
    """``fun`` that keeps none of its intermediate values for the backward pass: they are
    recomputed when the gradient is needed (``chainrule.utils.checkpoint``), trading time for
    memory."""

    def wrapped(*args, **kwargs):
        return _cr_checkpoint(fun, *args, **kwargs)

    wrapped.__name__ = getattr(fun, "__name__", "checkpointed")
    wrapped.__doc__ = getattr(fun, "__doc__", None)
    return wrapped
