"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``.

Optimizers update parameters in place, outside any graph (as PyTorch's do under ``no_grad``):
the arrays of the parameters are written, so the Parameter objects a model holds stay the same.
Each write counts as an in-place change (``_count_writes``), so a value saved for backward
before a step is not used silently after it. The updates are the formulas of PyTorch's
single-tensor (``foreach=False``) implementations, step for step.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from .._params import zero_grads
from ..autograd.dispatch import wrap
from ..autograd.grad_mode import enable_grad
from ..autograd.inplace import bump_all
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks a hyperparameter that has no default and must be given."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _as_array(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Optimizer:
    """Base class: holds ``param_groups`` (a list of dicts, each with ``'params'`` and its
    hyperparameters) and ``state`` (a dict from parameter to its state, such as momentum
    buffers). Subclasses implement ``step``.

    ``params`` is an iterable of tensors, of (name, tensor) pairs (``model.named_parameters()``)
    or of dicts that define parameter groups with their own hyperparameters.
    """

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of tensors "
                            f"or dicts (e.g. model.parameters()), but got a single tensor; "
                            f"wrap it in a list")
        if isinstance(params, set):
            raise TypeError(f"{type(self).__name__}: parameters must be an ordered collection "
                            f"(a list), not a set, whose order changes between runs")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; does the "
                             f"model have parameters? (pass model.parameters())")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones take the
        optimizer's defaults); useful to train a layer with another learning rate."""
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("add_param_group: parameters must be an ordered collection (a "
                            "list), not a set, whose order changes between runs")
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            names = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but one of "
                                f"the params is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf tensor "
                                 f"(computed by {p.grad_fn.name()}); optimize the leaves it "
                                 f"is computed from, or use .detach().requires_grad_()")
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"{type(self).__name__}: the parameter group did not specify "
                                 f"a value of the required hyperparameter {name!r}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{type(self).__name__}: a parameter group contains the same "
                          f"parameter more than once", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one "
                             f"parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (the default) or to zeros."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None):
        raise NotImplementedError(f"{type(self).__name__} does not implement step")

    def _params_to_update(self, group: dict[str, Any]) -> list[Tensor]:
        """The parameters of ``group`` that have a gradient, which the step is about to write
        in place; the writes are counted now (``_count_writes``)."""
        return self._count_writes([p for p in group["params"] if p.grad is not None])

    def _count_writes(self, params: list[Tensor]) -> list[Tensor]:
        """Count the step's in-place writes into ``params``, before it makes them: their
        version counters go up as for every in-place change (autograd/inplace.py), so that a
        backward pass through a graph that saved one of them before the step raises instead of
        using the new values (PyTorch's ``optimizer.step()`` counts its writes likewise). The
        optimizer's own state (momentum buffers, running averages) is private to it and not
        counted."""
        bump_all([p._data for p in params], f"{type(self).__name__}.step")
        return params

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # --- state_dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``,
        PyTorch's layout: parameters are numbered in the order of the groups. Tensors in the
        state are copies."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, st in self.state.items():
            key = index[id(p)] if isinstance(p, Tensor) else p
            state[key] = {k: wrap(v._data.copy()) if isinstance(v, Tensor) else copy.copy(v)
                          for k, v in st.items()}
        return {"state": state, "param_groups": copy.deepcopy(groups)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by ``state_dict`` (of an optimizer of the same parameters, in
        the same order). Arrays are converted to tensors of each parameter's dtype."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', as made by state_dict()")
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the loaded state dict has "
                             f"{len(saved)} parameter group(s), this optimizer "
                             f"{len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} of the loaded "
                                 f"state dict has {len(s['params'])} parameter(s), but this "
                                 f"optimizer's group has {len(g['params'])}")
        id_map = {}
        for g, s in zip(self.param_groups, saved):
            for p, k in zip(g["params"], s["params"]):
                id_map[k] = p
                id_map[str(k)] = p  # keys may have become strings in a text format
        self.state = defaultdict(dict)
        for k, st in state_dict.get("state", {}).items():
            p = id_map.get(k)
            if p is None:
                self.state[k] = copy.deepcopy(st)
                continue
            self.state[p] = {key: self._cast_state(p, key, v) for key, v in st.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved):
            new = {k: copy.deepcopy(v) for k, v in s.items() if k not in ("params",
                                                                          "param_names")}
            new["params"] = g["params"]
            if "param_names" in g:
                new["param_names"] = g["param_names"]
            new_groups.append(new)
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(p: Tensor, key: str, value):
        if key == "step":
            return float(_as_array(value))
        if isinstance(value, (Tensor, np.ndarray)) or hasattr(value, "numpy"):
            arr = _as_array(value)
            if arr.shape != p.shape:
                raise ValueError(f"load_state_dict: state {key!r} has shape {arr.shape}, but "
                                 f"its parameter has shape {p.shape}")
            return wrap(np.array(arr, dtype=p.dtype))
        return copy.deepcopy(value)


def real_view(a: np.ndarray) -> np.ndarray:
    """Complex arrays as real arrays of twice the length (PyTorch's view_as_real), so that
    squares in the updates are squared magnitudes."""
    return a.view(a.real.dtype) if np.iscomplexobj(a) else a


def param_and_grad(p: Tensor, group: dict[str, Any], weight_decay: float = 0) -> tuple:
    """A parameter's array and its gradient, each through ``real_view``; the gradient negated
    when ``group["maximize"]``, and plus ``weight_decay * param`` when that is not 0."""
    param = real_view(p._data)
    g = real_view(p.grad._data)
    if group["maximize"]:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * param
    return param, g
