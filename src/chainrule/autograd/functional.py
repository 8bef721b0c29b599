"""``chainrule.autograd.functional``: PyTorch's higher-level derivative functions, ``vjp``,
``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp``, on the Tensor face.

Signatures and return conventions are ``torch.autograd.functional``'s: ``inputs`` is a tensor
or a tuple of tensors, the results mirror that (and the structure of ``func``'s outputs);
without ``create_graph`` the results are detached; an output independent of an input gives
zeros, or an error with ``strict=True``. Reverse mode comes from ``autograd.api.grad``, forward
mode (``jvp``, ``jacobian(strategy="forward-mode")``) from ``autograd.forward_ad``.
``vectorize`` is accepted and changes nothing (forward-mode Jacobians always push all columns
in one batched pass). ``hvp`` is computed as ``vhp``: Hessians of twice differentiable
functions are symmetric. (docs/pytorch.md, "utils.data, autograd.functional, ...")
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..composite import stack
from ..primitives.shape import permute, reshape
from . import forward_ad
from .api import grad
from .dispatch import is_tensor, wrap

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, what: str, op: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for k, t in enumerate(xs):
        if not is_tensor(t):
            raise TypeError(f"{op}: the {what} must be a Tensor or a tuple of Tensors, but "
                            f"element {k} is a {type(t).__name__}")
    return is_tuple, xs


def _untuple(xs, is_tuple: bool):
    return xs if is_tuple else xs[0]


def _prepare(inputs: tuple, create_graph: bool, need_grad: bool, op: str) -> tuple:
    """The tensors ``func`` is called with: the inputs themselves when a graph through them is
    asked for (``create_graph`` and they require grad), else detached copies of their values,
    requiring grad when reverse mode needs them to."""
    out = []
    for k, t in enumerate(inputs):
        if create_graph and t.requires_grad:
            out.append(t)
            continue
        if need_grad and not np.issubdtype(t._data.dtype, np.inexact):
            raise TypeError(f"{op}: input {k} has dtype {t._data.dtype}; derivatives are taken "
                            f"with respect to floating point or complex tensors only")
        leaf = wrap(t._data)
        out.append(leaf.requires_grad_(True) if need_grad else leaf)
    return tuple(out)


def _finish(xs, create_graph: bool):
    """Detach unless a graph was asked for (PyTorch's convention)."""
    if isinstance(xs, tuple):
        return tuple(_finish(x, create_graph) for x in xs)
    return xs if create_graph else wrap(xs._data)


def _check_v(v, refs: tuple, what: str, op: str) -> tuple:
    """``v`` as a tuple matching ``refs`` in length and shapes; None only for one scalar."""
    if v is None:
        if len(refs) != 1 or refs[0]._data.size != 1:
            raise RuntimeError(f"{op}: v can be left out only when the {what} is a single tensor "
                               f"with one element; give v with the {what}'s shapes "
                               f"{[r._data.shape for r in refs]}")
        return (wrap(np.ones_like(refs[0]._data)),)
    _, vs = _as_tuple(v, "v", op)
    if len(vs) != len(refs):
        raise RuntimeError(f"{op}: v has {len(vs)} tensors but the {what} has {len(refs)}; "
                           f"they must match")
    for k, (a, r) in enumerate(zip(vs, refs)):
        if a._data.shape != r._data.shape:
            raise RuntimeError(f"{op}: v[{k}] has shape {a._data.shape} but the {what}'s element "
                               f"{k} has shape {r._data.shape}; they must be equal")
    return vs


def _reverse(outputs: tuple, inputs: tuple, vs: tuple, create_graph: bool, strict: bool,
             op: str) -> tuple:
    """sum_i vs[i]^T d outputs[i] / d inputs, one tensor per input (zeros where independent)."""
    pairs = [(o, v) for o, v in zip(outputs, vs) if o.requires_grad]
    grads = [None] * len(inputs)
    if pairs:
        grads = list(grad([o for o, _ in pairs], inputs, [v for _, v in pairs],
                          retain_graph=True, create_graph=create_graph, allow_unused=True))
    for k, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(f"{op}: the output of the user-provided function is "
                                   f"independent of input {k}; this is not allowed in strict "
                                   f"mode")
            grads[k] = wrap(np.zeros_like(inputs[k]._data))
    return tuple(grads)


def _call(func: Callable, inputs: tuple, op: str) -> tuple[bool, tuple]:
    return _as_tuple(func(*inputs), "outputs of the user-provided function", op)


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph, True, "vjp")
    out_tuple, outputs = _call(func, inputs, "vjp")
    vs = _check_v(v, outputs, "output", "vjp")
    grads = _reverse(outputs, inputs, vs, create_graph, strict, "vjp")
    return (_untuple(_finish(outputs, create_graph), out_tuple),
            _untuple(_finish(grads, create_graph), in_tuple))


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``, in forward mode."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph, False, "jvp")
    vs = _check_v(v, inputs, "input", "jvp")
    with forward_ad.dual_level():
        duals = tuple(forward_ad.make_dual(x, t) for x, t in zip(inputs, vs))
        out_tuple, outputs = _call(func, duals, "jvp")
        primals, tangents = [], []
        for k, o in enumerate(outputs):
            p, t = forward_ad.unpack_dual(o)
            if t is None:
                if strict:
                    raise RuntimeError(f"jvp: output {k} of the user-provided function is "
                                       f"independent of the inputs; this is not allowed in "
                                       f"strict mode")
                t = wrap(np.zeros_like(p._data))
            primals.append(p)
            tangents.append(t)
    return (_untuple(_finish(tuple(primals), create_graph), out_tuple),
            _untuple(_finish(tuple(tangents), create_graph), out_tuple))


def _jacobian_reverse(outputs, inputs, create_graph, strict, op):
    """One reverse pass per output element: rows of the Jacobian."""
    blocks = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        seed = np.zeros(out._data.shape, dtype=out._data.dtype)
        flat = seed.reshape(-1)
        independent = [True] * len(inputs)
        for j in range(flat.size):
            flat[j] = 1
            grads = ((None,) * len(inputs) if not out.requires_grad else
                     grad(out, inputs, wrap(seed.copy()), retain_graph=True,
                          create_graph=create_graph, allow_unused=True))
            flat[j] = 0
            for k, g in enumerate(grads):
                if g is not None:
                    independent[k] = False
                rows[k].append(wrap(np.zeros_like(inputs[k]._data)) if g is None else g)
        block = []
        for k, x in enumerate(inputs):
            if strict and independent[k]:
                raise RuntimeError(f"{op}: output {i} of the user-provided function is "
                                   f"independent of input {k}; this is not allowed in strict "
                                   f"mode")
            shape = out._data.shape + x._data.shape
            block.append(reshape(stack(rows[k]), shape) if rows[k] else
                         wrap(np.zeros(shape, dtype=x._data.dtype)))
        blocks.append(tuple(block))
    return blocks


def _jacobian_forward(func, outputs_ref, inputs, create_graph, strict, op):
    """One batched forward pass per input: all the columns for that input at once."""
    blocks = [[None] * len(inputs) for _ in outputs_ref]
    for k, x in enumerate(inputs):
        n, shape = x._data.size, x._data.shape
        basis = np.eye(n, dtype=x._data.dtype).reshape((n, *shape))
        with forward_ad.dual_level():
            args = tuple(forward_ad.make_dual(a, basis, batched=True) if a is x else a
                         for a in inputs)
            _, outputs = _call(func, args, op)
            for i, o in enumerate(outputs):
                t = forward_ad.unpack_dual(o).tangent
                oshape = o._data.shape
                if t is None:
                    if strict:
                        raise RuntimeError(f"{op}: output {i} of the user-provided function is "
                                           f"independent of input {k}; this is not allowed in "
                                           f"strict mode")
                    blocks[i][k] = wrap(np.zeros(oshape + shape, dtype=o._data.dtype))
                    continue
                t = reshape(t, (n, *oshape))
                moved = permute(t, (*range(1, len(oshape) + 1), 0))
                blocks[i][k] = reshape(moved, oshape + shape)
    return [tuple(b) for b in blocks]


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a tensor of shape
    ``output.shape + input.shape``; tuples (per output, then per input) otherwise.
    ``strategy="forward-mode"`` takes one batched forward pass per input instead of one reverse
    pass per output element (better when the inputs are smaller than the outputs)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph, True, "jacobian")
    out_tuple, outputs = _call(func, inputs, "jacobian")
    if strategy == "reverse-mode":
        blocks = _jacobian_reverse(outputs, inputs, create_graph, strict, "jacobian")
    else:
        blocks = _jacobian_forward(func, outputs, inputs, create_graph, strict, "jacobian")
    blocks = [_untuple(_finish(b, create_graph), in_tuple) for b in blocks]
    return tuple(blocks) if out_tuple else blocks[0]


def _scalar_output(func: Callable, inputs: tuple, op: str):
    out_tuple, outputs = _call(func, inputs, op)
    if out_tuple or outputs[0]._data.size != 1:
        raise RuntimeError(f"{op}: the function given to {op} must return a single tensor with "
                           f"one element, got "
                           f"{'a tuple' if out_tuple else f'shape {outputs[0]._data.shape}'}")
    return outputs[0]


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: shape ``input.shape * 2`` for
    one input, ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape`` for a tuple."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = _scalar_output(func, xs, "hessian")
        return _reverse((out,), xs, (wrap(np.ones_like(out._data)),), True, strict, "hessian")

    res = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return res if in_tuple else res[0][0]


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)``: the vector-Hessian product of the scalar function ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)``: the Hessian-vector product of the scalar function ``func``
    (equal to ``v^T H``: the Hessian of a twice differentiable function is symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, op):
    in_tuple, inputs = _as_tuple(inputs, "inputs", op)
    inputs = _prepare(inputs, create_graph, True, op)
    vs = _check_v(v, inputs, "input", op)
    out = _scalar_output(func, inputs, op)
    g = _reverse((out,), inputs, (wrap(np.ones_like(out._data)),), True, strict, op)
    hv = _reverse(g, inputs, vs, create_graph, strict, op)
    return _finish(out, create_graph), _untuple(_finish(hv, create_graph), in_tuple)
