"""Primitive-table cases for the special functions (chainrule.primitives.special). Arguments
with no derivative, or no second derivative (Bessel orders, zeta's exponent, polygamma's order),
are passed as integer constants. Merged into tests/primitives/test_primitive_table.py."""

from __future__ import annotations

import numpy as np
from tests.helpers import positive, rand

_ORDERS = np.array([[0, 1, 2]])

CASES = {
    "gamma": ((positive((2, 3), 1),), ()),
    "gammaln": ((positive((2, 3), 2),), ()),
    "loggamma": ((positive((2, 3), 3),), ()),
    "digamma": ((positive((2, 3), 4),), ()),
    "polygamma": ((np.array([[1], [2]]), positive((3,), 5)), ()),
    "beta": ((positive((2, 3), 6), positive((3,), 7)), ()),
    "betaln": ((positive((2, 3), 8), positive((3,), 9)), ()),
    "erfc": ((rand((2, 3), 10),), ()),
    "erfinv": ((rand((2, 3), 11, -0.9, 0.9),), ()),
    "erfcinv": ((positive((2, 3), 12, 0.1, 1.9),), ()),
    "erfcx": ((rand((2, 3), 13),), ()),
    "ndtr": ((rand((2, 3), 14),), ()),
    "log_ndtr": ((rand((2, 3), 15, -6.0, 3.0),), ()),
    "ndtri": ((positive((2, 3), 16, 0.1, 0.9),), ()),
    "logit": ((positive((2, 3), 17, 0.1, 0.9),), ()),
    "log_expit": ((rand((2, 3), 18),), ()),
    "xlogy": ((rand((2, 3), 19), positive((3,), 20)), ()),
    "xlog1py": ((rand((2, 3), 21), positive((3,), 22, -0.5, 2.0)), ()),
    "entr": ((positive((2, 3), 23),), ()),
    "rel_entr": ((positive((2, 3), 24), positive((3,), 25)), ()),
    "kl_div": ((positive((2, 3), 26), positive((3,), 27)), ()),
    "i0": ((rand((2, 3), 28),), ()),
    "i0e": ((np.array([[0.5, -1.2, 2.0], [-0.3, 3.0, -2.5]]),), ()),
    "i1": ((np.array([[0.0, 0.05, -1.2], [-0.3, 3.0, 2.5]]),), ()),
    "i1e": ((np.array([[0.5, -1.2, 2.0], [-0.3, 3.0, -2.5]]),), ()),
    "zeta": ((np.array([[2], [3]]), positive((3,), 29)), (False,)),
    "jv": ((_ORDERS, positive((2, 3), 30, 0.5, 4.0)), ()),
    "yv": ((_ORDERS, positive((2, 3), 31, 0.5, 4.0)), ()),
    "iv": ((_ORDERS, rand((2, 3), 32)), ()),
    "kv": ((_ORDERS, positive((2, 3), 33, 0.5, 4.0)), ()),
    "ive": ((_ORDERS, np.array([[0.5, -1.2, 2.0], [-0.3, 3.0, -2.5]])), ()),
    "kve": ((_ORDERS, positive((2, 3), 34, 0.5, 4.0)), ()),
    "kv_dv": ((np.array([[1], [2]]), positive((3,), 50, 0.5, 4.0)), (False, 1)),
    # the order derivative of iv and ive: first order in v; every order in x (x > 0)
    "iv_dv": ((np.array([[-1], [0], [2]]), positive((4,), 51, 0.5, 4.0)), (False, 1)),
    "jy_dv": ((np.array([[-1], [0], [2]]), positive((4,), 54, 0.5, 4.0)), ("jv", 1)),
    # gammainc's shape a: derivatives of order up to 4 (second order of gammainc_da's n = 2)
    "gammainc": ((positive((2, 1), 35, 0.5, 4.0), positive((3,), 36, 0.2, 4.0)), ()),
    "gammaincc": ((positive((2, 1), 37, 0.5, 4.0), positive((3,), 38, 0.2, 4.0)), ()),
    "gammainc_da": ((positive((2, 1), 40, 0.5, 4.0), positive((3,), 39, 0.2, 4.0)), (2,)),
    "betainc": ((positive((2, 1), 41, 0.5, 4.0), positive((3,), 43, 0.5, 4.0),
                 positive((2, 3), 42, 0.1, 0.9)), ()),
    "betaincc": ((positive((2, 1), 44, 0.5, 4.0), positive((3,), 48, 0.5, 4.0),
                  positive((2, 3), 45, 0.1, 0.9)), ()),
    # d/da; the table's second order reaches d3/da3, d3/da2 db, d3/da db2 (and x)
    "betainc_d": ((positive((2, 1), 46, 0.5, 4.0), positive((2,), 52, 0.5, 4.0),
                   positive((2, 2), 47, 0.1, 0.9)), (1, 0)),
    "stdtr": ((positive((2, 1), 53, 1.0, 6.0), rand((3,), 49, -3.0, 3.0)), ()),
}
