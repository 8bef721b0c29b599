"""``chainrule.cuda``: PyTorch's CUDA queries, answered for a library without a GPU.

The queries a CPU program makes answer as PyTorch's do on a machine without CUDA
(``is_available()`` is False, ``device_count()`` 0) and the seeding and cache calls change
nothing, so that ``"cuda" if chainrule.cuda.is_available() else "cpu"`` and seeding code run as
they stand; anything that needs a GPU raises ``RuntimeError`` saying so.
"""

from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "empty_cache", "is_initialized", "synchronize", "current_device", "get_device_name",
           "set_device", "memory_allocated", "max_memory_allocated"]


def _no_gpu(op: str):
    raise RuntimeError(f"chainrule.cuda.{op}: chainrule computes on the CPU only (NumPy), there "
                       f"is no CUDA device; check chainrule.cuda.is_available() first")


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


# Seeding and the cache: nothing to do without a GPU (PyTorch's calls do nothing there too).
def manual_seed(seed: int) -> None:
    return None


def manual_seed_all(seed: int) -> None:
    return None


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def empty_cache() -> None:
    return None


def synchronize(device=None) -> None:
    _no_gpu("synchronize")


def current_device() -> int:
    _no_gpu("current_device")


def get_device_name(device=None) -> str:
    _no_gpu("get_device_name")


def set_device(device) -> None:
    _no_gpu("set_device")


def memory_allocated(device=None) -> int:
    _no_gpu("memory_allocated")


def max_memory_allocated(device=None) -> int:
    _no_gpu("max_memory_allocated")
