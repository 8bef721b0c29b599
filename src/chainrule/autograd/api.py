"""``backward`` and ``grad``: the two ways to run the engine, with PyTorch's signatures."""

from __future__ import annotations

import numpy as np

from .dispatch import is_tensor, tangents_of, wrap
from .engine import _accumulate_into, execute
from .graph import AccumulateGrad


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _roots_and_seeds(outputs, grad_outputs, create_graph, op):
    roots, seeds = [], []
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{op}: got {len(outputs)} output(s) but {len(grad_outputs)} "
                         f"gradient(s); pass one gradient per output")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not is_tensor(out):
            raise TypeError(f"{op}: output {i} is a {type(out).__name__}, not a Tensor")
        if out._edge is None:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and does not have a "
                f"grad_fn. It was computed from tensors none of which requires grad (set "
                f"requires_grad=True on the inputs), or under no_grad().")
        shape = out._data.shape
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but output "
                    f"{i} has shape {shape}. Pass a gradient of that shape (for example "
                    f"y.backward(ones_like(y))), or reduce first (y.sum().backward()).")
            if out._data.dtype.kind == "c":
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for real scalar outputs, but "
                    f"output {i} is complex ({out._data.dtype}). Differentiate a real function "
                    f"of it (e.g. y.abs() or y.real), or pass the gradient explicitly.")
            g = np.ones(shape, dtype=out._data.dtype)
        elif is_tensor(g):
            if g._data.dtype.kind != "c" and out._data.dtype.kind == "c":
                g = g.astype(out._data.dtype)  # the complex rules must see a complex cotangent
            if not create_graph:
                # No graph of the backward pass is recorded, but tangents that the gradient
                # carries (forward over reverse) flow through the rules as they run.
                fw = tangents_of(g)
                if fw:
                    g = wrap(g._data)
                    g._fw = fw
                else:
                    g = g._data
        else:
            g = np.asarray(g)
            g = g.astype(np.result_type(g.dtype, out._data.dtype)
                         if out._data.dtype.kind == "c" else out._data.dtype, copy=False)
        gshape = g._data.shape if is_tensor(g) else np.shape(g)
        if gshape != shape:
            raise RuntimeError(
                f"{op}: mismatch in shape: the gradient for output {i} has shape {gshape} "
                f"but the output has shape {shape}; they must be equal")
        if create_graph and not is_tensor(g):
            g = wrap(g)
        roots.append(out._edge)
        seeds.append(g)
    return roots, seeds


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or only of
    ``inputs``, when given)."""
    tensors = _as_tuple(tensors)
    roots, seeds = _roots_and_seeds(tensors, _as_tuple(grad_tensors), create_graph, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    capture = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' was given but is empty")
        capture = {}
        for k, t in enumerate(inputs):
            if not is_tensor(t) or t._edge is None:
                raise RuntimeError(f"backward: input {k} does not require grad")
            capture.setdefault(t._edge[0], []).append(k)
    results = execute(roots, seeds, retain_graph=retain_graph, create_graph=create_graph,
                      capture=capture, accumulate=True)
    if inputs is not None:
        # Non-leaf inputs get their gradient in .grad too, once each; those that retain their
        # grad already received it from their RetainGrad hook.
        done = set()
        for k, t in enumerate(inputs):
            if (type(t._edge[0]) is not AccumulateGrad and k in results and id(t) not in done
                    and not t.retains_grad):
                done.add(id(t))
                _accumulate_into(t, results[k], create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
    *,
    _outer=None,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` untouched).

    With ``create_graph=True`` the result is itself differentiable (higher-order derivatives).
    (``_outer``: for the functional transforms, see ``engine.execute``.)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    roots, seeds = _roots_and_seeds(outputs, _as_tuple(grad_outputs), create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture: dict = {}
    for k, t in enumerate(inputs):
        if not is_tensor(t):
            raise TypeError(f"grad: input {k} is a {type(t).__name__}, not a Tensor")
        if t._edge is None:
            raise RuntimeError(f"grad: input {k} (shape {t._data.shape}) does not require grad; "
                               f"create it with requires_grad=True or call requires_grad_()")
        capture.setdefault(t._edge[0], []).append(k)
    results = execute(roots, seeds, retain_graph=retain_graph, create_graph=create_graph,
                      capture=capture, accumulate=False, outer=_outer)
    out = []
    for k, t in enumerate(inputs):
        g = results.get(k)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {k} (shape {t._data.shape}) appears not to have been used in "
                    f"the graph of the outputs. Pass allow_unused=True to get None for it (or "
                    f"materialize_grads=True to get zeros).")
            if materialize_grads:
                g = wrap(np.zeros_like(t._data))
            out.append(g)
            continue
        out.append(_as_input_grad(g, t, create_graph))
    return tuple(out)


def _as_input_grad(g, t, create_graph):
    dtype = t._data.dtype
    if create_graph or is_tensor(g):  # a tensor: a graph to keep, or forward-mode tangents
        return g if g._data.dtype == dtype else g.astype(dtype)
    g = np.asarray(g)
    if g.dtype != dtype or g.shape != t._data.shape or not g.flags.writeable:
        g = np.array(np.broadcast_to(g, t._data.shape), dtype=dtype)
    return wrap(g)
