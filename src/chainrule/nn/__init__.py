"""``chainrule.nn``: layers, containers, losses and initialisers with PyTorch's names.

Everything here is composed from chainrule's differentiable operations: a model's output can
be differentiated to any order. Parameters default to float32, as in PyTorch; layers take
``dtype=`` and ``Module.to(dtype)`` converts. See docs/nn.md.
"""

from . import functional, init, utils
from .modules import (
    ELU,
    GELU,
    BCELoss,
    BCEWithLogitsLoss,
    Bilinear,
    CosineSimilarity,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    HuberLoss,
    Identity,
    IncompatibleKeys,
    KLDivLoss,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    RemovableHandle,
    Sequential,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
    "Linear", "Bilinear", "Embedding", "Dropout", "LayerNorm", "ReLU", "LeakyReLU", "ELU",
    "GELU", "SiLU", "Softplus", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MSELoss", "L1Loss",
    "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "CosineSimilarity", "IncompatibleKeys", "RemovableHandle", "functional",
    "init", "utils",
]
