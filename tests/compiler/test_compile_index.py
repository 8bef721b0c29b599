"""``chainrule.compile`` of the functions that compute indices from values: sorting, selection,
order statistics and max pooling with indices.

Their indices come from non-differentiable primitives (``argsort``, ``argpartition``,
``argmax``, ``argmin``, ``topk_index``, ``median_index``, ``mode_index``,
``cum_extremum_index``; primitives/array_ops.py), so a trace
records them instead of reading the values. Each function is compiled once and called on two
inputs with different values (ties included, and NaNs for the order statistics): the results
equal eager execution on both, with one trace; where the function is differentiable, the
gradient of the compiled function (``cr.grad(compiled)``, its compiled backward) equals the
eager gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import TracingError
from chainrule._pytree import flatten

F = cr.nn.functional

_rng = np.random.default_rng(7)


def _ties(shape, seed):
    """Values from a small set (many ties), as float64."""
    return np.random.default_rng(seed).integers(0, 4, shape).astype(np.float64)


def _with_nan(x, seed):
    """``x`` with a few NaNs (one row all NaN when 2-d, for the nan-aware functions)."""
    x = x.copy()
    r = np.random.default_rng(seed)
    x.reshape(-1)[r.choice(x.size, 2, replace=False)] = np.nan
    if x.ndim == 2:
        x[-1] = np.nan
    return x


M1, M2 = _ties((4, 5), 1), _ties((4, 5), 2)
NAN2 = _with_nan(M2, 3)
IMG1, IMG2 = _rng.standard_normal((2, 3, 6, 5)), _rng.standard_normal((2, 3, 6, 5))
IMG_T1 = np.round(IMG1)  # ties inside the windows
VOL1, VOL2 = _rng.standard_normal((1, 2, 4, 4, 4)), _rng.standard_normal((1, 2, 4, 4, 4))
SAMPLES = _rng.uniform(size=(2, 3, 2))
Q = np.array([0.0, 0.1, 0.5, 0.75, 1.0])

# name -> (function, first input, second input, differentiable)
CASES = {
    # chainrule.numpy
    "numpy.sort": (lambda x: cnp.sort(x), M1, M2, True),
    "numpy.sort axis=0": (lambda x: cnp.sort(x, axis=0), M1, M2, True),
    "numpy.sort axis=None": (lambda x: cnp.sort(x, axis=None), M1, M2, True),
    "numpy.partition": (lambda x: cnp.partition(x, 2), M1, M2, True),
    "numpy.partition kth=(0, 3) axis=0": (lambda x: cnp.partition(x, (0, 3), axis=0), M1, M2,
                                          True),
    "numpy.sort_complex": (lambda x: cnp.sort_complex(x), M1 + 1j * M2, M2 + 1j * M1, False),
    "numpy.sort_complex real": (lambda x: cnp.sort_complex(x), M1, M2, False),
    "numpy.median": (lambda x: cnp.median(x), M1, M2, True),
    "numpy.median axis=0": (lambda x: cnp.median(x, axis=0), M1, M2, True),
    "numpy.median axis=1 keepdims nan": (lambda x: cnp.median(x, axis=1, keepdims=True), M1,
                                         NAN2, True),
    "numpy.quantile": (lambda x: cnp.quantile(x, Q, axis=1), M1, NAN2, True),
    "numpy.quantile lower": (lambda x: cnp.quantile(x, 0.3, method="lower"), M1, M2, True),
    "numpy.quantile higher": (lambda x: cnp.quantile(x, Q, 0, method="higher"), M1, M2, True),
    "numpy.quantile nearest": (lambda x: cnp.quantile(x, Q, 1, method="nearest"), M1, M2, True),
    "numpy.quantile midpoint": (lambda x: cnp.quantile(x, Q, 1, method="midpoint"), M1, M2,
                                True),
    "numpy.percentile": (lambda x: cnp.percentile(x, [10, 90], axis=(0, 1)), M1, M2, True),
    "numpy.nanmedian": (lambda x: cnp.nanmedian(x, axis=1), M1, NAN2, True),
    "numpy.nanquantile": (lambda x: cnp.nanquantile(x, Q, axis=1), _with_nan(M1, 4), NAN2,
                          True),
    "numpy.nanpercentile": (lambda x: cnp.nanpercentile(x, 40, axis=0), M1, NAN2, True),
    # PyTorch's face
    "sort": (lambda x: cr.sort(x, 1), M1, M2, True),
    "sort descending dim=0": (lambda x: cr.sort(x, 0, descending=True), M1, M2, True),
    "argsort": (lambda x: cr.argsort(x, 1), M1, M2, False),
    "argsort descending": (lambda x: cr.argsort(x, 0, descending=True), M1, M2, False),
    "Tensor.sort": (lambda x: x.sort(1), cr.tensor(M1), cr.tensor(M2), True),
    "msort": (lambda x: cr.msort(x), M1, M2, True),
    "topk": (lambda x: cr.topk(x, 2, 1), M1, M2, True),
    "topk smallest dim=0": (lambda x: cr.topk(x, 3, 0, largest=False), M1, M2, True),
    "topk k=n": (lambda x: cr.topk(x, 5), M1, M2, True),
    "kthvalue": (lambda x: cr.kthvalue(x, 2, 1), M1, M2, True),
    "kthvalue keepdim dim=0": (lambda x: cr.kthvalue(x, 4, 0, keepdim=True), M1, M2, True),
    "max dim": (lambda x: cr.max(x, 1), M1, M2, True),
    "min dim keepdim": (lambda x: cr.min(x, 0, keepdim=True), M1, M2, True),
    "Tensor.max dim": (lambda x: x.max(0), cr.tensor(M1), cr.tensor(M2), True),
    "argmax": (lambda x: cr.argmax(x), M1, M2, False),
    "argmax dim keepdim": (lambda x: cr.argmax(x, 1, keepdim=True), M1, M2, False),
    "argmin dim": (lambda x: cr.argmin(x, 0), M1, M2, False),
    "argmin keepdim": (lambda x: cr.argmin(x, keepdim=True), M1, M2, False),
    "cummax": (lambda x: cr.cummax(x, 1), M1, NAN2, True),
    "cummin dim=0": (lambda x: cr.cummin(x, 0), M1, M2, True),
    "median": (lambda x: cr.median(x), M1, M2, True),
    "median nan": (lambda x: cr.median(x), M1, NAN2, True),
    "median dim": (lambda x: cr.median(x, 1), M1, NAN2, True),
    "nanmedian": (lambda x: cr.nanmedian(x), M1, NAN2, True),
    "nanmedian dim": (lambda x: cr.nanmedian(x, 1, keepdim=True), M1, NAN2, True),
    "mode": (lambda x: cr.mode(x, 1), M1, M2, True),
    "quantile": (lambda x: cr.quantile(x, Q, dim=1), M1, NAN2, True),
    "quantile all midpoint": (lambda x: cr.quantile(x, 0.3, interpolation="midpoint"), M1, M2,
                              True),
    "quantile nearest keepdim": (lambda x: cr.quantile(x, Q, 0, True, interpolation="nearest"),
                                 M1, M2, True),
    "nanquantile": (lambda x: cr.nanquantile(x, Q, dim=1, interpolation="lower"), M1, NAN2,
                    True),
    # max pooling with indices
    "max_pool1d": (lambda x: F.max_pool1d(x[0], 2, return_indices=True), IMG1, IMG2, True),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, return_indices=True), IMG_T1, IMG2, True),
    "max_pool2d padding dilation ceil": (
        lambda x: F.max_pool2d(x, 3, 2, 1, 2, ceil_mode=True, return_indices=True), IMG1, IMG2,
        True),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2, return_indices=True), VOL1, VOL2, True),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (4, 3), return_indices=True),
                            IMG_T1, IMG2, True),
    "adaptive_max_pool1d": (lambda x: F.adaptive_max_pool1d(x[0], 4, return_indices=True),
                            IMG1, IMG2, True),
    "fractional_max_pool2d": (
        lambda x: F.fractional_max_pool2d(x, 2, output_size=(3, 3), return_indices=True,
                                          _random_samples=SAMPLES), IMG1, IMG2, True),
}


def _np(v):
    return np.asarray(getattr(v, "_data", v))


def _leaves(r):
    return [_np(v) for v in flatten(r)[0]]


def _same(got, want, what):
    g, w = _leaves(got), _leaves(want)
    assert len(g) == len(w), what
    for a, b in zip(g, w):
        assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype,
                                                            b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=what)


def _floats(r):
    """The float results (the values, not the indices)."""
    return [v for v in flatten(r)[0] if _np(v).dtype.kind == "f"]


@pytest.mark.parametrize("name", CASES)
def test_compiled_equals_eager_with_one_trace(name):
    f, x1, x2, differentiable = CASES[name]
    c = cr.compile(f)
    for x in (x1, x2):
        _same(c(x), f(x), f"{name}: values")
    assert c.traces == 1
    if not differentiable:
        return
    w = [np.random.default_rng(5).standard_normal(np.shape(v)) for v in _floats(f(x1))]

    def loss(x):
        return sum(cnp.sum(cnp.where(cnp.isnan(v), 0.0, v) * wi)
                   for v, wi in zip(_floats(f(x)), w))

    cl = cr.compile(loss)
    for x in (x1, x2):
        np.testing.assert_allclose(_np(cr.grad(cl)(x)), _np(cr.grad(loss)(x)), rtol=1e-14,
                                   atol=0, err_msg=f"{name}: gradient")
    assert cl.traces == 1


def test_ties_follow_the_eager_convention():
    # sort: a stable permutation (ties keep their order); max along a dim: the first maximum
    # gets the gradient; median of all elements: tied medians share it evenly
    x = np.array([[2.0, 1.0, 2.0, 1.0]])
    g = cr.grad(cr.compile(lambda x: cnp.sum(cnp.sort(x) * np.array([1.0, 2.0, 3.0, 4.0]))))(x)
    np.testing.assert_array_equal(g, [[3.0, 1.0, 4.0, 2.0]])
    g = cr.grad(cr.compile(lambda x: cr.max(x, 1).values.sum()))(x)
    np.testing.assert_array_equal(g, [[1.0, 0.0, 0.0, 0.0]])
    g = cr.grad(cr.compile(lambda x: cr.median(x)))(x)
    np.testing.assert_array_equal(g, [[0.0, 0.5, 0.0, 0.5]])


@pytest.mark.parametrize("f", [
    lambda x: cnp.unique(x), lambda x: cr.unique(x), lambda x: x[x > 1],
], ids=["numpy.unique", "unique", "boolean mask"])
def test_value_dependent_shapes_are_still_refused(f):
    with pytest.raises(TracingError):
        cr.compile(f)(M1)
