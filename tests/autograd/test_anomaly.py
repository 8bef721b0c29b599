"""detect_anomaly / set_detect_anomaly: NaN and inf in backward name the node and the line of
the user's code that ran its forward operation."""

import inspect
import os
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import dispatch
from chainrule.primitives._core import REGISTRY

HERE = os.path.basename(__file__)


def leaf(values):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def line_of(fn, text):
    """The line number of the line of ``fn`` that contains ``text``."""
    src, first = inspect.getsourcelines(fn)
    return first + next(i for i, s in enumerate(src) if text in s)


def f_log(x):
    y = cr.log(x)  # record1
    return (y * 0.0).sum()


def f_div(x, y):
    h = x * 2.0
    q = h / y  # record2
    return q.sum()


def f_generic(x):
    y = REGISTRY["log"](x)  # Primitive.__call__ -> dispatch.record -> _record
    return (y * 0.0).sum()


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
    assert not cr.autograd.is_anomaly_enabled()
    assert dispatch.instrumented is False


def test_record1_nan_points_at_the_users_line():
    x = leaf([0.0, 1.0])
    with cr.autograd.detect_anomaly():
        loss = f_log(x)
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "LogBackward0 returned nan values in its 0th output" in msg
    line = line_of(f_log, "cr.log(x)")
    assert f"{HERE}:{line} in f_log: y = cr.log(x)  # record1" in msg
    assert f"the forward operation was called at {__file__}:{line}" in msg


def test_record2_inf_points_at_the_users_line():
    x = leaf([1.0, 2.0])
    y = leaf([0.0, 1.0])
    with cr.autograd.detect_anomaly():
        loss = f_div(x, y)
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "DivBackward0 returned inf values in its 0th output" in msg
    assert f"{HERE}:{line_of(f_div, 'h / y')} in f_div: q = h / y" in msg


def test_generic_record_path():
    x = leaf([0.0, 1.0])
    with cr.autograd.detect_anomaly():
        loss = f_generic(x)
        with pytest.raises(RuntimeError, match="LogBackward0 returned nan") as info:
            loss.backward()
    assert f"{HERE}:{line_of(f_generic, 'REGISTRY')} in f_generic" in str(info.value)


def test_off_backward_is_unaffected():
    x = leaf([0.0, 1.0])
    f_log(x).backward()  # no error: NaN flows into .grad as usual
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.0


def test_finite_gradients_agree_with_and_without_anomaly():
    def f(x):
        return (cr.tanh(x) * cr.exp(x) + x.sum(0)).sum()

    a = leaf([[0.5, -1.0], [2.0, 0.25]])
    f(a).backward()
    b = leaf([[0.5, -1.0], [2.0, 0.25]])
    with cr.autograd.detect_anomaly():
        f(b).backward()
        # second order under anomaly mode: the rules' own nodes are checked too
        c = leaf([0.5, 1.5])
        (g,) = cr.autograd.grad(cr.sin(c).sum(), c, create_graph=True)
        g.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy())
    np.testing.assert_allclose(c.grad.numpy(), -np.sin([0.5, 1.5]))


def test_forward_outside_anomaly_mode_says_so():
    x = leaf([0.0])
    loss = f_log(x)
    with cr.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="no forward call site"):
        loss.backward()


def test_check_nan_false_and_set_detect_anomaly():
    x = leaf([0.0])
    with cr.autograd.detect_anomaly(check_nan=False):
        f_log(x).backward()  # call sites noted, nothing checked
    cr.autograd.set_detect_anomaly(True)
    try:
        assert cr.autograd.is_anomaly_enabled() and dispatch.instrumented
        with pytest.raises(RuntimeError, match="LogBackward0"):
            f_log(leaf([0.0])).backward()
    finally:
        cr.autograd.set_detect_anomaly(False)
    with cr.autograd.set_detect_anomaly(True):
        assert cr.autograd.is_anomaly_enabled()
    assert not cr.autograd.is_anomaly_enabled()


def test_decorator_and_call_site_api():
    from chainrule.autograd.anomaly import forward_call_site

    @cr.autograd.detect_anomaly()
    def run():
        return f_log(leaf([1.0]))

    loss = run()
    node = loss.grad_fn.next_functions[0][0]  # MulBackward0, recorded in f_log
    filename, line, func, src = forward_call_site(node)
    assert (filename, line, func) == (__file__, line_of(f_log, "y * 0.0"), "f_log")
    assert src == "return (y * 0.0).sum()"


def f_custom(x):
    class Sqrt(cr.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return cr.sqrt(t)

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g / (2 * cr.sqrt(t))

    y = Sqrt.apply(x)  # custom
    return y.sum()


def test_custom_function_nan_points_at_the_users_line():
    x = leaf([0.0, 1.0])
    with cr.autograd.detect_anomaly():
        loss = f_custom(x)
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "SqrtBackward" in msg
    assert f"{HERE}:{line_of(f_custom, '# custom')}" in msg


def test_forward_mode_tangent_ops_are_traced():
    from chainrule.autograd import anomaly
    from chainrule.autograd import forward_ad as fwad

    with cr.autograd.detect_anomaly(), fwad.dual_level():
        x = fwad.make_dual(leaf([0.3, 0.5]), cr.tensor([1.0, 0.0]))
        y = cr.sin(x)  # traced
        t = fwad.unpack_dual(y).tangent
    # the tangent (cos(x) * dx) was recorded as graph nodes with this line as their call site
    node = t._edge[0]
    site = anomaly.forward_call_site(node)
    assert site is not None and site[1] == line_of(test_forward_mode_tangent_ops_are_traced,
                                                   "# traced")
