"""chainrule.save / chainrule.load: exact round trips of nested containers, model and
optimizer state dicts; clear SerializationErrors, and no code run, for damaged, foreign and
malicious files."""

import io
import json
import pathlib
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim


def round_trip(obj):
    buf = io.BytesIO()
    cr.save(obj, buf)
    buf.seek(0)
    return cr.load(buf)


def assert_same(a, b, where="obj"):
    """Equal values of the same types, dtypes and shapes, all the way down."""
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, (cr.Tensor, np.ndarray, np.generic)):
        x, y = (np.asarray(v.detach() if isinstance(v, cr.Tensor) else v) for v in (a, b))
        assert x.dtype == y.dtype and x.shape == y.shape, where
        np.testing.assert_array_equal(x, y, err_msg=where)
        if isinstance(a, cr.Tensor):
            assert a.requires_grad == b.requires_grad, where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert type(k) is type(next(kb for kb in b if kb == k)), f"{where} key {k!r}"
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def test_nested_containers_round_trip_exactly():
    rng = np.random.default_rng(0)
    obj = {
        "f32": cr.tensor(rng.standard_normal((2, 3)).astype(np.float32)),
        "f16": cr.tensor(np.array([1.5, -0.0, np.inf], dtype=np.float16)),
        "f64_0d": cr.tensor(np.float64(np.pi)),
        "grad": cr.tensor(np.ones(3), requires_grad=True),
        "int": cr.tensor(np.arange(6, dtype=np.int32).reshape(2, 3)),
        "bool": cr.tensor(np.array([True, False])),
        "complex": cr.tensor(np.array([1 + 2j, -3j], dtype=np.complex64)),
        "empty": cr.tensor(np.zeros((0, 4))),
        "nan": np.array([np.nan, 1.0]),
        "fortran": np.asfortranarray(rng.standard_normal((3, 4))),
        "view": rng.standard_normal((4, 6))[::2, 1::3],
        "bigendian": np.arange(3, dtype=">i8"),
        "uint8": np.arange(5, dtype=np.uint8),
        "strings": np.array(["ab", "cde"]),
        "np_scalars": [np.float32(0.1), np.int64(-7), np.bool_(True), np.float64(1e-300)],
        "python": (0, -1, 2**80, 0.1, -0.0, float("inf"), float("nan"), 1e-310, 2 - 3.5j,
                   True, False, None, "", "ünïcödé \"quoted\"\n"),
        7: "an int key",
        -1.5: "a float key",
        None: [],
        True: (),
        ("a", 1): {},
        "ordered": OrderedDict([("b", 1), ("a", [1, [2, (3,)]])]),
    }
    assert_same(obj, round_trip(obj))


def test_parameters_and_shared_objects():
    p = nn.Parameter(np.ones((2, 2), dtype=np.float32))
    t = cr.tensor(np.arange(3.0))
    out = round_trip({"p": p, "frozen": nn.Parameter(np.ones(2), requires_grad=False),
                      "a": t, "b": t})
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], nn.Parameter) and not out["frozen"].requires_grad
    assert out["a"] is out["b"]
    assert out["p"].is_leaf and out["p"].grad is None


def test_paths_and_files(tmp_path):
    obj = {"w": cr.tensor(np.arange(4.0))}
    for target in (str(tmp_path / "a.crz"), tmp_path / "b.crz"):
        cr.save(obj, target)
        assert_same(obj, cr.load(target))
    with open(tmp_path / "c.crz", "wb") as f:
        cr.save(obj, f)
    with open(tmp_path / "c.crz", "rb") as f:
        assert_same(obj, cr.load(f))
    assert zipfile.is_zipfile(tmp_path / "c.crz")


def make_model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.LayerNorm(5), nn.Linear(5, 2))


def test_module_state_dict(tmp_path):
    model = make_model().double()
    sd = model.state_dict()
    cr.save(sd, tmp_path / "model.crz")
    loaded = cr.load(tmp_path / "model.crz")
    assert isinstance(loaded, OrderedDict)
    assert_same(sd, loaded)
    cr.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.LayerNorm(5), nn.Linear(5, 2)).double()
    other.load_state_dict(loaded)
    x = cr.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


@pytest.mark.parametrize("make_opt, steps", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 3),
    (lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True), 3),
    (lambda ps: optim.Adam([{"params": ps[:2], "lr": 0.1}, {"params": ps[2:]}], lr=0.01), 2),
    (lambda ps: optim.LBFGS(ps, max_iter=4, history_size=3, line_search_fn="strong_wolfe"),
     2),
])
def test_optimizer_state_dict_resumes_identically(tmp_path, make_opt, steps):
    x, y = cr.randn(8, 3), cr.randn(8, 2)

    def train(model, opt, n):
        def closure():
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss
        for _ in range(n):
            opt.step(closure)

    model = make_model()
    opt = make_opt(list(model.parameters()))
    train(model, opt, steps)
    sd = opt.state_dict()
    cr.save({"model": model.state_dict(), "optimizer": sd}, tmp_path / "ckpt.crz")
    ckpt = cr.load(tmp_path / "ckpt.crz")
    assert_same(sd, ckpt["optimizer"])
    assert all(type(k) is int for k in ckpt["optimizer"]["state"])

    resumed = make_model()
    resumed.load_state_dict(ckpt["model"])
    resumed_opt = make_opt(list(resumed.parameters()))
    resumed_opt.load_state_dict(ckpt["optimizer"])
    train(model, opt, 2)
    train(resumed, resumed_opt, 2)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("obj, match", [
    (nn.Linear(2, 2), "Linear, which cannot be saved"),
    ({"s": {1, 2}}, r"obj\['s'\] is a builtins.set"),
    ([np.array([object()])], r"obj\[0\] is an array of dtype object"),
    ({frozenset(): 1}, "key of type frozenset"),
])
def test_save_refuses_what_it_cannot_store(obj, match):
    with pytest.raises(TypeError, match=match):
        cr.save(obj, io.BytesIO())


def test_save_refuses_a_cycle():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="contains itself"):
        cr.save(a, io.BytesIO())


# --- files that must be refused --------------------------------------------------------------
class Evil:
    """Unpickling this creates the file ``path``: a stand-in for arbitrary code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def evil_pickle(path) -> bytes:
    return pickle.dumps({"weight": Evil(path)})


def test_the_evil_payload_is_live(tmp_path):
    """Guard for the tests below: unpickling the payload really runs code."""
    marker = tmp_path / "proof"
    pickle.loads(evil_pickle(marker))
    assert marker.exists()


def expect_refusal(path, *match):
    with pytest.raises(cr.SerializationError) as info:
        cr.load(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for m in match:
        assert m in msg, msg
    return msg


def test_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(evil_pickle(marker))
    expect_refusal(path, "pickle", "never unpickles")
    assert not marker.exists()
    protocol0 = tmp_path / "evil0.pkl"
    protocol0.write_bytes(pickle.dumps(Evil(marker), protocol=0))
    expect_refusal(protocol0)
    assert not marker.exists()


def test_torch_checkpoint_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.ones(2), "evil": Evil(marker)}, path)
    expect_refusal(path, "PyTorch checkpoint", "torch.load")
    assert not marker.exists()
    honest = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), honest)
    expect_refusal(honest, "PyTorch checkpoint")


def test_npz_with_object_array_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([Evil(marker)], dtype=object))
    expect_refusal(path, ".npz")
    assert not marker.exists()


def crafted_archive(path, manifest, members):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest if isinstance(manifest, str)
                    else json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)


def test_object_array_inside_a_chainrule_archive_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    npy = io.BytesIO()
    np.save(npy, np.array([Evil(marker)], dtype=object), allow_pickle=True)
    path = tmp_path / "evil.crz"
    root = {"type": "ndarray", "array": "arrays/0.npy", "dtype": "|O", "shape": [1]}
    crafted_archive(path, {"format": "chainrule", "version": 1, "root": root},
                    {"arrays/0.npy": npy.getvalue()})
    expect_refusal(path, "Python objects", "refused")
    assert not marker.exists()


def test_truncated_and_corrupted_files(tmp_path):
    good = tmp_path / "good.crz"
    cr.save({"w": cr.tensor(np.arange(1000.0)), "b": np.ones(3)}, good)
    data = good.read_bytes()
    for n in (0, 10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        bad = tmp_path / f"cut{n}.crz"
        bad.write_bytes(data[:n])
        expect_refusal(bad)
    flipped = bytearray(data)
    i = data.index(b"\x93NUMPY") + 400  # inside the first array's values
    flipped[i] ^= 0xFF
    bad = tmp_path / "flipped.crz"
    bad.write_bytes(bytes(flipped))
    expect_refusal(bad, "damaged")


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"hello, this is text\n", "not a ZIP archive"),
    (b"\x93NUMPY\x01\x00", ".npy"),
])
def test_wrong_file_types(tmp_path, content, match):
    path = tmp_path / "wrong.crz"
    path.write_bytes(content)
    expect_refusal(path, match)


def test_plain_zip_and_text_mode(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")
    expect_refusal(path, "without a chainrule manifest")
    cr.save([1], tmp_path / "ok.crz")
    with open(tmp_path / "ok.crz", encoding="latin-1") as f, \
            pytest.raises(cr.SerializationError, match="binary mode"):
        cr.load(f)


@pytest.mark.parametrize("manifest, members, match", [
    ("{not json", {}, "not valid JSON"),
    ('{"format": "chainrule", "version": 1, "root": NaN}', {}, "not valid JSON"),
    ({"format": "pickle", "version": 1, "root": {"type": "none"}}, {}, "format 'chainrule'"),
    ({"format": "chainrule", "version": 99, "root": {"type": "none"}}, {}, "newer"),
    ({"format": "chainrule", "version": 1}, {}, "no 'root'"),
    ({"format": "chainrule", "version": 1, "root": {"type": "code", "value": "os.system"}},
     {}, "unknown entry type 'code'"),
    ({"format": "chainrule", "version": 1, "root": {"type": "int", "value": "3"}}, {},
     "'value'"),
    ({"format": "chainrule", "version": 1, "root": {"type": "tensor", "array": "arrays/0.npy",
                                                    "dtype": "<f8", "shape": [2]}},
     {}, "does not contain"),
    ({"format": "chainrule", "version": 1, "root": {"type": "tensor", "array": "arrays/0.npy",
                                                    "dtype": "<f4", "shape": [2]}},
     {"arrays/0.npy": "npy"}, "manifest says dtype <f4"),
    ({"format": "chainrule", "version": 1, "root": {"type": "tensor", "array": "arrays/0.npy",
                                                    "dtype": "<f8", "shape": [2]}},
     {"arrays/0.npy": b"\x93NUMPY garbage"}, "not a valid .npy"),
    ({"format": "chainrule", "version": 1,
      "root": {"type": "dict", "items": [[{"type": "list", "items": []}, {"type": "none"}]]}},
     {}, "unhashable"),
    ({"format": "chainrule", "version": 1, "root": {"type": "list", "items": [[]]}}, {},
     "not an object with a 'type'"),
])
def test_damaged_manifests(tmp_path, manifest, members, match):
    if members.get("arrays/0.npy") == "npy":
        buf = io.BytesIO()
        np.save(buf, np.ones(2))
        members = {"arrays/0.npy": buf.getvalue()}
    path = tmp_path / "crafted.crz"
    crafted_archive(path, manifest, members)
    expect_refusal(path, match)


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep.crz"
    crafted_archive(path, _deep_manifest(100_000), {})
    expect_refusal(path, "damaged manifest")


def _deep_manifest(depth):
    return ('{"format": "chainrule", "version": 1, "root": '
            + '{"type": "list", "items": [' * depth + '{"type": "none"}' + "]}" * depth + "}")


def test_error_is_a_value_error():
    assert issubclass(cr.SerializationError, ValueError)
    with pytest.raises(FileNotFoundError):
        cr.load("/nonexistent/dir/file.crz")


def test_scheduler_state_dicts():
    model = make_model()
    for make in (lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10),
                 lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=1),
                 lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=5)):
        sched = make(optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        sd = sched.state_dict()
        assert_same(sd, round_trip(sd))
