"""Anomaly detection: find the forward operation behind a NaN or inf in backward.

While ``detect_anomaly()`` is on, every node recorded through ``dispatch`` remembers where in the
user's code its forward operation was called (the innermost stack frame outside the chainrule
package), and the engine checks each backward rule's result: a NaN or inf raises a
``RuntimeError`` that names the backward node and shows that call site. The call sites are kept
in a weak dictionary keyed by node (nodes gain no slot, and nothing is paid while the mode is
off: see ``dispatch.instrumented``).

This module also holds ``instrument_rules``, the engine's slow path for both anomaly mode and the
profiler.
"""

from __future__ import annotations

import linecache
import os
import sys
import weakref

import numpy as np

from . import dispatch

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_traces: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_check_nan = True


def _remember(node) -> None:
    """Note the user's frame that led to recording ``node`` (called from dispatch)."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PKG):
        f = f.f_back
    if f is not None:
        _traces[node] = (f.f_code.co_filename, f.f_lineno, f.f_code.co_name)


def forward_call_site(node):
    """``(filename, line, function, source line)`` where ``node``'s forward operation was
    called, or None when it was recorded outside anomaly mode."""
    t = _traces.get(node)
    if t is None:
        return None
    filename, line, func = t
    return filename, line, func, linecache.getline(filename, line).strip()


def is_anomaly_enabled() -> bool:
    return dispatch.anomaly_hook is not None


def is_anomaly_check_nan_enabled() -> bool:
    return is_anomaly_enabled() and _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global _check_nan
    dispatch.anomaly_hook = _remember if mode else None
    _check_nan = check_nan
    dispatch.update_instrumented()


class set_detect_anomaly:
    """Turn anomaly mode on or off: as a call, or as a context manager that restores the
    previous mode on exit (like ``torch.autograd.set_detect_anomaly``)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (is_anomaly_enabled(), _check_nan)
        _set(bool(mode), check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self._prev)
        return False


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly mode on::

        with cr.autograd.detect_anomaly():
            loss = model(x)
            loss.backward()   # RuntimeError: Function LogBackward0 returned nan values ...

    The forward pass must run inside it too: that is when call sites are noted.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (is_anomaly_enabled(), _check_nan)
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def _anomaly_error(node, i, kind):
    site = forward_call_site(node)
    if site is None:
        where = ("no forward call site was recorded for it: run the forward pass inside "
                 "detect_anomaly() too")
    else:
        filename, line, func, src = site
        where = f"the forward operation was called at {filename}:{line} in {func}: {src}"
    return RuntimeError(f"Function {node.name()} returned {kind} values in its {i}th output; "
                        f"{where}")


def _check(node, i, out):
    d = out._data if dispatch.is_tensor(out) else out
    if d is None:
        return
    a = np.asarray(d)
    if a.dtype.kind not in "fc":
        return
    if np.isnan(a).any():
        raise _anomaly_error(node, i, "nan")
    if np.isinf(a).any():
        raise _anomaly_error(node, i, "inf")


class _Rules:
    """A node's backward rules, wrapped for the profiler (one event per node run, covering all
    its rules) and for anomaly mode (each result checked for NaN and inf)."""

    __slots__ = ("node", "rules", "prof", "check", "event")

    def __init__(self, node, rules):
        self.node = node
        self.rules = rules
        self.prof = dispatch.profilers[-1] if dispatch.profilers else None
        self.check = dispatch.anomaly_hook is not None and _check_nan
        self.event = None

    def __getitem__(self, i):
        rule = self.rules[i]

        def run(g, *saved):
            prof = self.prof
            if prof is not None:
                if self.event is None:
                    self.event = prof.begin(self.node.name(), "backward")
                else:
                    prof.resume(self.event)
                try:
                    out = rule(g, *saved)
                finally:
                    prof.end(self.event)
            else:
                out = rule(g, *saved)
            if self.check:
                _check(self.node, i, out)
            return out

        return run


def instrument_rules(node, rules):
    """The engine's slow path (anomaly mode or a profiler on): ``rules`` wrapped for ``node``."""
    if rules is None:
        return rules
    return _Rules(node, rules)
