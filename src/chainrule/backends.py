"""``chainrule.backends``: the flags tutorials set (``backends.cudnn.benchmark = True``,
``backends.cudnn.deterministic``, ``backends.cuda.matmul.allow_tf32``) and the availability
queries (``backends.mps.is_available()``). chainrule has no GPU backends, so the flags may be
set and read but change nothing, and every backend answers that it is not available.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "openmp", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled"]


def _unavailable() -> bool:
    return False


cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                        is_available=_unavailable, version=lambda: None)
cuda = SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False,
                                              allow_fp16_reduced_precision_reduction=True),
                       is_built=_unavailable)
mps = SimpleNamespace(is_available=_unavailable, is_built=_unavailable)
mkldnn = SimpleNamespace(enabled=True, is_available=_unavailable)
openmp = SimpleNamespace(is_available=_unavailable)

_deterministic = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded for ``are_deterministic_algorithms_enabled``; chainrule's NumPy kernels give
    the same results run after run either way."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic
