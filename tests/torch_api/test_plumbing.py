"""The PyTorch face's plumbing: dtype names and queries, devices, factories' keywords, the
``cuda`` and ``backends`` modules, Tensor conversions, ``load``'s keywords."""

import io
import pickle

import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = ["float16", "float32", "float64", "half", "float", "double", "int8", "int16", "int32",
          "int64", "short", "int", "long", "uint8", "complex64", "complex128", "cfloat",
          "cdouble"]


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_names_match_torch(name):
    """Every name stands for the dtype torch's does: itemsize, kind and torch's own name."""
    ours, theirs = getattr(cr, name), getattr(torch, name)
    assert isinstance(ours, cr.dtype)
    assert ours.itemsize == theirs.itemsize
    assert (ours.kind == "f") == theirs.is_floating_point
    assert (ours.kind == "c") == theirs.is_complex
    assert str(theirs) == f"torch.{ours.name}"
    assert cr.zeros(2, dtype=ours).dtype is ours  # `t.dtype is chainrule.X` holds


def test_bool_dtype_and_builtins_untouched():
    assert cr.bool is cr.bool_ and cr.bool == np.bool_
    assert cr.ones(2).bool().dtype == cr.bool
    assert cr.float is cr.float32 and float(2) == 2.0 and int("3") == 3  # builtins unchanged


@pytest.mark.parametrize("name", ["bfloat16", "chalf"])
def test_unsupported_dtypes_say_why(name):
    with pytest.raises(AttributeError, match="NumPy has no"):
        getattr(cr, name)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        cr.no_such_name  # noqa: B018


def test_dtype_isinstance_and_call():
    assert isinstance(cr.float64, cr.dtype) and isinstance(cr.ones(1).dtype, cr.dtype)
    assert not isinstance("float32", cr.dtype) and not isinstance(np.float32, cr.dtype)
    assert cr.dtype("float32") is cr.float32


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    a, b = cr.finfo(getattr(cr, name)), torch.finfo(getattr(torch, name))
    for attr in ["eps", "tiny", "smallest_normal", "max", "min", "resolution", "bits"]:
        rel = 1e-3 if attr == "resolution" else 1e-6  # NumPy rounds 10**-k to the dtype
        assert float(getattr(a, attr)) == pytest.approx(float(getattr(b, attr)), rel=rel), attr
    assert cr.finfo().eps == np.finfo(cr.get_default_dtype()).eps
    assert cr.finfo(cr.zeros(1, dtype=cr.float32)).bits == 32


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "int64", "uint8"])
def test_iinfo_matches_torch(name):
    a, b = cr.iinfo(getattr(cr, name)), torch.iinfo(getattr(torch, name))
    assert (a.min, a.max, a.bits) == (b.min, b.max, b.bits)


def test_info_refuses_the_wrong_kind():
    with pytest.raises(TypeError, match="use iinfo"):
        cr.finfo(cr.int32)
    with pytest.raises(TypeError, match="use finfo"):
        cr.iinfo(cr.float32)


def test_is_floating_point_and_is_complex():
    for t, fl, cx in [(cr.zeros(2), True, False), (cr.arange(3), False, False),
                      (cr.zeros(2, dtype=cr.cfloat), False, True)]:
        assert cr.is_floating_point(t) is fl and t.is_floating_point() is fl
        assert cr.is_complex(t) is cx and t.is_complex() is cx


def test_device_prints_and_compares_as_torch():
    for spec in ["cpu", "cpu:0", ("cpu", 1), "cuda", "cuda:1", "mps"]:
        args = spec if isinstance(spec, tuple) else (spec,)
        ours, theirs = cr.device(*args), torch.device(*args)
        assert (repr(ours), str(ours), ours.type, ours.index) == (
            repr(theirs), str(theirs), theirs.type, theirs.index)
    t = cr.ones(2)
    assert t.device == cr.device("cpu") and repr(t.device) == "device(type='cpu')"
    assert t.device.type == "cpu" and not t.is_cuda
    assert pickle.loads(pickle.dumps(cr.device("cpu:0"))).index == 0


@pytest.mark.parametrize("bad, err", [("foo", RuntimeError), ("cpu:x", ValueError),
                                      (3.5, TypeError)])
def test_device_refuses_bad_specs(bad, err):
    with pytest.raises(err, match="device"):
        cr.device(bad)


FACTORIES = {
    "zeros": lambda **k: cr.zeros(2, 3, **k), "ones": lambda **k: cr.ones((2, 3), **k),
    "empty": lambda **k: cr.empty(2, **k), "full": lambda **k: cr.full((2,), 1.5, **k),
    "arange": lambda **k: cr.arange(4, **k), "linspace": lambda **k: cr.linspace(0, 1, 5, **k),
    "eye": lambda **k: cr.eye(3, **k), "rand": lambda **k: cr.rand(2, **k),
    "randn": lambda **k: cr.randn(2, **k), "randint": lambda **k: cr.randint(0, 5, (3,), **k),
    "randperm": lambda **k: cr.randperm(4, **k), "tensor": lambda **k: cr.tensor([1.0], **k),
    "as_tensor": lambda **k: cr.as_tensor([1.0], **k),
    "zeros_like": lambda **k: cr.zeros_like(cr.ones(2), **k),
    "ones_like": lambda **k: cr.ones_like(cr.ones(2), **k),
    "empty_like": lambda **k: cr.empty_like(cr.ones(2), **k),
    "full_like": lambda **k: cr.full_like(cr.ones(2), 3.0, **k),
    "rand_like": lambda **k: cr.rand_like(cr.ones(2), **k),
    "randn_like": lambda **k: cr.randn_like(cr.ones(2), **k),
    "randint_like": lambda **k: cr.randint_like(cr.ones(2), 5, **k),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_device(name):
    make = FACTORIES[name]
    for where in ["cpu", "cpu:0", cr.device("cpu"), None]:
        assert make(device=where).device == "cpu"
    for where in ["cuda", "cuda:0", cr.device("mps"), 0]:
        with pytest.raises(RuntimeError, match="CPU only"):
            make(device=where)


def test_noop_keywords_accepted():
    assert cr.zeros(2, pin_memory=True).shape == (2,)
    assert cr.empty(2, memory_format=None).shape == (2,)
    assert cr.ones_like(cr.ones(2), memory_format=None).shape == (2,)
    x = cr.ones(2, requires_grad=True)
    assert x.to("cpu", non_blocking=True) is x and x.cpu() is x
    assert x.to(cr.device("cpu"), cr.float32).dtype == cr.float32


def test_to_and_conversions():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x.to(cr.float32)
    assert y.dtype == cr.float32 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == cr.float64 and np.all(x.grad.numpy() == 1)
    assert x.to(cr.zeros(1, dtype=cr.float16)).dtype == cr.float16
    for meth, dt in [("float", "float32"), ("double", "float64"), ("half", "float16"),
                     ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"),
                     ("byte", "uint8"), ("bool", "bool"), ("cfloat", "complex64"),
                     ("cdouble", "complex128")]:
        assert getattr(x.detach(), meth)().dtype == np.dtype(dt)
        assert getattr(torch.zeros(1), meth)().dtype == getattr(torch, np.dtype(dt).name
                                                               if dt != "bool" else "bool")
    assert x.type() == "chainrule.DoubleTensor" and x.float().type() == "chainrule.FloatTensor"
    assert x.type(cr.float16).dtype == cr.float16


@pytest.mark.parametrize("call", [lambda t: t.to("cuda"), lambda t: t.to("cuda:1"),
                                  lambda t: t.to(0), lambda t: t.cuda(),
                                  lambda t: t.to(device="mps")])
def test_other_devices_raise_naming_them(call):
    with pytest.raises(RuntimeError, match="not available|CUDA device"):
        call(cr.ones(2))


def test_default_device():
    assert cr.get_default_device() == cr.device("cpu")
    cr.set_default_device("cpu")
    cr.set_default_device(None)
    with pytest.raises(RuntimeError, match="set_default_device: device 'cuda'"):
        cr.set_default_device("cuda")


def test_cuda_module():
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0
    assert cr.cuda.manual_seed(0) is None and cr.cuda.manual_seed_all(0) is None
    cr.cuda.empty_cache()
    for fn in [cr.cuda.synchronize, cr.cuda.current_device, cr.cuda.get_device_name]:
        with pytest.raises(RuntimeError, match="no CUDA device"):
            fn()
    where = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    assert cr.zeros(1, device=where).device == where


def test_backends_flags():
    cr.backends.cudnn.benchmark = True
    cr.backends.cudnn.deterministic = True
    assert cr.backends.mps.is_available() is False and cr.backends.cudnn.is_available() is False
    cr.backends.cuda.matmul.allow_tf32 = False
    cr.use_deterministic_algorithms(True)
    assert cr.are_deterministic_algorithms_enabled()
    cr.use_deterministic_algorithms(False)


def test_generator_device():
    assert cr.Generator(device="cpu").device == "cpu"
    with pytest.raises(RuntimeError, match="CPU only"):
        cr.Generator(device="cuda")
    g = cr.Generator().manual_seed(3)
    a = cr.randint(0, 100, (5,), generator=g, dtype=cr.float32)
    assert a.dtype == cr.float32
    assert cr.randperm(5, generator=cr.Generator().manual_seed(1)).tolist() == \
        cr.randperm(5, generator=cr.Generator().manual_seed(1)).tolist()


def _saved():
    buf = io.BytesIO()
    cr.save({"w": cr.ones(2, 3), "n": 3}, buf)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("where", [None, "cpu", cr.device("cpu"), {"cuda:0": "cpu"},
                                   {"cuda:1": cr.device("cpu")}])
def test_load_map_location(where):
    out = cr.load(_saved(), map_location=where, weights_only=True, mmap=None)
    assert out["n"] == 3 and out["w"].shape == (2, 3)


def test_load_map_location_callable():
    seen = []
    out = cr.load(_saved(), map_location=lambda t, loc: seen.append(loc))
    assert seen == ["cpu"] and out["w"].shape == (2, 3)
    out = cr.load(_saved(), map_location=lambda t, loc: t.double() * 2)
    assert float(out["w"].sum()) == 12
    with pytest.raises(RuntimeError, match="not available"):
        cr.load(_saved(), map_location=lambda t, loc: t.cuda())


@pytest.mark.parametrize("where", ["cuda", "cuda:0", cr.device("mps"), {"cpu": "cuda:0"}])
def test_load_other_devices_raise(where):
    with pytest.raises(RuntimeError, match="CPU only"):
        cr.load(_saved(), map_location=where)
