"""The user's ODE on flat vectors: the state pytree as one vector y (n,), the floating-point
leaves of ``args`` as one vector theta (P,), and ``func`` as ``f(t, y, theta) -> dy/dt (n,)``,
written with chainrule operations so that it runs on plain arrays (the engines) and on traced
values (the sensitivity methods) alike. ``Options`` holds a solve's settings."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .. import numpy as cnp
from .._pytree import flatten, unflatten
from ..autograd.grad_mode import enable_grad, no_grad
from ..func import jacfwd
from ..primitives._core import data_of, is_tensor
from ._args import Params, traced

EXPLICIT = ("dopri5", "tsit5", "bosh3", "rk45", "rk23", "euler", "midpoint", "heun", "rk4")
FIXED = ("euler", "midpoint", "heun", "rk4")
IMPLICIT = ("radau",)
METHODS = EXPLICIT + IMPLICIT
SENSEALGS = ("auto", "direct", "backsolve", "interpolating", "forward")


@dataclass(frozen=True)
class Options:
    method: str = "dopri5"
    rtol: float = 1.4e-8
    atol: float = 1.4e-8
    first_step: float | None = None
    max_step: float = math.inf
    max_num_steps: int = 100_000
    step_size: float | None = None
    error_mask: tuple | None = None   # components in the error norm (None: all)
    n_checkpoints: int | None = None  # direct method: states kept per output interval

    def engine_kwargs(self) -> dict:
        kw = dict(rtol=self.rtol, atol=self.atol, first_step=self.first_step,
                  max_step=self.max_step, max_num_steps=self.max_num_steps,
                  error_mask=None if self.error_mask is None else np.asarray(self.error_mask))
        if self.method not in IMPLICIT:
            kw.update(method=self.method, step_size=self.step_size)
        return kw

    def with_mask(self, mask) -> Options:
        return replace(self, error_mask=tuple(bool(m) for m in mask))

    def for_augmented(self) -> Options:
        """The options of an augmented system (adjoint, sensitivities): a per-component atol
        of the state becomes its largest entry, and no mask is inherited."""
        atol = self.atol if isinstance(self.atol, float) else float(max(self.atol))
        return replace(self, atol=atol, error_mask=None)


def check_options(op: str, method: str, rtol, atol, step_size, max_num_steps, first_step,
                  max_step, n_checkpoints=None) -> Options:
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"{op}: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    method = method.lower()
    for name, v in (("rtol", rtol), ("atol", atol)):
        if np.any(np.asarray(v) < 0) or not np.all(np.isfinite(v)):
            raise ValueError(f"{op}: {name} must be finite and non-negative, got {v!r}")
    if method in FIXED and step_size is None:
        raise ValueError(f"{op}: method {method!r} takes fixed steps: pass step_size=h (or "
                         f"use an adaptive method: dopri5, tsit5, bosh3, radau)")
    if step_size is not None and not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"{op}: step_size must be a positive number, got {step_size!r}")
    if method in IMPLICIT and step_size is not None:
        raise ValueError(f"{op}: method 'radau' chooses its own steps; step_size is for the "
                         f"explicit methods")
    atol = float(atol) if np.ndim(atol) == 0 else tuple(np.asarray(atol, float).ravel())
    return Options(method=method, rtol=float(rtol), atol=atol,
                   first_step=None if first_step is None else float(first_step),
                   max_step=float(max_step), max_num_steps=int(max_num_steps),
                   step_size=None if step_size is None else float(step_size),
                   n_checkpoints=n_checkpoints)


class _OnPlainArrays:
    """The engines' view of a problem with ``f(t, y, theta)`` and size ``n``: its right-hand
    side and Jacobian as functions of plain arrays, for fixed parameters."""

    def rhs(self, theta: np.ndarray) -> Callable:
        """``rhs(t, y)`` on plain float64 arrays, for the engines. The first call records
        whether ``func`` reads a differentiated tensor from its closure."""
        def rhs(t, y):
            if self.closure_traced is None:
                with enable_grad():
                    out = self.f(t, y, theta)
                self.closure_traced = traced(out)
            else:
                with no_grad():
                    out = self.f(t, y, theta)
            out = np.asarray(data_of(out), dtype=float)
            if out.shape != (self.n,):
                out = out.reshape(self.n)
            return out
        return rhs

    def jac(self, theta: np.ndarray) -> Callable:
        """``jac(t, y)`` (n, n) by forward mode, for the implicit engine."""
        def jac(t, y):
            with no_grad():
                J = jacfwd(lambda yy: self.f(t, yy, theta))(y)
            return np.asarray(data_of(J), dtype=float).reshape(self.n, self.n)
        return jac


class Problem(_OnPlainArrays):
    """``func`` of a pytree state and ``args``, seen on flat vectors (see the module doc)."""

    def __init__(self, op: str, func: Callable, y0, args: tuple, tfirst: bool):
        if not callable(func):
            raise TypeError(f"{op}: func must be callable, got {type(func).__name__}")
        if not isinstance(args, tuple):
            args = (args,)
        self.op, self.func, self.tfirst = op, func, tfirst
        y_leaves, self.y_tree = flatten(y0)
        if not y_leaves:
            raise ValueError(f"{op}: the initial state y0 has no arrays")
        self.y_shapes, dtypes = [], []
        for k, leaf in enumerate(y_leaves):
            d = np.asarray(data_of(leaf))
            if d.dtype.kind == "c":
                raise TypeError(f"{op}: y0 leaf {k} is complex ({d.dtype}); the solvers "
                                f"integrate real states: pass the real and imaginary parts as "
                                f"separate real arrays")
            if d.dtype.kind not in "biuf":
                raise TypeError(f"{op}: y0 leaf {k} has dtype {d.dtype}; the state must be "
                                f"real numbers")
            self.y_shapes.append(d.shape)
            dtypes.append(d.dtype if d.dtype.kind == "f" else np.dtype(float))
        self.dtype = np.result_type(*dtypes)
        self.y_sizes = [int(np.prod(s)) for s in self.y_shapes]
        self.n = sum(self.y_sizes)
        self.y_leaves = y_leaves
        self.params = Params(op, args)
        self.a_leaves, self.P = self.params.leaves, self.params.P
        self.closure_traced: bool | None = None  # found on the first evaluation
        self.last = None  # the last engine run's Trajectory (its counts)

    # --- flat <-> structured ---------------------------------------------------------------
    def y0_flat(self):
        return self.flatten_y(self.y_leaves)

    def flatten_y(self, leaves):
        if len(leaves) == 1:
            return cnp.reshape(cnp.asarray(leaves[0], dtype=float) if not is_tensor(leaves[0])
                               else leaves[0], (-1,))
        return cnp.concatenate([cnp.reshape(x, (-1,)) for x in leaves])

    def unflatten_y(self, y, lead: tuple = ()):
        """The state pytree from flat ``y`` (with leading axes ``lead``, e.g. output times)."""
        if len(self.y_shapes) == 1:
            return unflatten(self.y_tree, [cnp.reshape(y, lead + self.y_shapes[0])])
        out, off = [], 0
        for shape, size in zip(self.y_shapes, self.y_sizes):
            out.append(cnp.reshape(y[..., off:off + size], lead + shape))
            off += size
        return unflatten(self.y_tree, out)

    def theta0(self):
        return self.params.theta()

    # --- the right-hand side ------------------------------------------------------------------
    def f(self, t, y, theta):
        """dy/dt on flat vectors; chainrule operations, so plain or traced."""
        Y = self.unflatten_y(y)
        A = self.params.args(theta)
        out = self.func(t, Y, *A) if self.tfirst else self.func(Y, t, *A)
        leaves, tree = flatten(out)
        shapes = [tuple(np.shape(data_of(x))) for x in leaves]
        if shapes != self.y_shapes or len(leaves) != len(self.y_shapes):
            raise ValueError(f"{self.op}: func must return the derivative in the state's "
                             f"structure and shapes {self.y_shapes}, got {shapes}")
        for x in leaves:
            if np.iscomplexobj(data_of(x)):
                raise TypeError(f"{self.op}: func returned a complex derivative; the solvers "
                                f"integrate real states: split the state into its real and "
                                f"imaginary parts")
        return self.flatten_y(leaves)

    def check_closure(self, sensealg: str) -> None:
        if self.closure_traced:
            raise ValueError(
                f"{self.op}: func reads a tensor that is being differentiated from its closure "
                f"(not from args); sensealg={sensealg!r} differentiates with respect to y0, t "
                f"and args only. Pass that tensor through args, or use sensealg='direct', "
                f"which differentiates through the solver and sees closures")


class FlatProblem(_OnPlainArrays):
    """An ODE already on flat vectors (the adjoint and sensitivity systems): ``f(t, y, theta)``
    given directly; the same interface as :class:`Problem` for the engines and methods."""

    closure_traced = False

    def __init__(self, op: str, f: Callable, n: int, P: int):
        self.op, self._f, self.n, self.P = op, f, n, P
        self.last = None
        self.dtype = np.dtype(float)

    def f(self, t, y, theta):
        return self._f(t, y, theta)


def as_times(op: str, t):
    """The output times: a traced tensor kept as it is, anything else float64; checked 1-D,
    at least one entry, finite and strictly monotone."""
    d = np.asarray(data_of(t), dtype=float) if not is_tensor(t) else t._data
    if d.ndim != 1 or d.size < 1:
        raise ValueError(f"{op}: t must be a 1-D array of output times with at least one entry, "
                         f"got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError(f"{op}: the output times t must be finite, got {d}")
    if d.size > 1:
        dd = np.diff(d)
        if not (np.all(dd > 0) or np.all(dd < 0)):
            raise ValueError(f"{op}: the output times t must be strictly increasing or strictly "
                             f"decreasing (t[0] is the initial time)")
    return t if traced(t) else d
