"""Forward mode: dual tensors that carry tangents (PyTorch's ``torch.autograd.forward_ad``).

Inside ``with dual_level():`` a tensor made by ``make_dual(primal, tangent)`` carries its tangent
through every operation, computed by the primitives' forward rules; ``unpack_dual`` reads it
back. No tape is kept for the tangents and nothing is saved for them.

Levels nest (forward over forward), and each level's tangents stay apart: a tensor's tangents
are a dict {level: tangent}, and an operation handles its inputs' highest level first, treating
the lower levels as part of the primal values (see ``dispatch.record_dual``). That is what keeps
nested derivatives free of perturbation confusion.
"""

from __future__ import annotations

import itertools
from collections import namedtuple

import numpy as np

from . import dispatch

_ids = itertools.count(1)
UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def enter_dual_level() -> int:
    """Open a new (innermost) forward level and return its id."""
    level = next(_ids)
    dispatch.fw_levels.append(level)
    return level


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost level (its tangents are ignored from then on)."""
    if not dispatch.fw_levels:
        raise RuntimeError("exit_dual_level: no forward level is open")
    if level is not None and dispatch.fw_levels[-1] != level:
        raise RuntimeError(f"exit_dual_level: level {level} is not the innermost open level "
                           f"({dispatch.fw_levels[-1]}); close levels in reverse order")
    dispatch.fw_levels.pop()


class dual_level:
    """Context manager for a forward level: ``with dual_level(): ...``."""

    def __enter__(self) -> int:
        self.level = enter_dual_level()
        return self.level

    def __exit__(self, *exc):
        exit_dual_level(level=self.level)
        return False


def _current(level):
    if level is None:
        if not dispatch.fw_levels:
            raise RuntimeError("make_dual/unpack_dual: open a level first, "
                               "with chainrule.autograd.forward_ad.dual_level()")
        return dispatch.fw_levels[-1]
    return level


def make_dual(tensor, tangent, *, level: int | None = None, batched: bool = False):
    """A tensor with the values of ``tensor`` that carries ``tangent`` at ``level`` (default:
    the innermost open level). It stays connected to ``tensor``'s graph for reverse mode.

    With ``batched=True`` the tangent may have leading axes: several tangents at once (how
    ``jacfwd`` pushes a chunk of columns through one pass)."""
    level = _current(level)
    t_data = tangent._data if dispatch.is_tensor(tangent) else np.asarray(tangent)
    p = tensor._data
    if t_data.shape[t_data.ndim - p.ndim:] != p.shape or t_data.ndim < p.ndim or (
            not batched and t_data.ndim != p.ndim):
        raise ValueError(f"make_dual: the tangent has shape {t_data.shape}, but the primal has "
                         f"shape {p.shape}; they must be equal")
    if not np.issubdtype(p.dtype, np.inexact):
        raise TypeError(f"make_dual: the primal has dtype {p.dtype}; only floating point or "
                        f"complex tensors can carry a tangent")
    if t_data.dtype.kind == "c" and p.dtype.kind != "c":
        raise TypeError(f"make_dual: the tangent has complex dtype {t_data.dtype} but the primal "
                        f"is real ({p.dtype}); make the primal complex first, e.g. "
                        f"x.astype('complex128')")
    if t_data.dtype != p.dtype:
        tangent = dispatch.wrap(t_data.astype(p.dtype)) if not dispatch.is_tensor(tangent) \
            else tangent.astype(p.dtype)
    elif not dispatch.is_tensor(tangent):
        tangent = dispatch.wrap(t_data)
    out = dispatch.wrap(p, tensor._edge)
    fw = dict(dispatch.tangents_of(tensor) or {})
    fw[level] = tangent
    out._fw = fw
    return out


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: the tensor without its tangent at ``level``, and that tangent
    (None when it has none)."""
    level = _current(level)
    fw = dispatch.tangents_of(tensor) or {}
    tangent = fw.get(level)
    primal = dispatch.wrap(tensor._data, tensor._edge)
    rest = {k: v for k, v in fw.items() if k != level}
    if rest:
        primal._fw = rest
    return UnpackedDualTensor(primal, tangent)
