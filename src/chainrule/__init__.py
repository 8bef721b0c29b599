"""chainrule: exact derivatives of ordinary NumPy code.

The Tensor face follows PyTorch (``requires_grad``, ``backward``, ``grad``, ``no_grad``);
dtype promotion and broadcasting follow NumPy. See README.md and docs/.
"""

import numpy as _np

from . import (
    _backend,
    autograd,
    func,  # noqa: F401 - tunes malloc at import (see _backend.tune_malloc)
    integrate,  # quad, fixed_quad, simpson, ... differentiable (docs/integrate.md)
    nn,
    numpy,  # noqa: F401 - installs NumPy's protocols on Tensor: numpy.sin(t), numpy.sum(t)
    optim,
    optimize,  # least_squares, minimize, root, implicit differentiation (docs/optimize.md)
    viz,  # chainrule.viz.draw_graph (README)
)
from ._default_dtype import get_default_dtype, set_default_dtype
from .autograd.api import grad as _autograd_grad
from .autograd.grad_mode import *  # noqa: F403 - no_grad, enable_grad, ... (its __all__)
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
from .custom import custom_jvp, custom_vjp
from .func import *  # noqa: F403 - chainrule.func's names; grad is given two faces below
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
    erf,
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
from .ops import *  # noqa: F403 - PyTorch's spellings (dim=, keepdim=), over the names above
from .serialization import SerializationError, load, save
from .tensor import Tensor
from .utils import checkpoint as _checkpoint_module

checkpoint = _checkpoint_module.checkpoint
checkpoint_sequential = _checkpoint_module.checkpoint_sequential

cat = concat = concatenate

# dtypes, spelled as in NumPy and PyTorch
float16 = half = _np.float16
float32 = _np.float32
float64 = double = _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8 = _np.uint8
bool_ = _np.bool_
complex64, complex128 = _np.complex64, _np.complex128


def grad(func_or_outputs, *args, **kwargs):
    """Two faces, told apart by the first argument:

    - ``grad(f, argnums=0, has_aux=False)`` with a function: the functional transform
      (``chainrule.func.grad``, as in JAX), returning a function that computes the gradient;
    - ``grad(outputs, inputs, grad_outputs=None, ...)`` with tensors: PyTorch's
      ``torch.autograd.grad`` (``chainrule.autograd.grad``), returning a tuple of gradients.
    """
    if callable(func_or_outputs) and not isinstance(func_or_outputs, Tensor):
        return func.grad(func_or_outputs, *args, **kwargs)
    return _autograd_grad(func_or_outputs, *args, **kwargs)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x) -> int:
    return x.numel()


__version__ = "0.1.0"
