"""Creating tensors: from data, filled, ranges, random (seedable, with Generator objects)."""

import numpy as np
import pytest
import torch

import chainrule as cr


# --- from data ----------------------------------------------------------------------------------
def test_tensor_copies_data():
    a = np.array([1.0, 2.0])
    x = cr.tensor(a)
    a[0] = 10.0
    assert x.numpy()[0] == 1.0
    assert not np.shares_memory(x.numpy(), a)


def test_tensor_from_nested_lists_scalars_and_tensors():
    assert cr.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert cr.tensor(3.0).shape == ()
    y = cr.tensor([cr.tensor(1.0), cr.tensor(2.0)])
    np.testing.assert_array_equal(y.numpy(), [1.0, 2.0])
    src = cr.tensor([1.0, 2.0], requires_grad=True)
    copy = cr.tensor(src)
    assert not copy.requires_grad and copy.is_leaf  # torch: a new leaf (with a warning)
    assert not np.shares_memory(copy.numpy(), src.detach().numpy())


def test_tensor_dtype_and_requires_grad():
    x = cr.tensor([1, 2], dtype=np.float32, requires_grad=True)
    assert x.dtype == np.float32 and x.requires_grad and x.is_leaf
    assert cr.tensor([1, 2], dtype=cr.float16).dtype == np.float16


def test_tensor_ragged_data_error():
    with pytest.raises(ValueError, match="rectangular"):
        cr.tensor([[1, 2], [3]])


def test_as_tensor_shares_memory_when_possible():
    a = np.arange(3.0)
    x = cr.as_tensor(a)
    a[0] = 7.0
    assert x.numpy()[0] == 7.0
    y = cr.as_tensor(a, dtype=np.float32)  # a conversion copies
    assert y.dtype == np.float32 and not np.shares_memory(y.numpy(), a)
    t = cr.ones(2)
    assert cr.as_tensor(t) is t
    assert cr.as_tensor([1, 2]).dtype == np.int64


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3)
    x = cr.from_numpy(a)
    a[1] = 5.0
    assert x.numpy()[1] == 5.0
    x.numpy()[2] = 6.0
    assert a[2] == 6.0
    with cr.no_grad():
        x += 1
    np.testing.assert_array_equal(a, [1.0, 6.0, 7.0])
    assert cr.from_numpy(np.zeros(2, dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="ndarray"):
        cr.from_numpy([1.0, 2.0])


def test_Tensor_constructor_wraps_without_copy():
    a = np.ones(2)
    x = cr.Tensor(a)
    assert np.shares_memory(x.numpy(), a)
    assert cr.Tensor([1.0, 2.0], requires_grad=True).requires_grad


# --- filled ------------------------------------------------------------------------------------
@pytest.mark.parametrize("factory", [cr.zeros, cr.ones, cr.empty, cr.rand, cr.randn])
def test_factories_accept_varargs_or_tuple(factory):
    assert factory(2, 3).shape == factory((2, 3)).shape == factory([2, 3]).shape == (2, 3)
    assert factory(4).shape == (4,)
    assert factory(()).shape == ()
    assert factory(np.int64(2), 3).shape == (2, 3)
    assert factory(torch.Size([2, 3])).shape == (2, 3)
    assert factory(0, 3).shape == (0, 3)


def test_zeros_varargs_equal_tuple():
    assert bool((cr.zeros(2, 3) == cr.zeros((2, 3))).all())


@pytest.mark.parametrize("bad", [2.5, "3", None])
def test_factory_bad_size_errors(bad):
    with pytest.raises(TypeError, match="ints"):
        cr.zeros(2, bad)


def test_factory_negative_size_errors():
    with pytest.raises(ValueError, match="negative"):
        cr.ones(2, -1)


def test_filled_values_and_dtypes_match_torch_values():
    np.testing.assert_array_equal(cr.zeros(2, 3).numpy(), torch.zeros(2, 3).numpy())
    np.testing.assert_array_equal(cr.ones(2, 3).numpy(), torch.ones(2, 3).numpy())
    assert cr.zeros(2).dtype == np.float64  # the NumPy default (torch: float32)
    assert cr.ones(2, dtype=np.float32).dtype == np.float32
    assert cr.empty(2, 3, dtype=np.int32).dtype == np.int32
    f = cr.full((2, 3), 7.5)
    np.testing.assert_array_equal(f.numpy(), torch.full((2, 3), 7.5).numpy())
    assert f.dtype == np.float64
    assert cr.full(3, 1).dtype == np.int64  # the fill value's type, as in torch and NumPy
    assert cr.full([2], 1, dtype=np.float32).dtype == np.float32


def test_like_factories_follow_the_template():
    t = cr.ones(2, 3, dtype=np.float32)
    for f in (cr.zeros_like, cr.ones_like, cr.empty_like, cr.rand_like, cr.randn_like):
        y = f(t)
        assert y.shape == (2, 3) and y.dtype == np.float32 and not y.requires_grad
    np.testing.assert_array_equal(cr.zeros_like(t).numpy(), 0)
    np.testing.assert_array_equal(cr.ones_like(t).numpy(), 1)
    np.testing.assert_array_equal(cr.full_like(t, 4.0).numpy(), 4)
    assert cr.zeros_like(t, dtype=np.float64).dtype == np.float64
    assert cr.ones_like(np.ones(2, dtype=np.int32)).dtype == np.int32
    assert cr.zeros_like(t, requires_grad=True).requires_grad


def test_factories_with_requires_grad_make_leaves():
    for x in (cr.zeros(2, requires_grad=True), cr.ones(2, requires_grad=True),
              cr.full((2,), 1.0, requires_grad=True), cr.arange(3.0, requires_grad=True),
              cr.linspace(0, 1, 3, requires_grad=True), cr.eye(2, requires_grad=True),
              cr.rand(2, requires_grad=True), cr.randn(2, requires_grad=True)):
        assert x.requires_grad and x.is_leaf and x.grad_fn is None
    with pytest.raises(RuntimeError, match="floating point"):
        cr.arange(3, requires_grad=True)


# --- ranges --------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(5,), (1, 5), (0, 1, 0.25), (5.0,), (-3, 3, 2), (10, 0, -3)])
def test_arange_matches_torch(args):
    mine, ref = cr.arange(*args), torch.arange(*args)
    np.testing.assert_allclose(mine.numpy(), ref.numpy())
    assert mine.dtype.kind == {torch.int64: "i", torch.float32: "f"}[ref.dtype]


def test_arange_dtype():
    assert cr.arange(5).dtype == np.int64
    assert cr.arange(5.0).dtype == np.float64
    assert cr.arange(5, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 2, 9), (3, 3, 1), (0, 1, 0)])
def test_linspace_matches_torch(args):
    mine, ref = cr.linspace(*args), torch.linspace(*args, dtype=torch.float64)
    np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=1e-15)
    assert cr.linspace(0, 1, steps=3).shape == (3,)
    assert cr.linspace(0, 1, num=4).shape == (4,)  # NumPy's keyword


def test_eye_matches_torch():
    np.testing.assert_array_equal(cr.eye(3).numpy(), torch.eye(3).numpy())
    np.testing.assert_array_equal(cr.eye(2, 4).numpy(), torch.eye(2, 4).numpy())
    assert cr.eye(2).dtype == np.float64 and cr.eye(2, dtype=np.int32).dtype == np.int32


# --- random ---------------------------------------------------------------------------------------
def test_manual_seed_makes_draws_reproducible():
    cr.manual_seed(123)
    a = (cr.rand(3, 2), cr.randn(4), cr.randint(0, 10, (5,)), cr.randperm(6))
    cr.manual_seed(123)
    b = (cr.rand(3, 2), cr.randn(4), cr.randint(0, 10, (5,)), cr.randperm(6))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    assert cr.initial_seed() == 123
    c = cr.rand(3, 2)
    assert not np.array_equal(a[0].numpy(), c.numpy())


def test_manual_seed_returns_generator():
    assert isinstance(cr.manual_seed(0), cr.Generator)


def test_generator_objects_are_independent_streams():
    g1, g2 = cr.Generator().manual_seed(7), cr.Generator(7)
    assert g1.initial_seed() == g2.initial_seed() == 7
    cr.manual_seed(0)
    x1 = cr.randn(5, generator=g1)
    cr.rand(100)  # the default generator does not disturb g2
    x2 = cr.randn(5, generator=g2)
    np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    cr.manual_seed(0)
    d1 = cr.rand(3)
    cr.manual_seed(0)
    cr.rand(3, generator=g1)  # nor does g1 disturb the default generator
    np.testing.assert_array_equal(cr.rand(3).numpy(), d1.numpy())


def test_generator_state_roundtrip():
    g = cr.Generator(3)
    state = g.get_state()
    a = cr.randn(4, generator=g)
    g.set_state(state)
    b = cr.randn(4, generator=g)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_generator_accepts_cpu_device_like_torch():
    g = cr.Generator("cpu")
    assert cr.rand(2, generator=g).shape == (2,)
    with pytest.raises(RuntimeError, match="CPU"):
        cr.Generator("cuda")


def test_random_distributions():
    g = cr.Generator(0)
    u = cr.rand(20000, generator=g).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    n = cr.randn(20000, generator=g).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    assert cr.randn(3, dtype=np.float32, generator=g).dtype == np.float32


def test_randint_forms():
    g = cr.Generator(0)
    r = cr.randint(3, 7, (1000,), generator=g).numpy()
    assert r.min() == 3 and r.max() == 6 and r.dtype == np.int64
    r = cr.randint(5, (2, 3), generator=g)  # torch's randint(high, size)
    assert r.shape == (2, 3) and r.numpy().max() < 5
    assert cr.randint(0, 4, size=(4,), generator=g).shape == (4,)
    assert cr.randint(0, 4, 3, generator=g).shape == (3,)


def test_randperm_is_a_permutation():
    p = cr.randperm(50, generator=cr.Generator(1)).numpy()
    np.testing.assert_array_equal(np.sort(p), np.arange(50))
    assert p.dtype == np.int64


@pytest.mark.parametrize("factory", [cr.rand, cr.randn, cr.rand_like, cr.randn_like])
def test_random_floats_reject_integer_dtypes(factory):
    arg = cr.ones(2, dtype=np.int64) if factory in (cr.rand_like, cr.randn_like) else 2
    kwargs = {} if factory in (cr.rand_like, cr.randn_like) else {"dtype": np.int64}
    with pytest.raises(TypeError, match="float dtype"):
        factory(arg, **kwargs)
