"""Writes outside the Tensor methods count as in-place changes, as in PyTorch: an optimizer's
step, ``zero_grad(set_to_none=False)``, gradient clipping, ``load_state_dict`` and batch norm's
running statistics bump the version of the memory they write (autograd/inplace.py
``bump_all``), so a backward pass through a value saved before the write raises the error that
``w.add_(1)`` would cause, instead of using the new values.

Each program is written once against the API chainrule and torch share and run in both."""

import re

import numpy as np
import pytest
import torch

import chainrule as cr

STALE = "modified by an in-?place operation"

OPTIMIZERS = {
    "SGD": lambda lib, ps: lib.optim.SGD(ps, lr=0.1),
    "SGD-momentum": lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                                  weight_decay=0.1),
    "Adam": lambda lib, ps: lib.optim.Adam(ps, lr=0.1, amsgrad=True),
    "AdamW": lambda lib, ps: lib.optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda lib, ps: lib.optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda lib, ps: lib.optim.Adagrad(ps, lr=0.1, weight_decay=0.1),
}
LIBS = pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])


def leaf(lib, values=(1.0, 2.0, 3.0)):
    return lib.tensor(np.array(values), requires_grad=True)


def message(program) -> str:
    with pytest.raises(RuntimeError) as info:
        program()
    return str(info.value)


@LIBS
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_after_a_value_was_saved_for_backward_is_caught(lib, name):
    w = leaf(lib)
    opt = OPTIMIZERS[name](lib, [w])
    y = (w * w).sum()  # saves w
    (w * 2).sum().backward()  # the gradient of something else
    before = w._version
    opt.step()
    assert w._version > before
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_error_is_the_one_an_in_place_method_gives(name):
    def stepped():
        w = leaf(cr)
        opt = OPTIMIZERS[name](cr, [w])
        y = (w * w).sum()
        (w * 2).sum().backward()
        opt.step()
        y.backward()

    def added():
        w = leaf(cr)
        y = (w * w).sum()
        with cr.no_grad():
            w.add_(1)
        y.backward()

    by_step, by_add = message(stepped), message(added)
    assert by_step.split(" It was changed by ")[0] == by_add.split(" It was changed by ")[0]
    # it names the step and the line of this file that called it
    cls = type(OPTIMIZERS[name](cr, [leaf(cr)])).__name__
    assert re.search(rf"changed by {cls}\.step at .*test_optim_versions\.py:\d+", by_step)


@LIBS
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_values_not_saved_and_new_graphs_are_not_affected(lib, name):
    w = leaf(lib)
    opt = OPTIMIZERS[name](lib, [w])
    y = (w * 2.0).sum()  # mul by a constant: w's gradient does not read w
    for _ in range(3):  # the usual loop: a new graph after every step
        opt.zero_grad()
        loss = ((w - 1.5) ** 2).sum()
        loss.backward()
        opt.step()
    opt.zero_grad()
    y.backward()
    np.testing.assert_allclose(np.asarray(w.grad.detach()), [2.0, 2.0, 2.0])


@LIBS
def test_a_parameter_without_gradient_is_not_written_nor_counted(lib):
    w, u = leaf(lib), leaf(lib)
    opt = lib.optim.Adam([w, u])
    (w * 2).sum().backward()
    before = u._version
    opt.step()
    assert u._version == before


@LIBS
def test_lbfgs_counts_its_writes(lib):
    w = leaf(lib)
    opt = lib.optim.LBFGS([w], max_iter=3)
    y = (w * w).sum()

    def closure():
        opt.zero_grad()
        loss = ((w - 2) ** 2).sum()
        loss.backward()
        return loss

    before = w._version
    opt.step(closure)
    assert w._version > before
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


@LIBS
def test_zero_grad_in_place_counts(lib):
    w = leaf(lib)
    (w * 2).sum().backward()
    g = w.grad
    before = g._version
    lib.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad is g and g._version > before


@LIBS
@pytest.mark.parametrize("clip", ["clip_grad_norm_", "clip_grad_value_"])
def test_gradient_clipping_counts(lib, clip):
    # gradients are saved for backward when they are part of a graph (a gradient penalty)
    w = leaf(lib)
    (w.grad,) = lib.autograd.grad((w**3).sum(), w, create_graph=True)
    penalty = (w.grad * w.grad).sum()
    before = w.grad._version
    getattr(lib.nn.utils, clip)([w], 1.0)
    assert w.grad._version > before
    with pytest.raises(RuntimeError, match=STALE):
        penalty.backward()


@LIBS
def test_load_state_dict_counts(lib):
    lin, other = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
    y = (lin.weight * lin.weight).sum()
    before = lin.weight._version
    lin.load_state_dict(other.state_dict())
    assert lin.weight._version > before
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


def test_batch_norm_running_statistics_count():
    # PyTorch counts num_batches_tracked and reset_running_stats; chainrule also counts the
    # running statistics' update in forward, so a value that saved them can't be used silently
    bn = cr.nn.BatchNorm1d(3).double()
    x = cr.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    versions = [t._version for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked)]
    bn(x)
    after = [t._version for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked)]
    assert all(a > b for a, b in zip(after, versions))
    bn.reset_running_stats()
    assert all(t._version > a for t, a in
               zip((bn.running_mean, bn.running_var, bn.num_batches_tracked), after))
    w = leaf(cr)
    y = (w * bn.running_mean).sum()  # saves the running mean
    bn(x)
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()
