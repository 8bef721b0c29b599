"""``chainrule.func``: the functional transforms under one namespace (like ``torch.func``), and
``functional_call``, which runs a module with parameters and buffers given in a dict."""

from __future__ import annotations

import weakref
from collections.abc import Mapping

from ._pytree import ravel_pytree
from .compiler._vmap import vmap
from .functional import *  # noqa: F403 - the transforms, functional.__all__
from .functional import __all__ as _transforms
from .functional import grad as _grad

__all__ = [*_transforms, "vmap", "ravel_pytree", "functional_call", "per_sample_grads"]


def _owner(module, name: str):
    """The submodule holding the dotted ``name``, and the last part of it."""
    *path, leaf = name.split(".")
    for part in path:
        sub = module._modules.get(part) if hasattr(module, "_modules") else None
        if sub is None:
            raise KeyError(f"functional_call: {name!r} names no parameter or buffer of "
                           f"{type(module).__name__}: it has no submodule {part!r}")
        module = sub
    return module, leaf


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameter_and_buffer_dicts`` (a dict, or a tuple of dicts with distinct keys, from dotted
    names as ``named_parameters`` gives them to tensors) in place of the module's own, as
    ``torch.func.functional_call``. The module is restored afterwards, even on error; its
    parameters are neither read for the given names nor changed, so the call is a function of
    the dict (``chainrule.func.grad(lambda p: loss(functional_call(model, p, x)))(params)``).

    ``tie_weights``: a tensor shared by several names (tied weights) is replaced under all of
    them when one is given. ``strict``: every parameter and buffer must be given. A name that
    is no parameter or buffer of the module raises KeyError.
    """
    dicts = (parameter_and_buffer_dicts,) if isinstance(parameter_and_buffer_dicts, Mapping) \
        else tuple(parameter_and_buffer_dicts)
    given: dict = {}
    for d in dicts:
        if not isinstance(d, Mapping):
            raise TypeError(f"functional_call: expected a dict or a tuple of dicts of tensors, "
                            f"got a {type(d).__name__}")
        overlap = sorted(set(d) & set(given))
        if overlap:
            raise ValueError(f"functional_call: {overlap} appear in more than one of the dicts; "
                             f"each name may be given once")
        given.update(d)
    # every name of every parameter and buffer, tied ones included
    owned = dict(module.named_parameters(remove_duplicate=False))
    owned.update(module.named_buffers(remove_duplicate=False))
    unknown = sorted(set(given) - set(owned))
    if unknown:
        raise KeyError(f"functional_call: {unknown} name no parameter or buffer of "
                       f"{type(module).__name__}; its names are {sorted(owned)}")
    if tie_weights:
        groups: dict = {}
        for name, t in owned.items():
            groups.setdefault(id(t), []).append(name)
        for name in list(given):
            for other in groups[id(owned[name])]:
                if other in given and given[other] is not given[name]:
                    raise ValueError(f"functional_call: {name!r} and {other!r} are tied (one "
                                     f"tensor) but were given different values; give one of "
                                     f"them, or pass tie_weights=False")
                given.setdefault(other, given[name])
    if strict:
        missing = sorted(set(owned) - set(given))
        if missing:
            raise RuntimeError(f"functional_call: strict=True but no value was given for "
                               f"{missing}")
    swapped = []
    try:
        for name, value in given.items():
            sub, leaf = _owner(module, name)
            store = sub._parameters if leaf in sub._parameters else sub._buffers
            swapped.append((store, leaf, store[leaf]))
            store[leaf] = value  # the dict, not setattr: a plain tensor may stand for a Parameter
        if not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(swapped):
            store[leaf] = old


def _refuse_training_batch_norm(model, op: str) -> None:
    """Batch normalisation in training mode normalises with the batch's statistics: with one
    example per call (the per-sample recipe) those are the example's own, which is not what a
    training step on the batch computes; and a layer that tracks running statistics would
    update them once per example. Refuse both, as torch.func does."""
    from .nn.modules.batchnorm import _BatchNorm
    from .nn.modules.normalization import _InstanceNorm

    for name, m in model.named_modules():
        if not (isinstance(m, _BatchNorm) and m.training):
            continue
        label = f"{type(m).__name__} {name or '(the model)'!r}"
        if not isinstance(m, _InstanceNorm):
            raise RuntimeError(
                f"{op}: {label} is in training mode: each example would be normalised by its "
                f"own statistics (a batch of one) and the running statistics updated once per "
                f"example. Call model.eval() first (the running statistics are then used, as "
                f"torch.func requires)")
        if m.track_running_stats:
            raise RuntimeError(
                f"{op}: {label} is in training mode with track_running_stats=True: its running "
                f"statistics would be updated once per example. Call model.eval() first, or "
                f"build it with track_running_stats=False")


_PER_SAMPLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def per_sample_grads(model, loss_fn, *batch, chunk_size: int | None = None,
                     randomness: str = "error") -> dict:
    """The gradient of ``loss_fn(model(x[None]), *(t[None] for t in targets))`` with respect
    to each of ``model``'s parameters, for every example of ``batch = (x, *targets)``
    separately: a dict from parameter name (as ``named_parameters``) to a tensor of shape
    ``(batch size,) + parameter shape``. ``x`` and the targets may be tensors or NumPy arrays.

    This is torch.func's recipe, ``vmap(grad(compute_loss), in_axes=(None, 0, 0, ...))`` with
    ``functional_call(model, params, x[None])`` inside, so the model sees a batch of one.
    ``chunk_size`` bounds how many examples are evaluated at once (memory); ``randomness`` is
    vmap's (``"different"`` for dropout in training mode: each example its own mask). The model's
    buffers are read as they are, never changed: batch normalisation (and instance
    normalisation that tracks running statistics) must be in evaluation mode
    (``model.eval()``), as in torch.func; in training mode this raises.
    """

    if not batch:
        raise TypeError("per_sample_grads: expected the batch's inputs (and targets) after "
                        "loss_fn: per_sample_grads(model, loss_fn, x, y)")
    _refuse_training_batch_norm(model, "per_sample_grads")
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers() if v is not None}
    # one vmapped gradient per model and setting: its trace is reused by every later call (a
    # training loop); the cache holds the model weakly and goes with it
    cache = _PER_SAMPLE.setdefault(model, {})
    key = (loss_fn, len(batch), chunk_size, randomness)
    batched = cache.get(key)
    if batched is None:
        ref = weakref.ref(model)

        def compute_loss(params, buffers, x, *targets):
            out = functional_call(ref(), (params, buffers), (x[None],))
            return loss_fn(out, *(t[None] for t in targets))

        batched = cache[key] = vmap(_grad(compute_loss), in_axes=(None, None) + (0,) * len(batch),
                                    randomness=randomness, chunk_size=chunk_size)
    return batched(params, buffers, *batch)
