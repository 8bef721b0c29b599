"""Shared test helpers: inputs kept away from kinks and ties, derivative checks, the PyTorch
oracle.

Conventions used throughout:

- A float NumPy array (or Python float) passed to ``check_grads`` / ``assert_matches_torch``
  becomes a leaf that requires grad; anything else (int or bool arrays, tuples, None, tensors
  that do not require grad) is passed through unchanged as a constant.
- Everything is float64 (complex128 for complex inputs) and small (2-5 elements per axis):
  gradcheck costs one function evaluation per input element and one backward pass per output
  element.
- Complex arrays are differentiated like float ones (PyTorch's convention, docs/semantics.md):
  gradcheck perturbs their real and imaginary parts, forward mode uses complex tangents, and
  cotangents of complex outputs are complex.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck

__all__ = [
    "SHAPES", "BINARY_SHAPES", "rand", "crand", "away_from_zero", "positive", "distinct", "leaf",
    "check_grads", "check_forward", "assert_matches_torch", "to_torch", "to_numpy",
    "prims_in_graph",
]

# Shapes for unary checks: a scalar, a vector, a matrix, and empty arrays.
SHAPES = [(), (3,), (2, 3), (0,), (2, 0)]

# Pairs of shapes for binary checks, broadcasting included.
BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((0, 3), (3,)),
]


def _rng(seed):
    return np.random.default_rng(seed)


def rand(shape, seed=0, low=-2.0, high=2.0):
    """Uniform values in [low, high)."""
    return _rng(seed).uniform(low, high, size=shape)


def crand(shape, seed=0, low=-2.0, high=2.0):
    """Complex values with real and imaginary parts uniform in [low, high)."""
    r = _rng(seed)
    return r.uniform(low, high, size=shape) + 1j * r.uniform(low, high, size=shape)


def _randn_like(r, shape, complex_):
    """Standard normal numbers, complex ones (independent parts) when ``complex_``."""
    x = r.standard_normal(shape)
    return x + 1j * r.standard_normal(shape) if complex_ else x


def _is_complex(a) -> bool:
    return np.iscomplexobj(to_numpy(a)) if hasattr(a, "_data") or hasattr(a, "detach") \
        else np.iscomplexobj(a)


def away_from_zero(shape, seed=0, low=0.3, high=2.0):
    """Values with |x| in [low, high) and random signs: no kink of abs, relu or sign nearby."""
    r = _rng(seed)
    return r.uniform(low, high, size=shape) * r.choice([-1.0, 1.0], size=shape)


def positive(shape, seed=0, low=0.5, high=2.0):
    """Positive values (the domain of log, sqrt, a real power with a real exponent)."""
    return _rng(seed).uniform(low, high, size=shape)


def distinct(shape, seed=0, gap=0.25):
    """Values at least ``gap`` apart from each other: no ties for max, min or sorting."""
    n = int(np.prod(shape, dtype=np.int64))
    r = _rng(seed)
    vals = (np.arange(n) - n / 2) * gap + r.uniform(-0.2, 0.2, size=n) * gap
    return r.permutation(vals).reshape(shape)


def _f64(a):
    """A fresh float64 copy of ``a`` (complex128 when ``a`` is complex)."""
    return np.array(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64)


def leaf(a):
    """A float64 (or complex128) tensor that requires grad (a fresh copy of ``a``)."""
    return cr.tensor(_f64(a), requires_grad=True)


def _is_diff_input(a):
    if isinstance(a, float):
        return True
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _cr_args(args):
    return tuple(leaf(a) if _is_diff_input(a) else _const_cr(a) for a in args)


def _const_cr(a):
    if isinstance(a, np.ndarray):
        return cr.tensor(a)
    return a


def check_grads(fn, *args, order=2, forward=True, eps=1e-6, atol=1e-5, rtol=1e-3):
    """gradcheck (first order) and, with ``order=2``, gradgradcheck of ``fn`` at ``args``; with
    ``forward``, also forward mode (and with ``order=2`` forward over reverse): tangents
    against finite differences.

    Float arrays in ``args`` are differentiated; the rest are constants."""
    inputs = _cr_args(args)
    if any(_is_diff_input(a) and np.size(a) == 0 for a in args):
        # No number to compare: check that the gradients come back with the right shapes.
        _check_empty(fn, inputs, order)
    assert gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)
    if order >= 2:
        assert gradgradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)
    if forward:
        check_forward(fn, *args, second=order >= 2, eps=eps, atol=atol, rtol=rtol)


def check_forward(fn, *args, second=True, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Forward mode: with a random tangent on every float input, each output's tangent equals
    the directional derivative by central differences."""
    from chainrule.autograd import forward_ad as fwad

    r = _rng(seed)
    diff = [k for k, a in enumerate(args) if _is_diff_input(a)]
    tangents = {k: _randn_like(r, np.shape(args[k]), np.iscomplexobj(args[k])) for k in diff}

    def shifted(h):
        xs = [cr.tensor(_f64(a) + h * tangents[k]) if k in tangents
              else _const_cr(a) for k, a in enumerate(args)]
        return [to_numpy(o) for o in _flat(fn(*xs)) if _is_float_tensor(o)]

    plus, minus = shifted(eps), shifted(-eps)
    with fwad.dual_level():
        xs = [fwad.make_dual(cr.tensor(_f64(a)), cr.tensor(tangents[k]))
              if k in tangents else _const_cr(a) for k, a in enumerate(args)]
        outs = [o for o in _flat(fn(*xs)) if _is_float_tensor(o)]
        jts = [fwad.unpack_dual(o).tangent for o in outs]
    assert len(outs) == len(plus)
    for k, (jt, p, m) in enumerate(zip(jts, plus, minus)):
        num = (p - m) / (2 * eps)
        ana = np.zeros(num.shape) if jt is None else to_numpy(jt)
        assert ana.shape == num.shape, f"forward mode: tangent of output {k} has shape " \
            f"{ana.shape}, the output {num.shape}"
        np.testing.assert_allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"forward mode: tangent of output {k}")
    if second:
        _check_forward_over_reverse(fn, args, tangents, eps, atol, rtol, r)


def _check_forward_over_reverse(fn, args, tangents, eps, atol, rtol, r):
    """The tangent of a gradient (a Hessian-vector product, forward over reverse) equals the
    directional derivative of that gradient by central differences."""
    from chainrule.autograd import forward_ad as fwad

    diff = sorted(tangents)
    outs0 = [o for o in _flat(fn(*_cr_args(args))) if _cr_requires(o)]
    if not outs0 or not diff:
        return
    us = [_randn_like(r, o.shape, _is_complex(o)) for o in outs0]

    def gradient(xs):
        outs = [o for o in _flat(fn(*xs)) if _cr_requires(o)]
        return cr.grad(outs, [xs[k] for k in diff], [cr.tensor(u) for u in us],
                       create_graph=True, allow_unused=True, materialize_grads=True)

    def shifted(h):
        xs = [leaf(_f64(a) + h * tangents[k]) if k in tangents
              else _const_cr(a) for k, a in enumerate(args)]
        return [to_numpy(g) for g in gradient(xs)]

    plus, minus = shifted(eps), shifted(-eps)
    with fwad.dual_level():
        xs = [fwad.make_dual(leaf(a), cr.tensor(tangents[k])) if k in tangents
              else _const_cr(a) for k, a in enumerate(args)]
        gts = [fwad.unpack_dual(g).tangent for g in gradient(xs)]
    for k, (gt, p, m) in enumerate(zip(gts, plus, minus)):
        num = (p - m) / (2 * eps)
        ana = np.zeros(num.shape) if gt is None else to_numpy(gt)
        np.testing.assert_allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"forward over reverse: tangent of gradient {k}")


def _is_float_tensor(o):
    return hasattr(o, "_data") and o._data.dtype.kind in "fc"


def _check_empty(fn, inputs, order):
    """With an empty input: forward, backward (and backward of backward) run, and every
    gradient has its input's shape and dtype."""
    leaves = [x for x in inputs if _cr_requires(x)]
    outs = [o for o in _flat(fn(*inputs)) if _cr_requires(o)]
    if not outs:
        return
    us = [cr.tensor(np.ones(o.shape, dtype=o._data.dtype), requires_grad=True) for o in outs]
    gs = cr.grad(outs, leaves, us, create_graph=order >= 2, allow_unused=True,
                 materialize_grads=True)
    for x, g in zip(leaves, gs):
        assert g.shape == x.shape and g.dtype == x.dtype, (g.shape, x.shape)
    if order >= 2:
        terms = [g.sum() for g in gs if _cr_requires(g)]
        if terms:
            s = terms[0]
            for t in terms[1:]:
                s = s + t
            hs = cr.grad(s, leaves + us, allow_unused=True, materialize_grads=True)
            for x, h in zip(leaves + us, hs):
                assert h.shape == x.shape, (h.shape, x.shape)


# --- the PyTorch oracle -------------------------------------------------------------------
def to_torch(a):
    import torch

    if _is_diff_input(a):
        return torch.tensor(_f64(a), requires_grad=True)
    if isinstance(a, np.ndarray):
        return torch.from_numpy(a.copy())
    return a


def to_numpy(t):
    """The values of a chainrule or torch tensor (or anything array-like) as an ndarray."""
    if hasattr(t, "detach") and hasattr(t, "cpu"):
        try:
            return t.detach().cpu().numpy(force=True)  # torch (force: ZeroTensor grads)
        except (AttributeError, TypeError):
            pass
    if hasattr(t, "_data"):
        return np.asarray(t._data)
    return np.asarray(t)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _assert_close(a, b, rtol, atol, what):
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} (chainrule) vs {b.shape} (torch)"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _cr_requires(t):
    return getattr(t, "_edge", None) is not None


def assert_matches_torch(cr_fn, torch_fn, *args, grad=True, second=True, rtol=1e-9,
                         atol=1e-12, seed=1):
    """``cr_fn`` and ``torch_fn`` agree at ``args``: values, gradients (for random cotangents)
    and, with ``second``, second derivatives (the gradient of <gradients, random w>).

    Float arrays in ``args`` are differentiated in both libraries."""
    import torch

    cr_in = _cr_args(args)
    t_in = tuple(to_torch(a) for a in args)
    cr_out, t_out = _flat(cr_fn(*cr_in)), _flat(torch_fn(*t_in))
    assert len(cr_out) == len(t_out), f"{len(cr_out)} outputs (chainrule) vs {len(t_out)} (torch)"
    for k, (c, t) in enumerate(zip(cr_out, t_out)):
        _assert_close(c, t, rtol, atol, f"value of output {k}")
    if not grad:
        return
    diff = [k for k, a in enumerate(args) if _is_diff_input(a)]
    cr_leaves = [cr_in[k] for k in diff]
    t_leaves = [t_in[k] for k in diff]
    pairs = [(c, t) for c, t in zip(cr_out, t_out) if t.requires_grad]
    assert [_cr_requires(c) for c, _ in pairs] == [True] * len(pairs), (
        "outputs that require grad differ between chainrule and torch")
    r = _rng(seed)
    us = [_randn_like(r, tuple(t.shape), t.is_complex()) for _, t in pairs]
    cr_g = cr.grad([c for c, _ in pairs], cr_leaves, [cr.tensor(u) for u in us],
                   create_graph=second, allow_unused=True, materialize_grads=True)
    t_g = torch.autograd.grad([t for _, t in pairs], t_leaves, [torch.tensor(u) for u in us],
                              create_graph=second, allow_unused=True, materialize_grads=True)
    for k, (c, t) in enumerate(zip(cr_g, t_g)):
        _assert_close(c, t, rtol, atol, f"gradient of input {diff[k]}")
    if not second:
        return
    # Real second-order losses: the real part of <gradient, w> (complex w for complex ones).
    from chainrule.primitives.complex import real

    ws = [_randn_like(r, tuple(t.shape), t.is_complex()) for t in t_g]
    cr_terms = [real((g * cr.tensor(w)).sum()) for g, w in zip(cr_g, ws) if _cr_requires(g)]
    t_terms = [torch.real((g * torch.tensor(w)).sum()) for g, w in zip(t_g, ws)
               if g.requires_grad]
    cr_h = _second(cr_terms, cr_leaves, lambda s, xs: cr.grad(
        s, xs, allow_unused=True, materialize_grads=True))
    t_h = _second(t_terms, t_leaves, lambda s, xs: torch.autograd.grad(
        s, xs, allow_unused=True, materialize_grads=True))
    for k, (c, t) in enumerate(zip(cr_h, t_h)):
        _assert_close(c, t, rtol, atol, f"second derivative for input {diff[k]}")


def _second(terms, leaves, grad_fn):
    if not terms:
        return [np.zeros(to_numpy(x).shape) for x in leaves]
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return grad_fn(s, leaves)


# --- graph inspection ---------------------------------------------------------------------
def prims_in_graph(outputs) -> set:
    """Names of the primitives recorded in the graph behind ``outputs``."""
    seen, names = set(), set()
    stack = [t._edge[0] for t in _flat(outputs) if getattr(t, "_edge", None) is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.prim is not None:
            names.add(node.prim.name)
        stack.extend(e[0] for e in node.next if e is not None)
    return names
