"""Random sampling in PyTorch's spelling (``normal``, ``bernoulli``, ``multinomial``) and the
seedable ``Generator`` the factories in ``creation.py`` share. It stands below the Tensor so
that ``Tensor.bernoulli`` and ``Tensor.multinomial`` dispatch here.

``normal`` is differentiable in ``mean`` and ``std`` by reparameterisation (``mean + std *
eps``: the gradients of ``torch.distributions.Normal(mean, std).rsample()``); the draws
themselves are constants. ``torch.normal`` itself returns zero gradients there.
"""

from __future__ import annotations

import numpy as np

from .._device import check_device
from .._device import device as _device
from ..primitives import _core
from ..primitives import elementwise as E
from ..primitives._core import data_of
from .shape import has_tensor, tensor_type

__all__ = ["normal", "bernoulli", "multinomial"]


class Generator:
    """A source of random numbers (PCG64). ``Generator().manual_seed(0)`` makes a seeded one."""

    def __init__(self, seed: int | None = None, *, device=None):
        if isinstance(seed, str):  # torch.Generator('cpu'): a device, not a seed
            seed, device = None, seed
        check_device(device, "Generator")
        self.device = _device("cpu" if device is None else device)
        self.manual_seed(seed)

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        return self.manual_seed(None)._seed

    def manual_seed(self, seed: int | None) -> Generator:
        self._seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def rng(generator):
    if _core.random_guard is not None:
        _core.random_guard()
    return (generator or default_generator)._rng


def _leaf(array, requires_grad=False):
    out = tensor_type()._constant(np.asarray(array))
    return out.requires_grad_() if requires_grad else out


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None,
           dtype=None, layout=None, device=None, pin_memory: bool = False,
           requires_grad: bool = False):
    """Normal samples of mean ``mean`` and standard deviation ``std`` (tensors or numbers,
    broadcast; with numbers, ``size`` gives the shape): ``mean + std * eps``."""
    check_device(device, "normal")
    if layout is not None and str(layout) not in ("strided", "torch.strided"):
        raise ValueError(f"normal: only the strided (dense) layout exists here, got {layout}")
    m, s = data_of(mean), data_of(std)
    if size is None:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    dt = np.dtype(dtype) if dtype is not None else np.result_type(m, s)
    if dt.kind != "f" and dt.kind != "c":
        dt = np.dtype(np.float64)
    eps = rng(generator).standard_normal(shape).astype(dt, copy=False)
    if has_tensor(mean, std):
        return E.add(mean, E.mul(std, eps))
    return _leaf((m + s * eps).astype(dt, copy=False), requires_grad)


def bernoulli(input, p=None, *, generator: Generator | None = None):
    """0 or 1 drawn with probability ``input`` (or ``p``, a number or tensor, when given),
    of ``input``'s shape and dtype."""
    x = np.asarray(data_of(input))
    prob = x if p is None else np.broadcast_to(data_of(p), x.shape)
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    draws = rng(generator).random(x.shape) < prob
    return _leaf(draws.astype(x.dtype if x.dtype.kind in "fc" else np.float64, copy=False))


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None):
    """Indices drawn from the categories weighted by the rows of ``input`` (1-D or 2-D,
    nonnegative weights, not necessarily normalised), with or without replacement."""
    w = np.asarray(data_of(input), dtype=np.float64)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got {w.ndim}-D")
    rows = w.reshape(-1, w.shape[-1])
    if np.any(rows < 0) or np.any(~np.isfinite(rows)) or np.any(rows.sum(-1) <= 0):
        raise ValueError("multinomial: weights must be finite, nonnegative, with a positive sum")
    if not replacement and num_samples > w.shape[-1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {w.shape[-1]} categories")
    g = rng(generator)
    if not replacement and np.any((rows > 0).sum(-1) < num_samples):
        raise ValueError("multinomial: fewer categories of positive weight than num_samples")
    idx = np.stack([g.choice(rows.shape[-1], num_samples, replace=bool(replacement),
                             p=r / r.sum()) for r in rows]).astype(np.int64)
    return _leaf(idx.reshape(w.shape[:-1] + (num_samples,)))
