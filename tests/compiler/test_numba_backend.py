"""chainrule.compile(backend="numba"): fused Numba kernels against eager execution and the NumPy
backend (values, derivatives, dtypes), the whole-program kernel, the kernel cache, the fallback
and the message without Numba."""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("numba")

import chainrule as cr  # noqa: E402
import chainrule.numpy as cnp  # noqa: E402
from chainrule.compiler import _numba  # noqa: E402

RNG = np.random.default_rng(7)
C = RNG.standard_normal((3, 4))  # a closure's array: a constant of the trace


def _close(got, want, rtol=1e-12, atol=1e-14):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _check(f, *args, rtol=1e-12):
    """Values and gradients (every argument) of ``f`` compiled with Numba equal eager ones,
    through grad(compile(f)) and compile(grad(f))."""
    c = cr.compile(f, backend="numba")
    _close(c(*args), f(*args), rtol)
    _close(c(*args), cr.compile(f)(*args), rtol)  # the NumPy backend
    argnums = tuple(range(len(args)))
    want = cr.grad(f, argnums=argnums)(*args)
    for g in (cr.grad(c, argnums=argnums)(*args),
              cr.compile(cr.grad(f, argnums=argnums), backend="numba")(*args)):
        for a, b in zip(g, want):
            _close(a, b, rtol)
    return c


def _kernels(c) -> int:
    return c.source.count("@numba.njit")


def test_elementwise_chain_is_one_fused_loop():
    def f(x):
        y = cnp.exp(-cnp.sin(x) ** 2) / (1.5 + cnp.cos(x)) - cnp.tanh(x) * 0.5
        return cnp.sum(cnp.log1p(y * y) + cnp.sqrt(cnp.abs(y)) + cr.erf(y))

    c = _check(f, RNG.standard_normal(7))
    fwd = c.source.split("\n\n")[0:2]
    assert fwd[1].count("for i in range(") == 1  # the forward: one loop, one kernel
    assert "np.sin" not in fwd[0] and "_sum" not in fwd[0]


def test_broadcasting_constants_and_scalars():
    def f(x, y, z, s):
        # (3, 4) with (4,), (3, 1), a 0-d array, a closure's (3, 4) array and Python numbers
        w = cnp.sin(x) * y + cnp.exp(-z) * C - 2.0 * x / (1 + z * z) + s * x
        return cnp.sum(cnp.maximum(w, 0.25 * y) + cnp.where(x > z, x, y))

    x, y, z = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal((3, 1))
    c = _check(f, x, y, z, np.array(0.7))
    assert "i % 4" in c.source and "i // 4" in c.source  # trailing and leading broadcasts


def test_general_broadcast_index():
    def f(a, b):  # (2, 1, 5) with (3, 1): the result is (2, 3, 5)
        return cnp.sum(cnp.cos(a * b + b))

    _check(f, RNG.standard_normal((2, 1, 5)), RNG.standard_normal((3, 1)))
    assert _numba._index((2, 1, 5), (2, 3, 5)) == "(i // 15) * 5 + i % 5"
    assert _numba._index((1, 3, 1), (2, 3, 5)) == "(i // 5) % 3"
    assert _numba._index((1,), (2, 3)) == "0"


def test_reductions():
    def f(x):
        a = cnp.sum(cnp.tanh(x), axis=0)  # (4,)
        b = cnp.max(x, axis=1, keepdims=True)  # (3, 1)
        return cnp.sum(a * b) + cnp.mean(x ** 2) - cnp.min(x)

    c = _check(f, RNG.standard_normal((3, 4)))
    wrapper = c.source.split("@numba.njit")[0]
    assert _kernels(c) >= 1 and not any(f"_{r}(" in wrapper for r in ("sum", "amax", "amin"))
    _close(cr.compile(cr.logsumexp, backend="numba")(C, axis=-1), cr.logsumexp(C, axis=-1))


def test_small_mlp_loss():
    def loss(w1, b1, w2, x, y):
        h = cnp.tanh(x @ w1 + b1)
        return cnp.mean((cr.sigmoid(h @ w2) - y) ** 2) + 1e-3 * cnp.sum(cr.relu(w1))

    args = (RNG.standard_normal((4, 5)), RNG.standard_normal(5), RNG.standard_normal((5, 2)),
            RNG.standard_normal((6, 4)), RNG.standard_normal((6, 2)))
    c = _check(loss, *args)
    assert "_matmul(" in c.source  # matmul runs as in the NumPy backend, between kernels


def test_whole_program_chain_is_one_function():
    def chain(x):
        for i in range(60):
            k = i % 5
            x = (cnp.sin(x) if k == 0 else cnp.cos(x) if k == 1 else cnp.exp(-x) if k == 2
                 else x * 1.0001 if k == 3 else cnp.tanh(x))
        return cnp.sum(x)

    x = np.array([0.3])
    f = cr.compile(cr.value_and_grad(chain), backend="numba")
    v, g = f(x)
    ve, ge = cr.value_and_grad(chain)(x)
    _close(v, ve)
    _close(g, ge)
    src = f.source
    assert _kernels(f) == 1
    wrapper = src.split("@numba.njit")[0]
    body = [ln.strip() for ln in wrapper.splitlines()[1:]
            if ln.strip() and not ln.strip().startswith("#")]
    # one kernel call, the results' shapes, the return: nothing runs outside the kernel
    assert body[0].endswith("= _k0(v0.ravel())")
    assert all(".reshape(" in ln for ln in body[1:-1]) and body[-1].startswith("return")
    # grad of the compiled chain: the forward program returns dozens of residuals and the
    # backward program takes them; the kernels pack them into one array per dtype
    c = cr.compile(chain, backend="numba")
    v, g = cr.value_and_grad(c)(x)
    _close(v, ve)
    _close(g, ge)
    assert "o_float64 = np.empty(" in c.source and "np.concatenate((" in c.source


def test_float32_stays_float32_and_integers():
    def f(x):
        return cnp.sum(cnp.exp(-x * x) * 3.0 + cr.clip(x, -0.5, 0.5))

    x = RNG.standard_normal((2, 3)).astype(np.float32)
    c = cr.compile(f, backend="numba")
    assert np.asarray(c(x)).dtype == np.float32
    _close(c(x), f(x), rtol=1e-5)
    g = cr.grad(c)(x)
    assert g.dtype == np.float32
    _close(g, cr.grad(f)(x), rtol=1e-5, atol=1e-6)
    h = cr.compile(lambda i: (i * 2.5 + (i > 1), cnp.sum(i > 1)), backend="numba")
    n = np.arange(4)
    a, b = h(n)
    _close(a, n * 2.5 + (n > 1))  # int64 in, float64 out, as NumPy
    _close(b, np.sum(n > 1))  # booleans summed to int64
    assert _kernels(h) == 1


def test_second_derivative_and_unusual_inputs():
    def f(x):
        return cnp.sum(cnp.sin(x) * cnp.exp(x))

    c = cr.compile(f, backend="numba")
    x = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    want = cr.grad(lambda x: cnp.sum(cr.grad(f)(x)))(x)
    _close(cr.grad(lambda x: cnp.sum(cr.grad(c)(x)))(x), want)
    ro = x.T.copy()
    ro.flags.writeable = False
    _close(c(x.T), f(x.T))  # not contiguous
    _close(c(ro), f(ro))  # read-only
    e = np.zeros((0, 3))
    _close(c(e), f(e))  # empty


def test_cache_reuses_kernels_of_an_identical_program():
    def f(x):
        return cnp.sum(cnp.arcsinh(x) * cnp.cosh(x))

    x = np.linspace(-1.0, 1.0, 5)
    first = cr.compile(f, backend="numba")
    first(x)
    n = len(_numba._CACHE)
    again = cr.compile(f, backend="numba")  # a new trace of the same program
    _close(again(x), f(x))
    assert len(_numba._CACHE) == n and again.traces == 1


def test_a_kernel_numba_rejects_runs_with_numpy_and_warns(monkeypatch):
    # a template Numba cannot type stands for a gap in Numba's support
    monkeypatch.setitem(_numba._OPS, "sinh", ("np.heaviside({0})", "f"))
    x = np.linspace(-1.0, 1.0, 4)
    c = cr.compile(lambda x: cnp.sinh(x) * 2.0 + 1.0, backend="numba")
    with pytest.warns(RuntimeWarning, match="Numba could not compile a kernel"):
        got = c(x)
    _close(got, np.sinh(x) * 2.0 + 1.0)
    assert "sinh(v0)" in c.source and "@numba.njit" not in c.source


def test_without_numba_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "chainrule.compiler._numba")
    with pytest.raises(ImportError, match=r'pip install "chainrule\[numba\]"'):
        cr.compile(lambda x: x, backend="numba")
    monkeypatch.undo()
    importlib.import_module("chainrule.compiler._numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cr.compile(lambda x: x * 2, backend="numba")(np.ones(2)).tolist() == [2, 2]
