"""chainrule: exact derivatives of ordinary NumPy code.

The Tensor face follows PyTorch (``requires_grad``, ``backward``, ``grad``, ``no_grad``);
dtype promotion and broadcasting follow NumPy. See README.md and docs/.
"""

import numpy as _np

from . import autograd
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd.api import grad
from .composite import (
    chunk,
    dot,
    expand,
    expand_dims,
    flatten,
    gather,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    softmax,
    split,
    squeeze,
    stack,
    std,
    swapaxes,
    tensordot,
    transpose,
    unsqueeze,
    var,
)
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .primitives.elementwise import (
    abs,
    absolute,
    add,
    astype,
    ceil,
    clamp,
    clip,
    cos,
    div,
    divide,
    eq,
    exp,
    expm1,
    floor,
    floor_divide,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    ne,
    neg,
    negative,
    pow,
    relu,
    remainder,
    round,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)
from .primitives.linalg import einsum, matmul
from .primitives.reduction import amax, amin, cumsum, prod, sum, sum_to
from .primitives.shape import (
    broadcast_to,
    concatenate,
    flip,
    pad,
    permute,
    reshape,
    take_along_axis,
)
from .tensor import Tensor

cat = concat = concatenate

# dtypes, spelled as in NumPy and PyTorch
float16 = half = _np.float16
float32 = _np.float32
float64 = double = _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8 = _np.uint8
bool_ = _np.bool_
complex64, complex128 = _np.complex64, _np.complex128


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x) -> int:
    return x.numel()


__version__ = "0.1.0"
