"""Autograd: graph nodes, the backward engine, grad mode, forward mode and derivative checks."""

from . import conversion, forward_ad, function, inplace, profiler
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .api import backward, grad
from .conversion import TracedConversionError
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node, RemovableHandle
from .saved_hooks import save_on_disk, saved_tensors_hooks

__all__ = [
    "AccumulateGrad", "Function", "FunctionCtx", "GradcheckError", "Node", "RemovableHandle",
    "backward", "detect_anomaly", "enable_grad",
    "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled", "no_grad", "once_differentiable", "profiler",
    "save_on_disk", "saved_tensors_hooks",
    "set_detect_anomaly", "set_grad_enabled", "TracedConversionError",
]
