"""``import chainrule.numpy as np``: plain arrays behave exactly as in NumPy, tensors get
gradients, and whatever chainrule does not differentiate raises a clear error."""

from __future__ import annotations

import types

import numpy as onp
import pytest
from tests.helpers import check_grads, positive, rand
from tools.numpy_coverage import CANDIDATES, SAMPLES, _plain

import chainrule as cr
import chainrule.numpy as np
from chainrule.numpy import NotDifferentiableError


# --- the promise ----------------------------------------------------------------------------------
def test_readme_example():
    g = cr.grad(lambda x: np.sum(np.tanh(x) ** 2))(onp.ones(3))
    t = onp.tanh(1.0)
    onp.testing.assert_allclose(g, onp.full(3, 2 * t * (1 - t * t)))
    assert type(g) is onp.ndarray


def _logistic_loss(w, X, y):
    return np.mean(np.logaddexp(0.0, -y * np.dot(X, w))) + 0.1 * np.sum(w ** 2)


def _features(x):
    z = np.stack([np.sin(x), np.cos(x) * x, np.sqrt(x)], axis=1)
    z = np.concatenate([z, np.reshape(np.cumsum(x), (-1, 1))], axis=1)
    return np.linalg.norm(z, axis=1) + np.var(z) + np.max(np.where(x > 1.0, x, -x))


def _ufunc_methods(x, y):
    outer = np.subtract.outer(x, y)
    return (np.maximum.reduce(np.exp(-outer ** 2), axis=0) + np.multiply.accumulate(x)[-1]
            + np.logaddexp.reduce(outer, axis=1).sum())


def _linear_algebra(A, b):
    S = np.dot(A.T, A) + np.eye(3)
    return np.einsum("i,i->", np.linalg.solve(S, b), b) + np.trace(np.tril(S))


PROGRAMS = [
    (_logistic_loss, (rand((3,), 0), rand((5, 3), 1), onp.sign(rand((5,), 2)))),
    (_features, (positive((4,), 3),)),
    (_ufunc_methods, (rand((3,), 4), rand((2,), 5))),
    (_linear_algebra, (rand((4, 3), 6), rand((3,), 7))),
]


@pytest.mark.parametrize("fn,args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_numpy_programs_gradients(fn, args):
    """Programs written against NumPy's API differentiate correctly (finite differences,
    second order, forward mode)."""
    check_grads(fn, *args)


@pytest.mark.parametrize("fn,args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_numpy_programs_values_match_numpy(fn, args):
    """The same program gives NumPy's value with arrays (chainrule.numpy) and with tensors."""
    plain = fn(*args)
    tensors = fn(*[cr.tensor(a) for a in args])
    assert isinstance(tensors, cr.Tensor)
    onp.testing.assert_allclose(tensors.detach().numpy(), plain, rtol=1e-12)


# --- plain arrays behave exactly as in NumPy ------------------------------------------------------
_UNINITIALISED = {"empty", "empty_like"}


def _numpy_callables():
    out = []
    # Only chainrule's own functions: the pass-through ones are NumPy's (some write files or
    # change global settings when called).
    for name in sorted(set(np.__all__) - _UNINITIALISED):
        if np._kind(name) != "chainrule":
            continue
        obj = getattr(np, name)
        ref = getattr(onp, name, None)
        if callable(obj) and callable(ref) and not isinstance(obj, type) and obj is not ref:
            out.append(name)
    return out


def _same(a, b, name):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b), name
        for x, y in zip(a, b):
            _same(x, y, name)
        return
    assert type(a) is type(b), f"{name}: {type(a).__name__} instead of NumPy's {type(b).__name__}"
    if isinstance(b, onp.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (name, a.dtype, b.dtype, a.shape)
    if isinstance(b, (onp.ndarray, onp.generic, int, float, bool)):
        if onp.asarray(b).dtype.kind in "fc":  # a composite may round differently in the last bit
            onp.testing.assert_allclose(a, b, rtol=1e-14, atol=0, err_msg=name)
        else:
            onp.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # row_stack, NumPy's own warning
@pytest.mark.parametrize("name", _numpy_callables())
def test_plain_arrays_give_numpy_results(name):
    """Given NumPy arrays, every chainrule.numpy function returns what NumPy returns: the same
    type, dtype, shape and values."""
    ref, ours = getattr(onp, name), getattr(np, name)
    samples = [SAMPLES[name]] if name in SAMPLES else CANDIDATES
    for args in samples:
        args = _plain(list(args))
        with onp.errstate(all="ignore"):
            try:
                expected = ref(*args)
            except Exception:  # noqa: BLE001 - NumPy refuses this sample: try the next
                continue
            _same(ours(*args), expected, name)
        return
    pytest.skip(f"no sample input for numpy.{name}")


def test_ufunc_methods_on_arrays_are_numpy():
    a, b = rand((2, 3), 0), rand((3,), 1)
    _same(np.add.reduce(a, axis=1), onp.add.reduce(a, axis=1), "add.reduce")
    _same(np.multiply.accumulate(a), onp.multiply.accumulate(a), "multiply.accumulate")
    _same(np.subtract.outer(a, b), onp.subtract.outer(a, b), "subtract.outer")
    _same(np.add(a, b, where=b > 0, out=onp.zeros((2, 3))),
          onp.add(a, b, where=b > 0, out=onp.zeros((2, 3))), "add with where and out")
    x, y = onp.zeros(3), onp.zeros(3)
    np.add.at(x, [0, 0, 2], 1.0)
    onp.add.at(y, [0, 0, 2], 1.0)
    _same(x, y, "add.at")


# --- tensors in, tensors out ----------------------------------------------------------------------
def test_tensors_in_tensors_out():
    x = cr.tensor([0.5, 1.5, 2.5], requires_grad=True)
    for y in (np.sin(x), np.add(x, 1.0), np.sum(x), np.mean(x), np.concatenate([x, x]),
              np.var(x), np.linalg.norm(x), np.maximum.reduce(x)):
        assert isinstance(y, cr.Tensor) and y.requires_grad


def test_var_and_std_follow_numpy_ddof():
    a = rand((4, 3), 0)
    t = cr.tensor(a)
    onp.testing.assert_allclose(np.var(t).numpy(), onp.var(a))
    onp.testing.assert_allclose(np.std(t, axis=0).numpy(), onp.std(a, axis=0))
    onp.testing.assert_allclose(np.var(t, ddof=1).numpy(), onp.var(a, ddof=1))


def test_ufunc_objects():
    assert np.add.nin == 2 and np.add.nout == 1 and np.add.identity == 0
    assert np.ufunc is onp.ufunc and callable(np.add.reduce) and callable(np.add.at)
    assert np.sin.__name__ == "sin" and np.acos is np.arccos
    x = cr.tensor(rand((2, 3), 0), requires_grad=True)
    onp.testing.assert_allclose(np.add.reduce(x, axis=None).detach().numpy(), x._data.sum())
    check_grads(lambda x: np.multiply.outer(x, x), rand((3,), 1))


# --- pass-through: constants, types, values -------------------------------------------------------
def test_constants_and_types_pass_through():
    assert np.pi == onp.pi and np.e == onp.e and np.inf == onp.inf and onp.isnan(np.nan)
    assert np.newaxis is None
    for name in ("float64", "float32", "int64", "bool_", "complex128", "dtype", "ndarray",
                 "finfo", "iinfo", "generic", "errstate"):
        assert getattr(np, name) is getattr(onp, name)
    assert np.random is onp.random
    assert np.finfo(np.float64).eps == onp.finfo(onp.float64).eps


def test_value_only_functions_take_tensors():
    """Results without a derivative: NumPy on the values; array results of a tensor argument
    are constant tensors, Python numbers, shapes and dtypes stay as NumPy gives them."""
    x = cr.tensor([0.5, 2.5, 1.5], requires_grad=True)
    assert int(np.argmax(x)) == 1
    onp.testing.assert_array_equal(onp.asarray(np.argsort(x)), [0, 2, 1])
    assert np.shape(x) == (3,) and np.ndim(x) == 1 and np.size(x) == 3
    close = np.isclose(x, onp.array([0.5, 2.5, 1.5]))
    assert isinstance(close, cr.Tensor) and not close.requires_grad and bool(close.all())
    assert type(np.isclose(onp.ones(2), 1.0)) is onp.ndarray
    assert np.allclose(x, x) is True
    assert np.result_type(x, onp.float32) == onp.float64
    assert int(np.count_nonzero(x > 1.0)) == 2
    onp.testing.assert_array_equal(onp.asarray(np.flatnonzero(x > 1.0)), [1, 2])


def test_comparisons_and_rounding_take_tensors():
    x = cr.tensor([0.5, 2.5, -1.5], requires_grad=True)
    onp.testing.assert_array_equal(onp.asarray(np.less(x, 1.0)), [True, False, True])
    onp.testing.assert_array_equal(onp.asarray(np.isfinite(x)), [True, True, True])
    onp.testing.assert_array_equal(onp.asarray(np.floor(x).detach()), [0.0, 2.0, -2.0])
    onp.testing.assert_array_equal(onp.asarray(np.round(x).detach()),
                                   onp.round([0.5, 2.5, -1.5]))
    g = cr.grad(lambda x: np.sum(np.floor(x) + x))(onp.array([0.5, 2.5]))
    onp.testing.assert_array_equal(g, [1.0, 1.0])  # floor contributes 0


def test_creation_functions_return_arrays():
    assert type(np.zeros(3)) is onp.ndarray and np.zeros(3).dtype == onp.float64
    assert type(np.arange(4)) is onp.ndarray and np.arange(4).dtype == onp.arange(4).dtype
    onp.testing.assert_array_equal(np.linspace(0, 1, 5), onp.linspace(0, 1, 5))
    onp.testing.assert_array_equal(np.eye(2), onp.eye(2))
    assert type(np.ones((2, 2))) is onp.ndarray and type(np.identity(2)) is onp.ndarray


def test_constant_functions_refuse_gradients():
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="linspace: an argument requires grad"):
        np.linspace(x, 2.0, 5)
    r = np.linspace(cr.tensor(0.0), 1.0, 3)  # a tensor that needs no gradient: a constant
    assert isinstance(r, cr.Tensor) and not r.requires_grad
    onp.testing.assert_array_equal(onp.asarray(r), [0.0, 0.5, 1.0])


# --- what chainrule does not provide --------------------------------------------------------------
def test_unsupported_name_raises_clear_error():
    with pytest.raises(NotDifferentiableError) as info:
        np.polyfit  # noqa: B018
    msg = str(info.value)
    assert "numpy.polyfit is not differentiable by chainrule" in msg
    assert "t.detach().numpy()" in msg
    assert isinstance(info.value, AttributeError) and isinstance(info.value, NotImplementedError)
    assert not hasattr(np, "polyfit")
    assert getattr(np, "vectorize", None) is None


def test_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_function'") as info:
        np.no_such_function  # noqa: B018
    assert not isinstance(info.value, NotDifferentiableError)


def _numpy_public(module):
    return sorted(n for n in getattr(module, "__all__", dir(module)) if not n.startswith("_"))


@pytest.mark.parametrize("module,ours", [(onp, np), (onp.linalg, np.linalg), (onp.fft, np.fft)],
                         ids=["numpy", "numpy.linalg", "numpy.fft"])
def test_every_numpy_name_works_or_raises_clearly(module, ours):
    """Each public name of NumPy (numpy.__all__, numpy.linalg, numpy.fft) is either provided
    or raises the clear error naming it."""
    prefix = module.__name__
    for name in _numpy_public(module):
        try:
            getattr(ours, name)
        except NotDifferentiableError as e:
            assert f"{prefix}.{name} is not differentiable by chainrule" in str(e), name


def test_dir_lists_the_namespace():
    assert "sin" in dir(np) and "polyfit" not in dir(np)
    assert set(np.__all__) <= set(dir(np))


# --- statistics, polynomials, finite differences, in-place writers --------------------------------
def _in_place(f):
    def run(x, *rest):
        z = x * 1.0  # in-place writers: not on a leaf that requires grad
        f(z, *rest)
        return z

    return run


@pytest.mark.parametrize("name,args", [
    ("put", (rand((5,), 0), onp.array([0, 3, 0]), rand((3,), 1))),
    ("place", (rand((4,), 0), onp.array([True, False, True, True]), rand((2,), 1))),
    ("putmask", (rand((4,), 0), onp.array([True, False, True, False]), rand((4,), 1))),
    ("copyto", (rand((2, 3), 0), rand((3,), 1))),
    ("fill_diagonal", (rand((3, 3), 0), rand((2,), 1))),
    ("put_along_axis", (rand((2, 3), 0), onp.array([[2], [0]]), rand((2, 1), 1), 1)),
])
def test_in_place_writers(name, args):
    """On a tensor the writers record the new value (gradients to the old values and to the
    written ones); the values are NumPy's."""
    ours, ref = _in_place(getattr(np, name)), _in_place(getattr(onp, name))
    expected = ref(*[a.copy() if isinstance(a, onp.ndarray) else a for a in args])
    got = ours(*[cr.tensor(a) if isinstance(a, onp.ndarray) and a.dtype.kind == "f" else a
                 for a in args])
    onp.testing.assert_allclose(got.detach().numpy(), expected)
    check_grads(ours, *args)


def test_in_place_writer_on_an_ndarray_refuses_a_gradient():
    a = onp.zeros(3)
    np.put(a, [1], cr.tensor([2.0]))
    onp.testing.assert_array_equal(a, [0.0, 2.0, 0.0])
    with pytest.raises(TypeError, match="would lose the gradient"):
        np.copyto(a, cr.tensor([1.0, 2.0, 3.0], requires_grad=True))


@pytest.mark.parametrize("fn,args", [
    (lambda m: np.cov(m), (rand((2, 5), 0),)),
    (lambda m: np.corrcoef(m), (rand((3, 5), 1),)),
    (lambda f: np.gradient(f, 0.5, edge_order=2), (rand((6,), 2),)),
    (lambda f: np.gradient(f)[1], (rand((3, 4), 3),)),
    (lambda p, x: np.polyval(p, x), (rand((4,), 4), rand((3,), 5))),
    (lambda p: np.polyint(np.polyder(p, 2)), (rand((5,), 6),)),
    (lambda w: np.bincount(onp.array([0, 3, 0, 1]), weights=w), (rand((4,), 7),)),
    (lambda x: np.partition(x, 2), (rand((6,), 8),)),
    (lambda x: np.cumulative_sum(x, include_initial=True), (rand((4,), 9),)),
    (lambda x: np.vander(x, 3), (rand((3,), 10),)),
    (lambda x: np.unique_counts(x).values, (rand((4,), 15),)),
    (lambda a, b: np.vecdot(a, b), (rand((2, 3), 11), rand((3,), 12))),
    (lambda a, b: np.matvec(a, b), (rand((2, 3), 13), rand((3,), 14))),
])
def test_composed_functions(fn, args):
    expected = fn(*args)
    got = fn(*[cr.tensor(a) for a in args])
    got, expected = (got, expected) if not isinstance(expected, tuple) else (got[0], expected[0])
    onp.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12)
    check_grads(fn, *args)


# --- one home per name ----------------------------------------------------------------------------
def _family(name: str, **functions):
    mod = types.ModuleType(name)
    for k, f in functions.items():
        setattr(mod, k, f)
    mod.__all__ = list(functions)
    return mod


def test_assembly_refuses_a_name_defined_twice():
    """A second definition of a name would silently shadow the first: the assembly raises,
    naming both homes."""
    assert np._assemble()[0].keys() == set(np._KINDS)  # the real families are disjoint
    twice = _family("chainrule.numpy._twice", sum=lambda a: a)
    with pytest.raises(RuntimeError, match=r"'sum' is defined twice, by chainrule\.numpy\."
                                           r"_reductions and by chainrule\.numpy\._twice"):
        np._assemble(families=np._FAMILIES + (twice,))
    twice = _family("chainrule.numpy._twice", nanargmax=lambda a: a)  # a pass-through name
    with pytest.raises(RuntimeError, match=r"'nanargmax' is defined twice, by chainrule\.numpy\."
                                           r"_passthrough"):
        np._assemble(families=np._FAMILIES + (twice,))
    twice = _family("chainrule.primitives._twice", arcsin=lambda a: a)  # a primitive family's
    with pytest.raises(RuntimeError, match=r"'arcsin' is defined twice"):
        np._assemble(primitive_families=np._PRIMITIVE_FAMILIES + (twice,))


def test_submodules_refuse_a_pass_through_entry_they_define(monkeypatch):
    from chainrule.numpy import _passthrough

    monkeypatch.setattr(_passthrough, "VALUE_ONLY", _passthrough.VALUE_ONLY | {"linalg.norm"})
    fake = _family("chainrule.numpy.fake_linalg", norm=lambda x: x)
    with pytest.raises(RuntimeError, match=r"'norm' is defined by chainrule\.numpy\.linalg"):
        np._fill_submodule(fake, onp.linalg, "numpy.linalg", {})


def test_submodules_refuse_numpy_names_they_lack():
    """np.linalg and np.fft get the same refusing lookup for NumPy names they do not define."""
    with pytest.raises(NotDifferentiableError, match="numpy.linalg.cond is not differentiable"):
        np.linalg.__getattr__("cond")
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        np.fft.no_such_function  # noqa: B018
    assert np.linalg.LinAlgError is onp.linalg.LinAlgError


def test_readme_logistic_loss_example():
    """The snippet in README.md: a NumPy loss made differentiable by its import."""
    import numpy

    import chainrule.numpy as cnp
    from chainrule import grad

    def loss(w, X, y):
        return cnp.mean(cnp.logaddexp(0, -y * (X @ w))) + 0.1 * cnp.linalg.norm(w) ** 2

    X, y = numpy.eye(3) + 0.1, numpy.array([1.0, -1.0, 1.0])
    w = numpy.array([0.3, -0.2, 0.5])
    g = grad(loss)(w, X, y)
    assert isinstance(g, numpy.ndarray)
    eps = 1e-6
    num = [(loss(w + eps * e, X, y) - loss(w - eps * e, X, y)) / (2 * eps) for e in numpy.eye(3)]
    numpy.testing.assert_allclose(g, num, rtol=1e-6)
