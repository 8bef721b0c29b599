"""Finite-difference checks of derivatives: ``gradcheck`` and ``gradgradcheck``.

Central differences in float64 build the numerical Jacobian one input element at a time; the
analytical Jacobian comes from the engine, one output element at a time. A mismatch raises a
``GradcheckError`` that shows both.

Complex numbers are checked as pairs of reals, as ``torch.autograd.gradcheck`` does: a complex
input is perturbed in its real and its imaginary part (two columns per element) and a complex
output contributes its real and its imaginary part (two rows per element). With the gradient
convention of docs/semantics.md, the cotangent 1 on an output element gives the row of its real
part (d Re w / d Re z + i d Re w / d Im z) and the cotangent 1j the row of its imaginary part.
"""

from __future__ import annotations

import warnings

import numpy as np

from .api import grad
from .dispatch import is_tensor, wrap


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical derivatives disagree."""


def _tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _outputs(func, inputs):
    return tuple(o for o in _tuple(func(*inputs)) if is_tensor(o))


def _fresh_leaves(inputs):
    """The inputs that require grad, copied into new contiguous leaves: the perturbations of
    the finite differences never touch the caller's arrays, and non-leaf or non-contiguous
    inputs are handled alike."""
    return tuple(
        wrap(np.array(x._data, order="C", copy=True)).requires_grad_()
        if is_tensor(x) and x._edge is not None else x
        for x in inputs
    )


def _as_real(a):
    """An output's values as real float64 numbers (a copy: the output may share the memory of
    a perturbed input): a complex array as its real parts followed by its imaginary parts."""
    a = np.asarray(a)
    if a.dtype.kind == "c":
        return np.concatenate([a.real.reshape(-1), a.imag.reshape(-1)]).astype(np.float64)
    return np.array(a, dtype=np.float64).reshape(-1)


def _nreal(a) -> int:
    """How many real numbers ``a`` holds (twice its size when complex)."""
    return a.size * (2 if a.dtype.kind == "c" else 1)


def _numerical(func, inputs, wrt, eps):
    """d outputs / d inputs[wrt], one column per input element, by central differences.

    ``func`` runs with grad mode as the caller has it (not under no_grad): a function that
    itself differentiates (gradgradcheck's) needs its graph to produce outputs at all.
    """
    outs0 = _outputs(func, inputs)
    x = inputs[wrt]._data
    jac = [np.zeros((_nreal(o._data), _nreal(x))) for o in outs0]
    flat = x.reshape(-1)  # a view: _fresh_leaves made the array contiguous
    steps = (eps, eps * 1j) if x.dtype.kind == "c" else (eps,)
    for j in range(flat.size):
        for part, step in enumerate(steps):  # the real part, then the imaginary part
            orig = flat[j]
            flat[j] = orig + step
            plus = [_as_real(o._data) for o in _outputs(func, inputs)]
            flat[j] = orig - step
            minus = [_as_real(o._data) for o in _outputs(func, inputs)]
            flat[j] = orig
            if len(plus) != len(jac) or len(minus) != len(jac):
                raise GradcheckError("gradcheck: the function returned a different number of "
                                     "tensors when its inputs were perturbed")
            for k, (p, m) in enumerate(zip(plus, minus)):
                jac[k][:, j + part * flat.size] = (p - m) / (2 * eps)
    return jac


def _analytical(func, inputs, wrt_list):
    """d outputs / d inputs, by one backward pass per output element."""
    outs = _outputs(func, inputs)
    jacs = [[np.zeros((_nreal(o._data), _nreal(inputs[w]._data))) for w in wrt_list]
            for o in outs]
    diff = [inputs[w] for w in wrt_list]
    for k, o in enumerate(outs):
        if o._edge is None:
            continue  # does not depend on any input: its Jacobian is zero
        n = o._data.size
        seeds = (1, 1j) if o._data.dtype.kind == "c" else (1,)
        for part, unit in enumerate(seeds):  # rows of the real parts, then the imaginary parts
            for r in range(n):
                seed = np.zeros(o._data.shape, dtype=o._data.dtype)
                seed.reshape(-1)[r] = unit
                gs = grad(o, diff, grad_outputs=wrap(seed), retain_graph=True,
                          allow_unused=True)
                for c, g in enumerate(gs):
                    if g is not None:
                        jacs[k][c][r + part * n, :] = _as_real(g._data)
    return jacs


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check the reverse-mode derivatives of ``func`` at ``inputs`` against finite differences.

    ``inputs`` is a tensor or a tuple of them (and other arguments); those that require grad are
    checked, and should be float64 for the differences to be accurate.
    """
    inputs = _tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if is_tensor(x) and x._edge is not None]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; set requires_grad=True on at least "
                         "one tensor input")
    for i in wrt:
        if inputs[i]._data.dtype not in (np.float64, np.complex128):
            warnings.warn(f"gradcheck: input {i} has dtype {inputs[i]._data.dtype}, not float64 "
                          f"(or complex128); finite differences will be inaccurate",
                          stacklevel=2)
    inputs = _fresh_leaves(inputs)
    analytic = _analytical(func, inputs, wrt)
    for c, i in enumerate(wrt):
        numeric = _numerical(func, inputs, i, eps)
        if len(numeric) != len(analytic):
            raise GradcheckError(f"gradcheck: the function returned {len(analytic)} tensor "
                                 f"output(s) with grad enabled but {len(numeric)} when its "
                                 f"input {i} was perturbed")
        for k, num in enumerate(numeric):
            ana = analytic[k][c]
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(_report(k, i, ana, num, atol, rtol))
    return True


def _report(out_index, in_index, ana, num, atol, rtol):
    with np.printoptions(precision=6, suppress=True, threshold=200, linewidth=100):
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        where = tuple(int(v) for v in np.argwhere(bad)[0]) if bad.any() else None
        return (
            f"gradcheck: Jacobian mismatch for output {out_index} with respect to input "
            f"{in_index} (atol={atol}, rtol={rtol}); first mismatch at (output element, input "
            f"element) {where}: analytical {ana[where]!r} vs numerical {num[where]!r}.\n"
            f"analytical:\n{ana}\nnumerical:\n{num}"
        )


def _random_like(rng, a):
    r = rng.standard_normal(a.shape)
    if a.dtype.kind == "c":
        r = r + 1j * rng.standard_normal(a.shape)
    return r


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``v -> vjp(func, inputs)(v)`` in all arguments.

    ``grad_outputs`` (random when omitted; complex for complex outputs) are the cotangents,
    also checked as inputs.
    """
    inputs = _tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if is_tensor(x) and x._edge is not None]
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(wrap(_random_like(rng, o._data)).requires_grad_() for o in outs)
    grad_outputs = _tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        xs, gos = args[:n], args[n:]
        outs = _outputs(func, xs)
        pairs = [(o, g) for o, g in zip(outs, gos) if o._edge is not None]
        if not pairs:
            return ()
        gs = grad([p[0] for p in pairs], [xs[i] for i in wrt], [p[1] for p in pairs],
                  create_graph=True, allow_unused=True, materialize_grads=True)
        return gs

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
