"""The array-module helpers and malloc tuning, at the bottom of the layers.

What is here: ``xp``, the array module (NumPy) that the primitive table's machinery names
(``_core``), ``erf`` (SciPy's when installed, else an exact elementwise fallback), and
``tune_malloc``, run at import. Kernels import NumPy directly: a GPU backend (CuPy, say) would
route them through this module later, one family at a time, rather than every rule now.
"""

from __future__ import annotations

import numpy as np

xp = np


def tune_malloc() -> bool:
    """Let glibc keep freed array memory for reuse, like PyTorch's caching allocator.

    By default glibc hands every block above 128 KiB back to the system when it is freed, so
    each new array of that size pays page faults on first touch: for chains of operations on
    medium arrays (Jacobian batches, MLP layers) that can cost more than the arithmetic. Raising
    the thresholds keeps such blocks on the heap. Process-wide, Linux/glibc only; set the
    environment variable CHAINRULE_NO_MALLOC_TUNING=1 to leave malloc alone. Returns whether it
    was applied.
    """
    import ctypes
    import os
    import sys

    if os.environ.get("CHAINRULE_NO_MALLOC_TUNING") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    ok = mallopt(m_mmap_threshold, 32 * 2**20)  # blocks up to 32 MiB come from the heap
    ok &= mallopt(m_trim_threshold, 256 * 2**20)  # keep up to 256 MiB of free heap
    ok &= mallopt(m_top_pad, 16 * 2**20)
    return bool(ok)


malloc_tuned = tune_malloc()


def _erf_fallback(x):
    import math

    x = np.asarray(x)
    out = np.vectorize(math.erf, otypes=[np.float64])(x)
    return out.astype(x.dtype) if np.issubdtype(x.dtype, np.floating) else out


try:  # SciPy is optional: its erf is vectorised; math.erf elementwise is exact but slower
    from scipy.special import erf
except ImportError:  # pragma: no cover - exercised where SciPy is absent
    erf = _erf_fallback
