"""``Dropout``."""

from __future__ import annotations

from ...creation import Generator
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)``; in evaluation mode (``model.eval()``), the identity.

    The masks come from chainrule's default generator (seed it with ``chainrule.manual_seed``)
    or from ``generator=``. ``inplace`` is accepted and computes out of place.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: Generator | None = None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: the probability p has to be between 0 and 1, but got "
                             f"{p}")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Dropout):
    _fn = None

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace,
                              generator=self.generator)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) in training."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) or (C, H, W) in training."""

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) in training."""

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Alpha dropout (for SELU networks) in training; the identity in evaluation."""

    _fn = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels in training."""

    _fn = staticmethod(F.feature_alpha_dropout)
