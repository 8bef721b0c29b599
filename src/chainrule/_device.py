"""``chainrule.device``: where a tensor lives, spelled as in PyTorch. chainrule computes on the
CPU (NumPy) only; other devices can be named (``device("cuda")``, as PyTorch allows without a
GPU), and using one raises an error that names it (docs/pytorch.md, "dtypes, devices and
factories").
"""

from __future__ import annotations

__all__ = ["device", "check_device", "get_default_device", "set_default_device"]

# PyTorch's device types: any of them may be named, only "cpu" used.
_KNOWN = ("cpu", "cuda", "mps", "meta", "xpu", "xla", "hip", "ipu", "mtia", "hpu", "lazy",
          "vulkan", "privateuseone")


class device(str):  # noqa: N801 - PyTorch's name
    """A device: ``device("cpu")``, ``device("cpu:0")``, ``device("cpu", 0)``.

    A ``str`` subclass, so code comparing with or splitting ``"cpu"`` keeps working; it prints
    as PyTorch's (``str``: ``cpu``, ``repr``: ``device(type='cpu')``), with ``.type`` and
    ``.index``.
    """

    type: str
    index: int | None

    def __new__(cls, type: str | device, index: int | None = None) -> device:  # noqa: A002
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cpu:0', got "
                            f"{type!r} of type {type.__class__.__name__}")
        kind, sep, idx = type.partition(":")
        if sep:
            if index is not None:
                raise ValueError(f"device: the index is given twice, in {type!r} and as "
                                 f"index={index}")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type!r}; expected a type and "
                                 f"an optional index, as 'cpu' or 'cpu:0'")
            index = int(idx)
        if kind not in _KNOWN:
            raise RuntimeError(f"device: unknown device type {kind!r} in {type!r}; chainrule "
                               f"computes on 'cpu'")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: the index must be a non-negative int, got {index!r}")
        obj = super().__new__(cls, kind if index is None else f"{kind}:{index}")
        obj.type, obj.index = kind, index
        return obj

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


def check_device(where, op: str) -> None:
    """Raise unless ``where`` (None, a string, a ``device``) names the CPU: ``op`` is named."""
    if where is None:
        return
    if isinstance(where, int) and not isinstance(where, bool):
        raise RuntimeError(f"{op}: device={where} names CUDA device {where}; chainrule "
                           f"computes on the CPU only (use device='cpu' or leave it out)")
    d = device(where)
    if d.type != "cpu":
        raise RuntimeError(f"{op}: device {str(d)!r} is not available: chainrule computes on "
                           f"the CPU only (NumPy); use 'cpu', or "
                           f"'cuda' if chainrule.cuda.is_available() else 'cpu'")


def get_default_device() -> device:
    """The device factories use: always ``device("cpu")``."""
    return CPU


def set_default_device(where) -> None:
    """Accepts the CPU (or None), which is already the default; any other device raises."""
    check_device(where, "set_default_device")


CPU = device("cpu")
