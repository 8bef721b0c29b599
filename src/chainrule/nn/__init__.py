"""``chainrule.nn``: layers, containers, losses and initialisers with PyTorch's names.

Everything here is composed from chainrule's differentiable operations: a model's output can
be differentiated to any order. Parameters default to float32, as in PyTorch; layers take
``dtype=`` and ``Module.to(dtype)`` converts. See docs/nn.md.
"""

from . import functional, init, utils
from .modules import (
    ELU,
    GELU,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Bilinear,
    Conv1d,
    Conv2d,
    CosineSimilarity,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    HuberLoss,
    Identity,
    IncompatibleKeys,
    KLDivLoss,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
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
from .modules.attention import MultiheadAttention
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .parameter import Parameter

__all__ = [
    "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
    "Linear", "Bilinear", "Embedding", "Dropout", "LayerNorm", "ReLU", "LeakyReLU", "ELU",
    "GELU", "SiLU", "Softplus", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MSELoss", "L1Loss",
    "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "CosineSimilarity", "IncompatibleKeys", "RemovableHandle", "functional",
    "MultiheadAttention", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell",
    "LSTMCell", "GRUCell",
    "init", "utils", "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "GroupNorm",
]
