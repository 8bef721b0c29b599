"""The second-order composition check behind tests/functional/test_composition*.py.

For a function ``f`` of arrays ``xs`` (every one differentiated) with array outputs, three
first-order maps are differentiated once more, by each mode:

- ``f`` itself, as a function of ``x``: forward over forward (jvp of jvp), reverse over forward
  (vjp of jvp), forward over reverse (jvp of vjp) and reverse over reverse (vjp of vjp). All
  four compute w^T D2f(x)[a, b] for random directions a, b and weights w.
- the Jacobian-vector product ``G(x, v) = J(x) v`` as a function of the primal *and* the
  tangent: forward (jvp of jvp) and reverse (vjp of jvp).
- the vector-Jacobian product ``H(x, u) = J(x)^T u`` as a function of the primal *and* the
  cotangent: forward (jvp of vjp) and reverse (vjp of vjp).

Each check projects to one number with random weights and directions and compares it with a
central difference, in float64, of the matching first-order quantity (computed by chainrule's
first-order transforms, which the primitive tests check against finite differences of the
function). So a rule that is right to first order but wrong when it is itself differentiated
(it drops the dependence on the cotangent or tangent, or on the primal, when recorded) fails
here. Complex arrays are pairs of reals: <a, b> = Re(sum(conj(a) b)).
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr

# (first-order map, outer mode over inner mode): f = the function, jvp = G(x, v), vjp = H(x, u)
CHECKS = ("f:ff", "f:rf", "f:fr", "f:rr", "jvp:ff", "jvp:rf", "vjp:fr", "vjp:rr")


def _arr(o):
    return np.asarray(o._data if hasattr(o, "_data") else o)


def _dot(a, b) -> float:
    return float(np.real(np.sum(np.conj(_arr(a)) * _arr(b))))


def _dots(xs, ys) -> float:
    return sum(_dot(a, b) for a, b in zip(xs, ys))


def _shift(xs, s, ds):
    return [x + s * d for x, d in zip(xs, ds)]


class Composition:
    """The checks for ``fn(*xs)`` (see the module docstring).

    ``project[i]``, when given, makes a direction for input ``i`` admissible (e.g. symmetric,
    for a function that reads one triangle of a symmetric matrix).
    """

    def __init__(self, fn, xs, project=None, seed=0, h=1e-5, rtol=2e-5, atol=1e-6):
        self.fn = fn
        self.xs = [np.array(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)
                   for x in xs]
        self.n = len(self.xs)
        self.project = list(project or [None] * self.n)
        self.h, self.rtol, self.atol = h, rtol, atol
        leaves = self._leaves(fn(*[x.copy() for x in self.xs]))
        self.keep = [k for k, o in enumerate(leaves) if _arr(o).dtype.kind in "fc"]
        outs = [_arr(leaves[k]) for k in self.keep]
        r = np.random.default_rng(seed)

        def draw(like, proj=None):
            d = r.standard_normal(like.shape)
            if like.dtype.kind == "c":
                d = d + 1j * r.standard_normal(like.shape)
            return proj(d) if proj is not None else d

        self.A = [draw(x, p) for x, p in zip(self.xs, self.project)]
        self.B = [draw(x, p) for x, p in zip(self.xs, self.project)]
        self.V = [draw(x, p) for x, p in zip(self.xs, self.project)]  # a tangent of x
        self.Vb = [draw(x, p) for x, p in zip(self.xs, self.project)]  # a direction for it
        self.U = [draw(o) for o in outs]  # a cotangent of the outputs
        self.Ub = [draw(o) for o in outs]  # a direction for it
        self.W = [draw(o) for o in outs]  # weights on the outputs
        self.C = [draw(x) for x in self.xs]  # weights on the gradients

    @staticmethod
    def _leaves(out):
        if isinstance(out, (tuple, list)):
            return [x for o in out for x in Composition._leaves(o)]
        return [out]

    @property
    def differentiable(self) -> bool:
        return bool(self.keep) and self.n > 0

    # --- the function and its first-order maps -------------------------------------------------
    def F(self, *xs):
        leaves = self._leaves(self.fn(*xs))
        return tuple(leaves[k] for k in self.keep)

    def jvp_of(self, xs, vs):
        """G(x, v) = J(x) v, one tangent per output."""
        return tuple(cr.jvp(self.F, tuple(xs), tuple(vs))[1])

    def vjp_of(self, xs, us):
        """H(x, u) = J(x)^T u, one cotangent per input."""
        _, back = cr.vjp(self.F, *xs)
        return tuple(back(tuple(us)))

    # --- finite differences of the first-order quantities --------------------------------------
    def _fd(self, phi):
        h = self.h
        return (phi(h) - phi(-h)) / (2 * h)

    def reference(self, which):
        """The central difference that check ``which`` must match."""
        kind = which.split(":")[0]
        xs = self.xs
        if kind == "f":
            return self._fd(lambda s: _dots(self.W, self.jvp_of(_shift(xs, s, self.B), self.A)))
        if kind == "jvp":
            return self._fd(lambda s: _dots(self.W, self.jvp_of(_shift(xs, s, self.A),
                                                                _shift(self.V, s, self.Vb))))
        return self._fd(lambda s: _dots(self.C, self.vjp_of(_shift(xs, s, self.A),
                                                            _shift(self.U, s, self.Ub))))

    # --- the compositions ----------------------------------------------------------------------
    def compose(self, which):
        """Check ``which`` computed by the composed transforms, projected to one number."""
        n, xs = self.n, tuple(self.xs)
        if which == "f:ff":
            t = cr.jvp(lambda *x: self.jvp_of(x, self.A), xs, tuple(self.B))[1]
            return _dots(self.W, t)
        if which == "f:rf":
            _, back = cr.vjp(lambda *x: self.jvp_of(x, self.A), *xs)
            return _dots(back(tuple(self.W)), self.B)
        if which == "f:fr":
            t = cr.jvp(lambda *x: self.vjp_of(x, self.W), xs, tuple(self.B))[1]
            return _dots(t, self.A)
        if which == "f:rr":
            _, back = cr.vjp(lambda *x: self.vjp_of(x, self.W), *xs)
            return _dots(back(tuple(self.A)), self.B)
        if which == "jvp:ff":
            t = cr.jvp(lambda *z: self.jvp_of(z[:n], z[n:]), xs + tuple(self.V),
                       tuple(self.A) + tuple(self.Vb))[1]
            return _dots(self.W, t)
        if which == "jvp:rf":
            _, back = cr.vjp(lambda *z: self.jvp_of(z[:n], z[n:]), *xs, *self.V)
            return _dots(back(tuple(self.W)), list(self.A) + list(self.Vb))
        if which == "vjp:fr":
            t = cr.jvp(lambda *z: self.vjp_of(z[:n], z[n:]), xs + tuple(self.U),
                       tuple(self.A) + tuple(self.Ub))[1]
            return _dots(self.C, t)
        if which == "vjp:rr":
            _, back = cr.vjp(lambda *z: self.vjp_of(z[:n], z[n:]), *xs, *self.U)
            return _dots(back(tuple(self.C)), list(self.A) + list(self.Ub))
        raise ValueError(f"unknown check {which!r}; one of {CHECKS}")

    # --- higher orders -------------------------------------------------------------------------
    def chain(self, modes: str):
        """w^T D^k f(x)[d_1, ..., d_k] with k = len(modes) transforms nested, innermost first:
        "f" is the jvp along d_j (the j-th op), "r" the vjp with cotangent w while the map is
        output-valued (d_j is then left over, and contracts the result at the end), else with
        cotangent d_j. The form is symmetric in the directions, so every string of modes of one
        length gives the same number."""
        if len(modes) > 4:
            raise ValueError("chain: at most 4 nested transforms")
        dirs = [self.A, self.B, self.V, self.Vb]
        g, on_output, spare = self.F, True, None
        for j, m in enumerate(modes):
            if m == "f":
                def g(*x, g=g, d=tuple(dirs[j])):
                    return tuple(cr.jvp(g, tuple(x), d)[1])
                continue
            ct = tuple(self.W) if on_output else tuple(dirs[j])
            if on_output:
                spare, on_output = j, False

            def g(*x, g=g, ct=ct):
                _, back = cr.vjp(g, *x)
                return tuple(back(ct))
        out = g(*self.xs)
        return _dots(self.W, out) if on_output else _dots(out, dirs[spare])

    def chain_reference(self, k: int):
        """A central difference, along the k-th direction, of the order k - 1 form (computed
        all in forward mode)."""
        d = [self.A, self.B, self.V, self.Vb][k - 1]
        xs0 = self.xs

        def phi(s):
            self.xs = _shift(xs0, s, d)
            try:
                return self.chain("f" * (k - 1))
            finally:
                self.xs = xs0
        return self._fd(phi)

    def failures(self, checks=CHECKS) -> list[str]:
        """The checks among ``checks`` whose composition disagrees with finite differences
        (or raises), each described in one line."""
        out = []
        refs = {}
        for which in checks:
            kind = which.split(":")[0]
            if kind not in refs:
                refs[kind] = self.reference(which)
            fd = refs[kind]
            try:
                got = self.compose(which)
            except Exception as e:  # noqa: BLE001 - reported as a failure of this check
                out.append(f"{which}: raised {type(e).__name__}: {str(e)[:300]}")
                continue
            if not math.isclose(got, fd, rel_tol=self.rtol, abs_tol=self.atol):
                out.append(f"{which}: {got:.10g} vs finite differences {fd:.10g}")
        return out


def symmetric(d):
    """A symmetric direction (for inputs read through one triangle)."""
    return (d + np.swapaxes(d, -1, -2)) / 2
