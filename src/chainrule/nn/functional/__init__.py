"""``chainrule.nn.functional``: layers, activations and losses as functions.

Import it as PyTorch's: ``import chainrule.nn.functional as F``. Every function is composed from
chainrule's differentiable operations, so it can be differentiated to any order.
"""

from .activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .distance import cosine_similarity
from .layers import bilinear, dropout, embedding, layer_norm, linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

__all__ = [
    "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh", "sigmoid", "softmax",
    "log_softmax", "linear", "bilinear", "dropout", "layer_norm", "embedding", "mse_loss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
]
