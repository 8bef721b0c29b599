"""Gauss-Legendre and Gauss-Kronrod nodes and weights on [-1, 1], computed here.

The Kronrod extension of the n-point Gauss rule adds the n + 1 zeros of the Stieltjes
polynomial E_{n+1}, defined by ∫ P_n(x) E_{n+1}(x) x^k dx = 0 for k = 0..n. We write E_{n+1}
in the Legendre basis and solve that linear system exactly (rational arithmetic: the integrals
of polynomials are rational), find its zeros and those of P_n by Newton's method in 50-digit
decimal arithmetic, and get the 2n + 1 Kronrod weights from the moment equations
∑ w_i P_k(x_i) = ∫ P_k, k = 0..2n, solved in the same precision; rounded once to double.
tests/integrate/test_gauss.py compares them with the published QUADPACK table.
"""

from __future__ import annotations

import functools
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

_DIGITS = 50


@functools.cache
def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n-point Gauss-Legendre rule on [-1, 1]: (nodes ascending, weights)."""
    if n < 1:
        raise ValueError(f"gauss_legendre: the number of nodes must be at least 1, got {n}")
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = w.flags.writeable = False
    return x, w


def _legendre_polys(kmax: int) -> list[list[Fraction]]:
    """Monomial coefficients (lowest first) of P_0..P_kmax, exact."""
    polys = [[Fraction(1)], [Fraction(0), Fraction(1)]]
    for k in range(1, kmax):
        a, b = polys[k], polys[k - 1]
        nxt = [Fraction(0)] * (k + 2)
        for i, c in enumerate(a):
            nxt[i + 1] += Fraction(2 * k + 1, k + 1) * c
        for i, c in enumerate(b):
            nxt[i] -= Fraction(k, k + 1) * c
        polys.append(nxt)
    return polys[: kmax + 1]


def _mul(p: list, q: list) -> list:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        if a:
            for j, b in enumerate(q):
                out[i + j] += a * b
    return out


def _integral(p: list) -> Fraction:
    return sum((c * Fraction(2, m + 1) for m, c in enumerate(p) if m % 2 == 0), Fraction(0))


def _solve(a: list[list], b: list) -> list:
    """Gaussian elimination with partial pivoting (exact for Fractions, else in context)."""
    n = len(b)
    m = [list(row) + [rhs] for row, rhs in zip(a, b)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    x = [None] * n
    for r in range(n - 1, -1, -1):
        s = m[r][n] - sum((m[r][c] * x[c] for c in range(r + 1, n)), type(m[r][n])(0))
        x[r] = s / m[r][r]
    return x


def _horner(p: list, x: Decimal) -> tuple[Decimal, Decimal]:
    v = d = Decimal(0)
    for c in reversed(p):
        d = d * x + v
        v = v * x + c
    return v, d


def _zeros(p: list[Fraction]) -> list[Decimal]:
    """The real zeros of p (all simple, in (-1, 1)), to _DIGITS digits."""
    guess = np.sort(np.real(np.polynomial.polynomial.polyroots([float(c) for c in p])))
    pd = [Decimal(c.numerator) / Decimal(c.denominator) for c in p]
    out = []
    for g in guess:
        x = Decimal(float(g))
        for _ in range(8):
            v, d = _horner(pd, x)
            x -= v / d
        out.append(x)
    return out


@functools.cache
def gauss_kronrod(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (2n+1)-point Kronrod extension of the n-point Gauss rule on [-1, 1].

    Returns (nodes ascending, Kronrod weights, Gauss weights on the same nodes: zero at the
    Kronrod-only nodes)."""
    if n < 1:
        raise ValueError(f"gauss_kronrod: n must be at least 1, got {n}")
    P = _legendre_polys(2 * n + 1)
    # E_{n+1} = P_{n+1} + sum c_j P_j, with the parity of n + 1.
    cols = [j for j in range(n + 1) if (n + 1 - j) % 2 == 0]
    pn_pk = [_mul(P[n], P[k]) for k in range(n + 1)]
    A = [[_integral(_mul(q, P[j])) for j in cols] for q in pn_pk]
    rhs = [-_integral(_mul(q, P[n + 1])) for q in pn_pk]
    # A is consistent and of full column rank: solve the normal equations exactly.
    ata = [[sum((A[r][i] * A[r][j] for r in range(len(A))), Fraction(0)) for j in range(len(cols))]
           for i in range(len(cols))]
    atb = [sum((A[r][i] * rhs[r] for r in range(len(A))), Fraction(0)) for i in range(len(cols))]
    c = _solve(ata, atb) if cols else []
    E = list(P[n + 1])
    for cj, j in zip(c, cols):
        for i, v in enumerate(P[j]):
            E[i] += cj * v
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        gauss = _zeros(P[n])
        x = sorted(gauss + _zeros(E))
        # Kronrod weights: ∑ w_i P_k(x_i) = 2 δ_k0, k = 0..2n.
        pd = [[Decimal(q.numerator) / Decimal(q.denominator) for q in P[k]]
              for k in range(2 * n + 1)]
        V = [[_horner(pd[k], xi)[0] for xi in x] for k in range(2 * n + 1)]
        wk = _solve(V, [Decimal(2)] + [Decimal(0)] * (2 * n))
        # Gauss weights: 2 / ((1 - x^2) P_n'(x)^2).
        pn = pd[n]
        wg = {xi: 2 / ((1 - xi * xi) * _horner(pn, xi)[1] ** 2) for xi in gauss}
        wgk = [wg.get(xi, Decimal(0)) for xi in x]
        xs = np.array([float(v) for v in x])
        wks = np.array([float(v) for v in wk])
        wgs = np.array([float(v) for v in wgk])
    for arr in (xs, wks, wgs):
        arr.flags.writeable = False
    return xs, wks, wgs
