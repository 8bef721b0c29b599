"""jacfwd, jacrev and jacobian: against torch.func, chunk sizes, nested containers and argnums,
the automatic choice of mode, and the number of passes over the function."""

import numpy as np
import pytest
import torch
import torch.func
from tests.helpers import rand, to_numpy

import chainrule as cr
import chainrule.functional as F
from chainrule.functional import jacfwd, jacobian, jacrev

_W = rand((4, 3), seed=50)
_I = np.array([2, 0, 0, 1])

# name: (chainrule function, torch function, input shape)
CASES = {
    "sin": (lambda x: cr.sin(x) * x, lambda x: torch.sin(x) * x, (3,)),
    "sin_matrix": (lambda x: cr.exp(x) / (1.0 + x * x), lambda x: torch.exp(x) / (1.0 + x * x),
                   (2, 3)),
    "matmul": (lambda x: cr.tanh(cr.tensor(_W) @ x), lambda x: torch.tanh(torch.tensor(_W) @ x),
               (3,)),
    "matmul_matrix": (lambda x: x @ x.T, lambda x: x @ x.T, (2, 3)),
    "sum_axis": (lambda x: cr.sum(x * x, axis=1) * cr.sum(x),
                 lambda x: torch.sum(x * x, 1) * x.sum(), (3, 2)),
    "softmax": (lambda x: cr.softmax(x, axis=-1), lambda x: torch.softmax(x, -1), (5,)),
    "softmax_matrix": (lambda x: cr.softmax(x, axis=0), lambda x: torch.softmax(x, 0), (3, 2)),
    "getitem": (lambda x: x[_I] * x[1:3].sum() + x[::2][0], lambda x: x[torch.tensor(_I)]
                * x[1:3].sum() + x[::2][0], (4,)),
    "concatenate": (lambda x: cr.concatenate([x, cr.sin(x), x[:1] ** 3]),
                    lambda x: torch.cat([x, torch.sin(x), x[:1] ** 3]), (3,)),
    "einsum": (lambda x: cr.einsum("ij,kj->ik", x, cr.exp(x)),
               lambda x: torch.einsum("ij,kj->ik", x, torch.exp(x)), (2, 3)),
    "scalar_out": (lambda x: cr.logsumexp(x, axis=0), lambda x: torch.logsumexp(x, 0), (4,)),
    "scalar_in": (lambda x: cr.stack([cr.sin(x), x * x, cr.exp(x)]),
                  lambda x: torch.stack([torch.sin(x), x * x, torch.exp(x)]), ()),
}
NAMES = sorted(CASES)


def _x(name, seed=0):
    return rand(CASES[name][2], seed=seed)


def _torch_jac(name, x, which):
    make = torch.func.jacfwd if which == "fwd" else torch.func.jacrev
    return make(CASES[name][1])(torch.tensor(x)).numpy()


@pytest.mark.parametrize("name", NAMES)
def test_jacfwd_matches_torch(name):
    x = _x(name)
    J = jacfwd(CASES[name][0])(x)
    want = _torch_jac(name, x, "fwd")
    assert isinstance(J, (np.ndarray, np.generic)) and not isinstance(J, cr.Tensor)
    assert np.shape(J) == want.shape
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_jacrev_matches_torch(name):
    x = _x(name)
    J = jacrev(CASES[name][0])(x)
    want = _torch_jac(name, x, "rev")
    assert np.shape(J) == want.shape
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_jacobian_modes_agree(name, mode):
    x = _x(name, seed=1)
    J = jacobian(CASES[name][0], mode=mode)(x)
    np.testing.assert_allclose(J, _torch_jac(name, x, "rev"), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["sin_matrix", "matmul", "softmax", "getitem", "concatenate",
                                  "einsum"])
@pytest.mark.parametrize("make", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_chunk_size_does_not_change_the_result(name, make):
    f = CASES[name][0]
    x = _x(name, seed=2)
    Js = [make(f, chunk_size=c)(x) for c in (1, 3, None)]
    # the same numbers; the tolerance only allows a BLAS kernel chosen by size to round
    # differently
    for J in Js[1:]:
        assert J.shape == Js[0].shape
        np.testing.assert_allclose(J, Js[0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(Js[0], _torch_jac(name, x, "rev"), rtol=1e-12, atol=1e-14)


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="chunk_size"):
        jacfwd(cr.sin, chunk_size=0)(np.ones(3))
    with pytest.raises(ValueError, match="chunk_size"):
        jacrev(cr.sin, chunk_size=-1)(np.ones(3))


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        jacobian(cr.sin, mode="sideways")


# --- types, containers and argnums ----------------------------------------------------------------
def test_tensor_in_tensor_out():
    x = cr.tensor(rand((3,), seed=3))
    for make in (jacfwd, jacrev, jacobian):
        J = make(lambda x: cr.sin(x) * 2.0)(x)
        assert isinstance(J, cr.Tensor)
        np.testing.assert_allclose(to_numpy(J), np.diag(2 * np.cos(x._data)), rtol=1e-15)


def _net(p, x):
    h = cr.tanh(p["w"] @ x + p["b"])
    return {"h": h, "s": (cr.sum(h * h), x * p["b"][0])}


def _tnet(p, x):
    h = torch.tanh(p["w"] @ x + p["b"])
    return {"h": h, "s": ((h * h).sum(), x * p["b"][0])}


def _params(seed=4):
    return {"w": rand((2, 3), seed=seed), "b": rand((2,), seed=seed + 1)}, rand((3,), seed=seed + 2)


def _compare_trees(ours, theirs):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs)
        for k in theirs:
            _compare_trees(ours[k], theirs[k])
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _compare_trees(a, b)
    else:
        want = theirs.numpy()
        assert np.shape(ours) == want.shape, (np.shape(ours), want.shape)
        np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-14)


def _torch_params(p, x):
    return {k: torch.tensor(v) for k, v in p.items()}, torch.tensor(x)


@pytest.mark.parametrize("ours, theirs", [(jacfwd, torch.func.jacfwd),
                                          (jacrev, torch.func.jacrev)], ids=["fwd", "rev"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)])
def test_pytree_inputs_outputs_and_argnums(ours, theirs, argnums):
    p, x = _params()
    J = ours(_net, argnums=argnums)(p, x)
    want = theirs(_tnet, argnums=argnums)(*_torch_params(p, x))
    # the output's structure outside, the input's inside, each leaf out_shape + in_shape
    _compare_trees(J, want)


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_jacobian_pytrees(mode):
    p, x = _params(seed=7)
    J = jacobian(_net, argnums=(0, 1), mode=mode)(p, x)
    _compare_trees(J, torch.func.jacrev(_tnet, argnums=(0, 1))(*_torch_params(p, x)))


@pytest.mark.parametrize("make", [jacfwd, jacrev, jacobian])
def test_has_aux_and_kwargs(make):
    x = rand((3,), seed=8)
    J, aux = make(lambda x, k: (cr.sin(k * x), "aux"), has_aux=True)(x, k=2.0)
    assert aux == "aux"
    np.testing.assert_allclose(J, np.diag(2 * np.cos(2 * x)), rtol=1e-15)


@pytest.mark.parametrize("make", [jacfwd, jacrev])
def test_output_that_does_not_depend_on_the_input(make):
    x, y = rand((3,), seed=9), rand((2,), seed=10)
    Jx, Jy = make(lambda x, y: cr.sin(y), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(Jx, np.zeros((2, 3)))
    np.testing.assert_allclose(Jy, np.diag(np.cos(y)), rtol=1e-15)


@pytest.mark.parametrize("make", [jacfwd, jacrev])
def test_integer_input_raises(make):
    with pytest.raises(TypeError, match="int"):
        make(lambda x: x * 1.0)(np.arange(3))


# --- the automatic choice of mode ---------------------------------------------------------------
_C_WIDE = rand((200, 10), seed=11)


def _wide(x):  # R^10 -> R^2000
    return cr.sin(x * _C_WIDE)


def _tall(x):  # R^2000 -> R^10
    return cr.sum(cr.sin(x) * x, axis=0)


@pytest.fixture
def spy(monkeypatch):
    used = []

    def fake(which):
        def make(f, argnums=0, has_aux=False, chunk_size=None):
            def jac(*args, **kwargs):
                used.append(which)
                return which
            return jac
        return make

    monkeypatch.setattr(F, "jacfwd", fake("forward"))
    monkeypatch.setattr(F, "jacrev", fake("reverse"))
    return used


def test_auto_mode_chooses_forward_for_few_inputs(spy):
    assert jacobian(_wide)(rand((10,), seed=12)) == "forward"
    assert spy == ["forward"]


def test_auto_mode_chooses_reverse_for_few_outputs(spy):
    assert jacobian(_tall)(rand((200, 10), seed=13)) == "reverse"
    assert spy == ["reverse"]


def test_forced_modes(spy):
    assert jacobian(_tall, mode="forward")(rand((200, 10), seed=13)) == "forward"
    assert jacobian(_wide, mode="reverse")(rand((10,), seed=12)) == "reverse"
    assert spy == ["forward", "reverse"]


@pytest.mark.parametrize("f, shape", [(_wide, (10,)), (_tall, (200, 10))], ids=["wide", "tall"])
def test_auto_mode_results(f, shape):
    x = rand(shape, seed=14)
    J = jacobian(f)(x)
    if f is _wide:
        want = np.zeros((200, 10, 10))
        want[:, np.arange(10), np.arange(10)] = np.cos(x * _C_WIDE) * _C_WIDE
    else:
        want = np.zeros((10, 200, 10))
        want[np.arange(10), :, np.arange(10)] = (np.cos(x) * x + np.sin(x)).T
    np.testing.assert_allclose(J, want, rtol=1e-13, atol=1e-15)


# --- passes over the function ------------------------------------------------------------------
class _Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.f(*args, **kwargs)


@pytest.mark.parametrize("make", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_one_pass_for_all_columns(make):
    f = _Counted(lambda x: cr.exp(x) * x)
    x = rand((7,), seed=15)
    J = make(f)(x)
    assert f.calls == 1
    np.testing.assert_allclose(J, np.diag(np.exp(x) * (x + 1)), rtol=1e-14)


def test_chunked_passes():
    x = rand((7,), seed=16)
    f = _Counted(lambda x: cr.exp(x) * x)
    jacfwd(f, chunk_size=3)(x)
    assert f.calls == 3  # ceil(7 / 3) forward passes
    f = _Counted(lambda x: cr.exp(x) * x)
    jacrev(f, chunk_size=3)(x)
    assert f.calls == 1  # one forward pass, three backward passes


@pytest.mark.parametrize("f, shape", [(_wide, (10,)), (_tall, (200, 10))], ids=["wide", "tall"])
def test_jacobian_auto_costs_at_most_one_extra_evaluation(f, shape):
    counted = _Counted(f)
    jacobian(counted)(rand(shape, seed=17))
    assert 1 <= counted.calls <= 2
