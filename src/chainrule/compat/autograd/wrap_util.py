"""autograd.wrap_util: turning an operator on one-argument functions into one with ``argnum``,
and naming the functions it returns."""

from __future__ import annotations

import functools

__all__ = ["unary_to_nary", "wraps", "wrap_nary_f", "get_name", "get_doc"]


# subvals and subval are autograd.util's (re-exported there); they live here, below core and
# util, so that util's quick_grad_check can import test_util without a cycle.
def subvals(x, ivs):
    """``x`` as a tuple with item ``i`` replaced by ``v`` for each ``(i, v)`` in ``ivs``."""
    out = list(x)
    for i, v in ivs:
        out[i] = v
    return tuple(out)


def subval(x, i, v):
    """``x`` as a tuple with item ``i`` replaced by ``v``."""
    out = list(x)
    out[i] = v
    return tuple(out)


def get_name(f):
    return getattr(f, "__name__", "[unknown name]")


def get_doc(f):
    return getattr(f, "__doc__", "")


def wraps(fun, namestr="{fun}", docstr="{doc}", **kwargs):
    """A decorator that names its function after ``fun`` (by the format strings)."""

    def decorate(f):
        try:
            f.__name__ = namestr.format(fun=get_name(fun), **kwargs)
            f.__doc__ = docstr.format(fun=get_name(fun), doc=get_doc(fun), **kwargs)
        except Exception:  # a name or docstring that cannot be formatted: leave them
            pass
        return f

    return decorate


_NARY_DOC = """\
    {op} of function {fun} with respect to argument number {argnum}: called with {fun}'s
    arguments, it gives the {op} there.
    """


def wrap_nary_f(fun, op, argnum):
    return wraps(fun, "{op}_of_{fun}_wrt_argnum_{argnum}", _NARY_DOC, op=get_name(op),
                 argnum=argnum)


def unary_to_nary(unary_operator):
    """``op(fun, x, *extra)`` on one-argument ``fun`` -> ``op(fun, argnum=0, *extra)`` on
    functions of several arguments: ``op(fun, argnum)(*args, **kwargs)`` applies ``op`` to
    ``fun`` as a function of ``args[argnum]`` (a tuple of arguments when ``argnum`` is a tuple
    or list)."""

    @functools.wraps(unary_operator)
    def nary_operator(fun, argnum=0, *op_args, **op_kwargs):
        if type(argnum) not in (int, tuple, list):
            raise TypeError(f"{get_name(unary_operator)}: argnum must be an int, or a tuple or "
                            f"list of ints, got {argnum!r}")

        @wrap_nary_f(fun, unary_operator, argnum)
        def nary_f(*args, **kwargs):
            if isinstance(argnum, int):
                x = args[argnum]

                def unary_f(x):
                    return fun(*subvals(args, [(argnum, x)]), **kwargs)
            else:
                x = tuple(args[i] for i in argnum)

                def unary_f(x):
                    return fun(*subvals(args, zip(argnum, x)), **kwargs)

            unary_f.__name__ = get_name(fun)
            return unary_operator(unary_f, x, *op_args, **op_kwargs)

        return nary_f

    return nary_operator
