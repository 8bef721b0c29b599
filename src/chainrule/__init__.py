"""chainrule: exact derivatives of ordinary NumPy code.

The Tensor face follows PyTorch (``requires_grad``, ``backward``, ``grad``, ``no_grad``);
dtype promotion and broadcasting follow NumPy. See README.md and docs/.
"""

import numpy as _np

from . import (
    _backend,
    autograd,
    backends,  # flags tutorials set (backends.cudnn.benchmark); no GPU backends
    compiler,  # chainrule.compile's package (docs/compile.md)
    cuda,  # cuda.is_available() is False
    fft,  # fft, linalg, special: torch.fft, torch.linalg, torch.special (docs/pytorch.md)
    func,  # noqa: F401 - tunes malloc at import (see _backend.tune_malloc)
    integrate,  # quad, fixed_quad, simpson, ... differentiable (docs/integrate.md)
    linalg,
    nn,
    numpy,  # noqa: F401 - installs NumPy's protocols on Tensor: numpy.sin(t), numpy.sum(t)
    optim,
    optimize,  # least_squares, minimize, root, implicit differentiation (docs/optimize.md)
    special,
    viz,  # chainrule.viz.draw_graph (README)
)
from ._default_dtype import get_default_dtype, set_default_dtype
from ._device import device, get_default_device, set_default_device
from ._dtypes import UNSUPPORTED as _UNSUPPORTED_DTYPES
from ._dtypes import dtype, finfo, iinfo, is_complex, is_floating_point
from .autograd.api import grad as _autograd_grad
from .autograd.grad_mode import *  # noqa: F403 - no_grad, enable_grad, ... (its __all__)
from .backends import are_deterministic_algorithms_enabled, use_deterministic_algorithms
from .compiler import (  # noqa: A004 - chainrule.compile, as torch.compile
    TracingError,
    compile,
    cond,
    fori_loop,
    scan,
    vmap,
)
from .composite import (
    expand,
    expand_dims,
)
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    empty_permuted,
    empty_strided,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .custom import custom_jvp, custom_vjp
from .func import *  # noqa: F403 - chainrule.func's names; grad is given two faces below
from .nn.functional import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    group_norm,
    layer_norm,
    rms_norm,
)
from .nn.functional._native import (
    constant_pad_nd,
    native_batch_norm,
    native_group_norm,
    native_layer_norm,
)
from .ops import *  # noqa: F403 - PyTorch's spellings (dim=, keepdim=): docs/pytorch.md
from .primitives.elementwise import (
    abs,
    absolute,
    astype,
    ceil,
    cos,
    erf,
    exp,
    expm1,
    floor,
    isfinite,
    isinf,
    isnan,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    stop_gradient,
    tan,
    tanh,
)
from .primitives.reduction import (
    sum_to,
)
from .primitives.shape import (
    broadcast_to,
    pad,
    permute,
    reshape,
    take_along_axis,
)
from .serialization import SerializationError, load, save
from .tensor import Tensor
from .utils import checkpoint as _checkpoint_module

checkpoint = _checkpoint_module.checkpoint
checkpoint_scan = _checkpoint_module.checkpoint_scan
checkpoint_sequential = _checkpoint_module.checkpoint_sequential


# dtypes, spelled as in PyTorch and NumPy: NumPy's dtype objects, so that t.dtype ==
# chainrule.float32 and t.dtype is chainrule.float32 both hold (docs/pytorch.md). float, int
# and bool are served by __getattr__ below, not bound here, so that they never shadow the
# builtins inside this module; nothing in chainrule uses them.
float16 = half = _np.dtype(_np.float16)
float32 = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int8, int16, int32, int64 = (_np.dtype(t) for t in (_np.int8, _np.int16, _np.int32, _np.int64))
short, long = int16, int64
uint8, uint16, uint32, uint64 = (_np.dtype(t) for t in (_np.uint8, _np.uint16, _np.uint32,
                                                        _np.uint64))
bool_ = _np.dtype(_np.bool_)
complex64 = cfloat = _np.dtype(_np.complex64)
complex128 = cdouble = _np.dtype(_np.complex128)
_BUILTIN_NAMED = {"float": float32, "int": int32, "bool": bool_}


def __getattr__(name: str):
    if name in _BUILTIN_NAMED:  # chainrule.float, .int, .bool (and `from chainrule import int`)
        return _BUILTIN_NAMED[name]
    # PyTorch dtypes NumPy cannot hold (bfloat16, chalf): say so rather than "no attribute"
    if name in _UNSUPPORTED_DTYPES:
        raise AttributeError(f"chainrule.{name} is not supported: {_UNSUPPORTED_DTYPES[name]}")
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_BUILTIN_NAMED])


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
