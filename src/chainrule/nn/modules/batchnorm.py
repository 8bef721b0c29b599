"""``BatchNorm1d`` and ``BatchNorm2d``."""

from __future__ import annotations

import numpy as np

from ...autograd.inplace import bump_all
from ...tensor import Tensor
from .. import functional as F
from ..functional._util import data
from ._util import affine_parameters, param_dtype, reset_affine
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Per-channel normalisation with batch statistics in training and running statistics in
    evaluation, PyTorch's parameters (with ``affine``: ``weight`` ones and, with ``bias``,
    ``bias`` zeros) and buffers
    (``running_mean`` zeros, ``running_var`` ones, ``num_batches_tracked`` an int64 0)."""

    _dims: tuple = ()
    _expected = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        dt = param_dtype(device, dtype, type(self).__name__)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        affine_parameters(self, (num_features,), dt, affine, bias)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros((num_features,), dt)))
            self.register_buffer("running_var", Tensor(np.ones((num_features,), dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            mean, var = data(self.running_mean), data(self.running_var)
            count = data(self.num_batches_tracked)
            bump_all((mean, var, count), "reset_running_stats")  # in-place changes count
            mean[...] = 0
            var[...] = 1
            count[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        reset_affine(self)

    def forward(self, input):
        nd = data(input).ndim
        if nd not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._expected} input (got "
                             f"{nd}D input)")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            nbt = data(self.num_batches_tracked)
            bump_all((nbt,), "batch_norm")
            nbt[...] = nbt + 1
            factor = 1.0 / float(nbt) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) over N (and L). ``momentum=None`` gives a
    cumulative average of the batch statistics."""

    _dims = (2, 3)
    _expected = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) over N, H and W. ``momentum=None`` gives a
    cumulative average of the batch statistics."""

    _dims = (4,)
    _expected = "4D"
