"""``chainrule.numpy.fft``: NumPy's ``numpy.fft``, differentiable (docs/semantics.md, "Complex
numbers"). Raw arrays in give raw arrays out; any tensor in gives a tensor out."""

from ..primitives.fft import (
    fft,
    fft2,
    fftfreq,
    fftn,
    fftshift,
    hfft,
    ifft,
    ifft2,
    ifftn,
    ifftshift,
    ihfft,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftfreq,
    rfftn,
)
from ._wrappers import stack_nested_args as _stack_nested_args

__all__ = [
    "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]


def _accept_nested_lists() -> None:
    # A list holding tensors is an array argument too: its gradients must flow.
    for name in __all__:
        globals()[name] = _stack_nested_args(globals()[name])


_accept_nested_lists()
