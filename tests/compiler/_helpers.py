"""What the compile tests share: comparing a compiled function with eager execution."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule._pytree import flatten

T = cr.tensor


def arrays(out):
    """The leaves of a result as NumPy arrays."""
    return [np.asarray(o.detach() if hasattr(o, "detach") else o) for o in flatten(out)[0]]


def same_as_eager(f, *calls, exact=True):
    """``compile(f)`` on each argument tuple equals ``f`` eagerly (on tensors, as the compiled
    function sees its arguments; bit for bit unless ``exact`` is False), with a single trace."""
    g = cr.compile(f)
    for args in calls:
        got, want = arrays(g(*args)), arrays(f(*[T(a) for a in args]))
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
            if exact:
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert g.traces == 1
