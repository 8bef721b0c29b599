"""``Module``: the base class of every layer, with PyTorch's registration rules.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it; ``register_buffer``
registers state that is saved but not trained (running statistics, masks). Registration keeps
insertion order, which fixes the order of ``parameters()`` and the keys of ``state_dict()``.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..._params import zero_grads
from ...autograd.grad_mode import no_grad
from ...autograd.inplace import bump_all
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["Module", "RemovableHandle", "IncompatibleKeys"]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it expected but did not find, and the keys it
    found but did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` takes the hook off again.
    Also a context manager that removes the hook on exit."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, flags: set | None = None):
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks
        self._flags = flags

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        if self._flags is not None:
            self._flags.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def _array_of(value, key: str) -> np.ndarray:
    """The values of a state_dict entry: a chainrule tensor, a NumPy array, a number or nested
    list, or any array-like (a PyTorch tensor works too)."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()  # a torch.Tensor
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError(f"load_state_dict: the value for key {key!r} is a "
                        f"{type(value).__name__}, not an array or tensor")
    return arr


def _check_name(kind: str, name, owner: Module) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if hasattr(owner, name) and name not in owner._parameters and name not in owner._buffers \
            and name not in owner._modules:
        raise KeyError(f"attribute '{name}' already exists")


def _floating(dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


class Module:
    """Base class for all layers and models.

    Subclasses call ``super().__init__()`` first, then assign parameters and submodules as
    attributes, and define ``forward``. Calling the module runs the forward pre-hooks,
    ``forward`` and the forward hooks.
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_hooks_with_kwargs"] = set()
        d["_forward_pre_hooks"] = {}
        d["_forward_pre_hooks_with_kwargs"] = set()

    # --- forward ------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not d["_forward_hooks"] and not d["_forward_pre_hooks"]:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(
                            f"forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {res!r}")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        out = self.forward(*args, **kwargs)
        for hid, hook in list(self._forward_hooks.items()):
            if hid in self._forward_hooks_with_kwargs:
                res = hook(self, args, kwargs, out)
            else:
                res = hook(self, args, out)
            if res is not None:
                out = res
        return out

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a returned value (a tuple, or
        one value) replaces the positional arguments. With ``with_kwargs=True`` the hook is
        ``hook(module, args, kwargs)`` and may return a new ``(args, kwargs)``."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._move_to_front(self._forward_pre_hooks, handle.id)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``; a returned value replaces
        the output. With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs,
        output)``."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._move_to_front(self._forward_hooks, handle.id)
        return handle

    @staticmethod
    def _move_to_front(hooks: dict, key) -> None:
        items = [(key, hooks.pop(key))] + list(hooks.items())
        hooks.clear()
        hooks.update(items)

    # --- registration -----------------------------------------------------------------------
    def __getattr__(self, name: str):
        d = self.__dict__
        if "_parameters" in d:
            for store in ("_parameters", "_buffers", "_modules"):
                s = d[store]
                if name in s:
                    return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call; "
                                     "call super().__init__() first in your __init__")
            self._remove_name(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    f"(chainrule.nn.Parameter or None expected); wrap it: "
                    f"chainrule.nn.Parameter(value)")
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call; "
                                     "call super().__init__() first in your __init__")
            self._remove_name(name)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (chainrule.nn.Module or None expected)")
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                f"(chainrule.Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _remove_name(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            d[store].pop(name, None)
        d["_non_persistent_buffers"].discard(name)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if name in d.get(store, ()):
                del d[store][name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__()) + list(self._parameters) + list(self._buffers) + \
            list(self._modules)
        return sorted(set(keys))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a placeholder ``None``) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call; "
                                 "call super().__init__() first in your __init__")
        _check_name("parameter", name, self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (chainrule.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: a tensor that belongs to the module's state (``state_dict``, ``to``)
        but is not a parameter. ``persistent=False`` leaves it out of ``state_dict``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call; call "
                                 "super().__init__() first in your __init__")
        _check_name("buffer", name, self)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (chainrule.Tensor or None required); wrap arrays with "
                            f"chainrule.tensor(...)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (``self.name = module`` does the same)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name, self)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``''`` is the module itself)."""
        mod = self
        for item in target.split(".") if target else ():
            sub = mod._modules.get(item)
            if sub is None:
                raise AttributeError(f"{mod._get_name()} has no submodule `{item}` (looking "
                                     f"for '{target}')")
            mod = sub
        return mod

    # --- iteration ----------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every module below it, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and (``recurse``) of all below it, each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module and (``recurse``) of all below it."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes and gradients ------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and all below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``. Dropout, for one, becomes the identity."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (``False`` freezes the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (the default) or to zeros."""
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- dtype conversion ---------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, **kwargs) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(tensor)``: converts the floating point
        parameters and buffers in place (the Parameter objects stay the same, so an optimizer
        made earlier still holds them). The only device is 'cpu'."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                device = a
            else:
                dtype = a
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected argument(s) {sorted(kwargs)}")
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"{self._get_name()}.to: chainrule runs on the CPU only; "
                               f"device {device!r} is not available")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.inexact):
            raise TypeError(f"{self._get_name()}.to: only floating point or complex dtypes "
                            f"are accepted, got {dtype.name}")
        return self._convert(dtype)

    def _convert(self, dtype) -> Module:
        for m in self.modules():
            for p in m._parameters.values():
                if p is None or not _floating(p.dtype) or p.dtype == dtype:
                    continue
                grad = p.grad
                p.data = p._data.astype(dtype)
                if grad is not None:
                    p.grad = grad.detach().astype(dtype)
            for name, b in m._buffers.items():
                if b is not None and _floating(b.dtype) and b.dtype != dtype:
                    m._buffers[name] = b.detach().astype(dtype)
        return self

    def float(self) -> Module:
        """Convert floating point parameters and buffers to float32, in place."""
        return self._convert(np.dtype(np.float32))

    def double(self) -> Module:
        """Convert floating point parameters and buffers to float64, in place."""
        return self._convert(np.dtype(np.float64))

    def half(self) -> Module:
        """Convert floating point parameters and buffers to float16, in place."""
        return self._convert(np.dtype(np.float16))

    def cpu(self) -> Module:
        return self

    # --- state_dict -------------------------------------------------------------------------
    def _state_items(self, prefix: str = ""):
        for mod_prefix, mod in self.named_modules(prefix=prefix, remove_duplicate=False):
            dot = mod_prefix + ("." if mod_prefix else "")
            for name, p in mod._parameters.items():
                if p is not None:
                    yield dot + name, mod, "_parameters", name, p
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers:
                    yield dot + name, mod, "_buffers", name, b

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (``'0.weight'``, ``'fc.bias'``).

        The values share memory with the module's tensors and are detached from the graph
        (``keep_vars=True`` gives the parameters themselves)."""
        out = OrderedDict() if destination is None else destination
        for key, _, _, _, t in self._state_items(prefix):
            out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values into the parameters and buffers, by key.

        Values may be chainrule tensors, NumPy arrays (a PyTorch state_dict converted with
        ``{k: v.numpy() for k, v in sd.items()}`` loads directly) or PyTorch tensors; they are
        cast to each parameter's dtype. Every key and shape is checked before anything is
        written: a shape mismatch always raises; missing and unexpected keys raise when
        ``strict`` (the default) and are returned otherwise. ``assign=True`` makes each
        parameter take a copy of the loaded array, with its dtype, instead of copying into it.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got "
                            f"{type(state_dict).__name__}")
        expected = list(self._state_items())
        expected_keys = {item[0] for item in expected}
        missing = [item[0] for item in expected if item[0] not in state_dict]
        unexpected = [k for k in state_dict if k not in expected_keys]
        errors = []
        writes = []
        for key, mod, store, name, t in expected:
            if key not in state_dict:
                continue
            arr = _array_of(state_dict[key], key)
            if arr.shape != t.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{arr.shape} from checkpoint, the shape in current model is "
                              f"{t.shape}.")
                continue
            writes.append((mod, store, name, t, arr))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        if not assign:  # the copies below are in-place changes: count them
            bump_all([t._data for _, _, _, t, _ in writes], "load_state_dict")
        with no_grad():
            for mod, store, name, t, arr in writes:
                if assign:
                    if isinstance(t, Parameter):
                        t.data = np.array(arr)
                    else:
                        getattr(mod, store)[name] = Tensor(np.array(arr))
                else:
                    np.copyto(t._data, arr, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # --- repr ---------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
