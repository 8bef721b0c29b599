"""What every registered primitive must have besides its rules (docs/architecture.md, "A
primitive"): a public function under its own name in one of chainrule's namespaces, and, where
``torch.Tensor`` has a method of that name, the same method on chainrule's Tensor. A primitive
that is only a building block of other functions says so in ``INTERNAL``, with the public
function that applies it; a Tensor method left out says why in ``NOT_TENSOR_METHODS``. A new
primitive that is neither reachable nor declared fails here."""

from __future__ import annotations

import importlib

import pytest
import torch

from chainrule.primitives import REGISTRY
from chainrule.tensor import Tensor

NAMESPACES = [
    "chainrule", "chainrule.numpy", "chainrule.numpy.linalg", "chainrule.numpy.fft",
    "chainrule.scipy.special", "chainrule.scipy.linalg", "chainrule.scipy.signal",
    "chainrule.nn.functional",
]

# primitive -> the public function that applies it (it has no function of its own name)
INTERNAL = {
    "along_axis_add": "chainrule.scatter_add (and take_along_axis's reverse rule)",
    "betainc_d": "chainrule.scipy.special.betainc's derivatives in a and b",
    "cast": "Tensor.astype / Tensor.to / chainrule.numpy.astype",
    "linalg_check": "the value checks of eigh / eig / svd / det's derivative rules (recorded)",
    "check_index": "nn.functional.nll_loss / cross_entropy's class targets (a checked index)",
    "copy_slices": "writing through a view (x[i] = v, view.add_(...))",
    "cum_extremum_index": "chainrule.cummax / cummin",
    "fft_resize": "chainrule.numpy.fft.fftn's n= / s= (crop or zero-pad)",
    "gammainc_da": "chainrule.scipy.special.gammainc's derivative in a",
    "getitem": "x[index]",
    "iv_dv": "chainrule.scipy.special.iv/ive's derivative in the order",
    "jy_dv": "chainrule.scipy.special.jv/yv's derivative in the order",
    "kv_dv": "chainrule.scipy.special.kv/kve's derivative in the order",
    "logabsdet": "chainrule.numpy.linalg.slogdet",
    "median_index": "chainrule.median / nanmedian (PyTorch's, with indices)",
    "mode_index": "chainrule.mode",
    "modf_frac": "chainrule.numpy.modf",
    "topk_index": "chainrule.topk / kthvalue",
}

NOT_TENSOR_METHODS = {
    "solve": "removed from PyTorch (the method raises); torch.linalg.solve is the API",
    "eig": "removed from PyTorch (the method raises); torch.linalg.eig is the API",
}


def _public_homes(name):
    return [m for m in NAMESPACES if callable(getattr(importlib.import_module(m), name, None))]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_primitive_is_reachable_or_declared_internal(name):
    homes = _public_homes(name)
    if name in INTERNAL:
        assert not homes, (f"{name} has a public function ({homes}); remove it from INTERNAL")
    else:
        assert homes, (f"primitive {name!r} has no public function of its name in "
                       f"{NAMESPACES}: give it one, or declare it in INTERNAL with the "
                       f"function that applies it")


@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if hasattr(torch.Tensor, n)))
def test_a_primitive_that_pytorch_has_as_a_method_is_a_tensor_method(name):
    if name in NOT_TENSOR_METHODS:
        assert not hasattr(Tensor, name), f"Tensor.{name} exists; remove it from the list"
    else:
        # an attribute where PyTorch has one (real, imag), else a method
        attribute = not callable(getattr(torch.Tensor, name))
        got = getattr(Tensor, name, None)
        assert got is not None and isinstance(got, property) == attribute, (
            f"torch.Tensor has .{name}() and chainrule's Tensor does not: add the method "
            f"(a def in its family's section of tensor.py), or say why in NOT_TENSOR_METHODS")


def test_the_declarations_name_registered_primitives():
    assert set(INTERNAL) <= set(REGISTRY) and set(NOT_TENSOR_METHODS) <= set(REGISTRY)
