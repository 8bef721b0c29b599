"""Primitive-table case for copy_slices (writing through a view): the view steps are taken from
a view that chainrule recorded, ``x.T[1:, ::2]`` of a (4, 3) base (a transpose, then a basic
index), and a (2, 2) value is written into it."""

import numpy as np

import chainrule as cr


def _steps():
    base = cr.zeros(4, 3)
    view = base.T[1:, ::2]
    return view._view.steps


_r = np.random.default_rng(11)
CASES = {
    "copy_slices": ((_r.uniform(-1, 1, (4, 3)), _r.uniform(-1, 1, (2, 2))), (_steps(),)),
}
