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
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .conv import conv1d, conv2d
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
from .normalization import batch_norm, group_norm
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh", "sigmoid", "softmax",
    "log_softmax", "linear", "bilinear", "dropout", "layer_norm", "embedding", "mse_loss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "batch_norm", "group_norm",
]
