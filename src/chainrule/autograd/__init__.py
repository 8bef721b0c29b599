"""Autograd: graph nodes, the backward engine, grad mode, forward mode and derivative checks."""

from . import conversion, forward_ad, function, functional, inplace, profiler
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .api import backward, grad
from .conversion import TracedConversionError
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import *  # noqa: F403 - no_grad, enable_grad, ... (its __all__)
from .grad_mode import __all__ as _grad_mode
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node, RemovableHandle
from .saved_hooks import save_on_disk, saved_tensors_hooks

__all__ = [
    "AccumulateGrad", "Function", "FunctionCtx", "GradcheckError", "Node", "RemovableHandle",
    "backward", "detect_anomaly", "functional", "grad", "gradcheck", "gradgradcheck",
    "is_anomaly_enabled",
    "once_differentiable", "profiler", "save_on_disk", "saved_tensors_hooks",
    "set_detect_anomaly", "TracedConversionError", *_grad_mode,
]
