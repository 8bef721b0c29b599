"""``chainrule.save`` and ``chainrule.load``: checkpoints in a format that cannot run code.

A checkpoint is a ZIP archive (stored, not compressed) holding

- ``manifest.json``: ``{"format": "chainrule", "version": 1, "root": NODE}``, where a NODE is
  a JSON object with a ``"type"``:

  ============  ============================================================================
  ``none``      ``None``
  ``bool``      ``{"value": true}``
  ``int``       ``{"value": 3}`` (any size)
  ``float``     ``{"value": "0.1"}``: ``repr`` of the float (exact; also ``"nan"``, ``"inf"``)
  ``complex``   ``{"real": "1.0", "imag": "-2.5"}``
  ``str``       ``{"value": "..."}``
  ``list``,     ``{"items": [NODE, ...]}``
  ``tuple``
  ``dict``,     ``{"items": [[KEY, NODE], ...]}``: keys are nodes too (``none``, ``bool``,
  ``odict``     ``int``, ``float``, ``str`` or ``tuple`` of these), so int keys stay ints;
                ``odict`` loads as an ``OrderedDict``
  ``tensor``    ``{"array": NAME, "dtype": "<f4", "shape": [2, 3], "requires_grad": false,
                "parameter": false}``: a chainrule ``Tensor`` (``nn.Parameter`` if
                ``parameter``)
  ``ndarray``   ``{"array": NAME, "dtype": ..., "shape": ...}``: a NumPy array
  ``npscalar``  ``{"array": NAME, "dtype": ..., "shape": []}``: a NumPy scalar
  ============  ============================================================================

- one ``arrays/<n>.npy`` per array, written by ``numpy.save(..., allow_pickle=False)``.

Loading parses JSON and ``.npy`` headers only: nothing is unpickled, imported or called, so a
checkpoint from an untrusted source can at worst be refused. Every problem (not a ZIP, a
PyTorch or pickle file, a damaged or truncated archive, a bad manifest, an array whose dtype
needs pickle or that does not match the manifest) raises ``SerializationError`` naming the file.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from ._device import check_device
from .nn.parameter import Parameter
from .tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

FORMAT = "chainrule"
VERSION = 1
MANIFEST = "manifest.json"


class SerializationError(ValueError):
    """A file that ``chainrule.load`` cannot read (or will not, because it could run code)."""


def _describe(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


# --- save ------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.memo: dict[int, str] = {}  # id(array owner) -> member name
        self.keep: list = []  # keeps memoised objects alive (ids stay unique)
        self.active: set[int] = set()  # containers on the current path (cycle check)

    def array(self, owner, arr: np.ndarray, where: str) -> dict:
        if arr.dtype.hasobject:
            raise TypeError(f"chainrule.save: {where} is an array of dtype {arr.dtype}, which "
                            f"holds Python objects; only arrays of numbers, bools and "
                            f"fixed-size strings can be saved")
        name = self.memo.get(id(owner))
        if name is None:
            name = f"arrays/{len(self.memo)}.npy"
            with self.zf.open(name, "w", force_zip64=arr.nbytes > 2**30) as f:
                np.save(f, arr, allow_pickle=False)
            self.memo[id(owner)] = name
            self.keep.append(owner)
        return {"array": name, "dtype": arr.dtype.str, "shape": list(arr.shape)}

    def node(self, obj, where: str) -> dict:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, np.generic):  # before float: np.float64 is a float subclass
            return {"type": "npscalar", **self.array(obj, np.asarray(obj), where)}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, complex):
            return {"type": "complex", "real": repr(obj.real), "imag": repr(obj.imag)}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, Tensor):
            if obj._data.dtype.hasobject:
                raise TypeError(f"chainrule.save: {where} is a tensor of dtype "
                                f"{obj._data.dtype}, which cannot be saved")
            return {"type": "tensor", **self.array(obj, obj._data, where),
                    "requires_grad": bool(obj.requires_grad),
                    "parameter": isinstance(obj, Parameter)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", **self.array(obj, obj, where)}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self.active:
                raise ValueError(f"chainrule.save: {where} contains itself; a container "
                                 f"that refers to itself cannot be saved")
            self.active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = [[self.key(k, where), self.node(v, f"{where}[{k!r}]")]
                             for k, v in obj.items()]
                    kind = "odict" if isinstance(obj, OrderedDict) else "dict"
                    return {"type": kind, "items": items}
                kind = "tuple" if isinstance(obj, tuple) else "list"
                return {"type": kind,
                        "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
            finally:
                self.active.discard(id(obj))
        raise TypeError(f"chainrule.save: {where} is a {type(obj).__module__}."
                        f"{type(obj).__qualname__}, which cannot be saved; chainrule.save "
                        f"takes nested dicts, lists and tuples of tensors, NumPy arrays and "
                        f"scalars, Python numbers, strings, bools and None (save "
                        f"model.state_dict(), not the model)")

    def key(self, k, where: str) -> dict:
        if k is None or isinstance(k, (bool, int, float, str, np.generic)):
            return self.node(k, where)
        if isinstance(k, tuple):
            return {"type": "tuple", "items": [self.key(v, where) for v in k]}
        raise TypeError(f"chainrule.save: {where} has a key of type {type(k).__name__} "
                        f"({k!r}); keys may be str, int, float, bool, None or tuples of these")


def save(obj: Any, f) -> None:
    """Save ``obj`` (nested dicts, lists and tuples of tensors, NumPy arrays and scalars,
    Python numbers, strings, bools and None, such as ``model.state_dict()`` or
    ``optimizer.state_dict()``) to ``f``, a path or a binary file opened for writing.

    The file is a ZIP archive with a JSON manifest and ``.npy`` arrays (see
    ``chainrule.serialization``); ``chainrule.load`` reads it back exactly, and nothing in it
    can run code when loaded. The same tensor or array object appearing twice is stored once
    (and loads as one object); views are stored as copies of their values."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            _save(obj, fh)
    else:
        _save(obj, f)


def _save(obj, fh) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        root = _Writer(zf).node(obj, "obj")
        manifest = {"format": FORMAT, "version": VERSION, "root": root}
        zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False, separators=(",", ":")))


# --- load ------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, zf: zipfile.ZipFile, label: str):
        self.zf = zf
        self.label = label
        self.members = set(zf.namelist())
        self.memo: dict[str, Any] = {}

    def fail(self, msg: str) -> SerializationError:
        return SerializationError(f"chainrule.load({self.label}): {msg}")

    def field(self, node: dict, key: str, kind, where: str):
        if key not in node:
            raise self.fail(f"damaged manifest: the {node.get('type')!r} entry at {where} has "
                            f"no {key!r}")
        value = node[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"damaged manifest: {key!r} of the entry at {where} is a "
                            f"{type(value).__name__}")
        return value

    def number(self, text: str, where: str) -> float:
        try:
            return float(text)
        except (TypeError, ValueError):
            raise self.fail(f"damaged manifest: {text!r} at {where} is not a float") from None

    def array(self, node: dict, where: str) -> np.ndarray:
        name = self.field(node, "array", str, where)
        if name in self.memo:
            return self.memo[name]
        if name not in self.members or not name.endswith(".npy"):
            raise self.fail(f"the manifest refers to the array {name!r} (at {where}), which "
                            f"the archive does not contain; the file is damaged or truncated")
        try:
            data = self.zf.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError,
                NotImplementedError) as e:
            raise self.fail(f"cannot read the array {name!r} (at {where}): {e}; the file is "
                            f"damaged or truncated") from None
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as e:
            if "allow_pickle" in str(e):
                raise self.fail(f"the array {name!r} (at {where}) holds Python objects, which "
                                f"could run code when loaded; it is refused") from None
            raise self.fail(f"the array {name!r} (at {where}) is not a valid .npy array: "
                            f"{e}") from None
        except (OSError, EOFError) as e:
            raise self.fail(f"the array {name!r} (at {where}) is not a valid .npy array: "
                            f"{e}") from None
        if not isinstance(arr, np.ndarray):
            raise self.fail(f"the member {name!r} (at {where}) is not a .npy array")
        dtype = self.field(node, "dtype", str, where)
        shape = self.field(node, "shape", list, where)
        if arr.dtype.str != dtype or list(arr.shape) != shape:
            raise self.fail(f"the array {name!r} (at {where}) has dtype {arr.dtype.str} and "
                            f"shape {list(arr.shape)}, but the manifest says dtype {dtype} and "
                            f"shape {shape}; the file is damaged")
        self.memo[name] = arr
        return arr

    def node(self, node, where: str):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.fail(f"damaged manifest: the entry at {where} is not an object with a "
                            f"'type'")
        kind = node["type"]
        if kind == "none":
            return None
        if kind == "bool":
            return self.field(node, "value", bool, where)
        if kind == "int":
            return self.field(node, "value", int, where)
        if kind == "float":
            return self.number(self.field(node, "value", str, where), where)
        if kind == "complex":
            return complex(self.number(self.field(node, "real", str, where), where),
                           self.number(self.field(node, "imag", str, where), where))
        if kind == "str":
            return self.field(node, "value", str, where)
        if kind in ("list", "tuple"):
            items = [self.node(v, f"{where}[{i}]")
                     for i, v in enumerate(self.field(node, "items", list, where))]
            return tuple(items) if kind == "tuple" else items
        if kind in ("dict", "odict"):
            out = OrderedDict() if kind == "odict" else {}
            for item in self.field(node, "items", list, where):
                if not isinstance(item, list) or len(item) != 2:
                    raise self.fail(f"damaged manifest: an item of the dict at {where} is not "
                                    f"a [key, value] pair")
                k = self.node(item[0], f"{where} (a key)")
                try:
                    hash(k)
                except TypeError:
                    raise self.fail(f"damaged manifest: the dict at {where} has an unhashable "
                                    f"key of type {type(k).__name__}") from None
                out[k] = self.node(item[1], f"{where}[{k!r}]")
            return out
        if kind in ("tensor", "ndarray", "npscalar"):
            name = self.field(node, "array", str, where)
            arr = self.array(node, where)
            if kind == "ndarray":
                return arr
            if kind == "npscalar":
                if arr.ndim != 0:
                    raise self.fail(f"damaged manifest: the NumPy scalar at {where} has shape "
                                    f"{arr.shape}")
                return arr[()]
            if ("tensor", name) in self.memo:
                return self.memo[("tensor", name)]
            if node.get("parameter") is True:
                t = Parameter(arr, requires_grad=bool(node.get("requires_grad")))
            else:
                t = Tensor(arr)
                if node.get("requires_grad") is True:
                    if not np.issubdtype(arr.dtype, np.inexact):
                        raise self.fail(f"damaged manifest: the tensor at {where} has dtype "
                                        f"{arr.dtype} but requires grad")
                    t.requires_grad_(True)
            self.memo[("tensor", name)] = t
            return t
        raise self.fail(f"damaged manifest: unknown entry type {kind!r} at {where}")


def load(f, map_location=None, *, weights_only: bool | None = None, mmap: bool | None = None,
         ) -> Any:
    """Load what ``chainrule.save`` wrote to ``f`` (a path or a binary file opened for
    reading): the same nested containers, with tensors, arrays, dtypes, shapes, values and
    keys (int keys stay ints) as saved.

    Loading never runs code: a file that is not a chainrule checkpoint (a PyTorch or pickle
    file, an ``.npz``), is damaged or truncated, or holds arrays of Python objects raises
    ``SerializationError`` naming the file and the problem.

    PyTorch's keywords: ``map_location`` may be None, ``'cpu'``, ``chainrule.device('cpu')``,
    a dict whose values name the CPU (``{'cuda:0': 'cpu'}``), or a callable
    ``(tensor, location)`` called on each loaded tensor with ``'cpu'`` (its result replaces the
    tensor unless it is None); any other device raises. ``weights_only`` is accepted as it
    is: loading is always "weights only" here. ``mmap`` is accepted; the arrays are read into
    memory either way."""
    _check_map_location(map_location)
    label = _describe(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            obj = _load(fh, label)
    else:
        obj = _load(f, label)
    return _map_tensors(obj, map_location) if callable(map_location) else obj


def _check_map_location(where) -> None:
    if where is None or callable(where):
        return
    targets = where.values() if isinstance(where, dict) else [where]
    for target in targets:
        check_device(target, "load(map_location=...)")


def _map_tensors(obj, fn):
    """``fn(tensor, 'cpu')`` over every tensor in the loaded containers."""
    if isinstance(obj, Tensor):
        out = fn(obj, "cpu")
        return obj if out is None else out
    if isinstance(obj, dict):
        return type(obj)((k, _map_tensors(v, fn)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(v, fn) for v in obj)
    return obj


def _sniff(head: bytes) -> str:
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        return ("it looks like a pickle file (e.g. made by pickle.dump or an old torch.save); "
                "chainrule never unpickles, because unpickling can run arbitrary code")
    if head[:6] == b"\x93NUMPY":
        return "it is a single .npy array; read it with numpy.load(path, allow_pickle=False)"
    if not head:
        return "the file is empty"
    return "it is not a chainrule checkpoint (not a ZIP archive)"


def _load(fh, label: str):
    def fail(msg):
        return SerializationError(f"chainrule.load({label}): {msg}")

    if not (hasattr(fh, "seekable") and fh.seekable()):
        fh = io.BytesIO(fh.read())
    start = fh.tell()
    head = fh.read(8)
    fh.seek(start)
    if not isinstance(head, bytes):
        raise fail("the file must be opened in binary mode ('rb')")
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile:
        if head[:2] == b"PK":
            raise fail("the ZIP archive is damaged or truncated") from None
        raise fail(_sniff(head)) from None
    except (OSError, EOFError, ValueError) as e:
        raise fail(f"cannot read the file as a ZIP archive ({e}); it is damaged or "
                   f"truncated") from None
    with zf:
        names = zf.namelist()
        if MANIFEST not in names:
            if any(n.endswith("data.pkl") for n in names):
                why = ("it is a PyTorch checkpoint (torch.save); chainrule does not unpickle "
                       "it. Load it with torch.load(path, weights_only=True) and convert the "
                       "tensors with .numpy()")
            elif names and all(n.endswith(".npy") for n in names):
                why = ("it is a NumPy .npz archive; read it with numpy.load(path, "
                       "allow_pickle=False)")
            else:
                why = "it is a ZIP archive without a chainrule manifest"
            raise fail(f"not a chainrule checkpoint: {why}")
        try:
            text = zf.read(MANIFEST)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise fail(f"cannot read the manifest: {e}; the file is damaged or "
                       f"truncated") from None
        try:
            manifest = json.loads(text.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise fail(f"damaged manifest: it is not valid JSON ({e})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise fail("damaged manifest: it does not say format 'chainrule'")
        version = manifest.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise fail(f"damaged manifest: bad version {version!r}")
        if version > VERSION:
            raise fail(f"the file has format version {version}, newer than this chainrule "
                       f"reads ({VERSION}); upgrade chainrule")
        if "root" not in manifest:
            raise fail("damaged manifest: no 'root' entry")
        try:
            return _Reader(zf, label).node(manifest["root"], "obj")
        except RecursionError:
            raise fail("damaged manifest: it is nested too deeply") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")

