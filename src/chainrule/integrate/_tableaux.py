"""Butcher tableaux of the explicit Runge-Kutta methods (``_rk.py`` steps with them).

Sources: Dormand and Prince, "A family of embedded Runge-Kutta formulae", J. Comput. Appl.
Math. 6 (1980); Tsitouras, "Runge-Kutta pairs of order 5(4) satisfying only the first column
simplifying assumption", Comput. Math. Appl. 62 (2011); Bogacki and Shampine, "A 3(2) pair of
Runge-Kutta formulas", Appl. Math. Lett. 2 (1989); Hairer, Norsett and Wanner, Solving ODEs I,
II.1 (Euler, midpoint, Heun, the classic RK4). tests/integrate/test_rk_engine.py checks every
order condition up to each method's order, and the embedded method's order."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TABLEAUX", "Tableau"]


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge-Kutta method: nodes ``c``, the strictly lower-triangular matrix ``a``
    as rows (``a[i]`` has i entries), weights ``b`` (order ``order``), and ``b_err = b - b_hat``,
    the weights of the embedded error estimate (order ``err_order``; None for fixed-step
    methods). ``fsal``: the last stage is f(t + h, y_new), so it is the next step's first."""

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    b_err: tuple[float, ...] | None
    order: int
    fsal: bool = False
    err_order: int | None = None
    # The non-zero coefficients as (stage index, coefficient), worked out once so that a step
    # skips the zeros without testing them: one tuple per stage 1..s-1, then b, then b_err.
    stage_terms: tuple = field(init=False, repr=False, compare=False)
    b_terms: tuple = field(init=False, repr=False, compare=False)
    err_terms: tuple | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        s = len(self.c)
        if len(self.a) != s or any(len(row) != i for i, row in enumerate(self.a)) \
                or len(self.b) != s or (self.b_err is not None and len(self.b_err) != s):
            raise ValueError(f"Tableau {self.name!r}: need {s} nodes, rows a[i] of length i, "
                             f"and {s} weights")
        if self.fsal and (self.c[-1] != 1.0 or tuple(self.a[-1]) != tuple(self.b[:-1])
                          or self.b[-1] != 0.0):
            raise ValueError(f"Tableau {self.name!r}: FSAL needs c[-1] = 1 and a[-1] = b")

        def nz(ws):
            return tuple((j, float(w)) for j, w in enumerate(ws) if w != 0.0)
        object.__setattr__(self, "stage_terms", tuple(nz(row) for row in self.a[1:]))
        object.__setattr__(self, "b_terms", nz(self.b))
        object.__setattr__(self, "err_terms", None if self.b_err is None else nz(self.b_err))

    @property
    def stages(self) -> int:
        return len(self.c)

    @property
    def adaptive(self) -> bool:
        return self.b_err is not None


def _minus(b, b_hat):
    return tuple(x - y for x, y in zip(b, b_hat))


_DOPRI5_B = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
DOPRI5 = Tableau(
    "dopri5",
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=((),
       (1 / 5,),
       (3 / 40, 9 / 40),
       (44 / 45, -56 / 15, 32 / 9),
       (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
       (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
       _DOPRI5_B[:6]),
    b=_DOPRI5_B,
    # b - b_hat with b_hat = (5179/57600, 0, 7571/16695, 393/640, -92097/339200, 187/2100,
    # 1/40), written exactly
    b_err=(71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40),
    order=5, fsal=True, err_order=4)

# Tsitouras (2011), Table 1 (the coefficients are the decimals of the paper; c2..c4 are the free
# parameters, the rest solve the order conditions, satisfied to rounding).
_TSIT5_B = (0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742,
            -3.290069515436081, 2.324710524099774, 0.0)
TSIT5 = Tableau(
    "tsit5",
    c=(0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0),
    a=((),
       (0.161,),
       (-0.008480655492356989, 0.335480655492357),
       (2.897153057105493, -6.359448489975075, 4.3622954328695815),
       (5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525),
       (5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401,
        -0.028269050394068383),
       _TSIT5_B[:6]),
    b=_TSIT5_B,
    b_err=(-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995,
           -0.1447110071732629, 0.5823571654525552, -0.45808210592918697, 1 / 66),
    order=5, fsal=True, err_order=4)

_BOSH3_B = (2 / 9, 1 / 3, 4 / 9, 0.0)
BOSH3 = Tableau(
    "bosh3",
    c=(0.0, 1 / 2, 3 / 4, 1.0),
    a=((), (1 / 2,), (0.0, 3 / 4), _BOSH3_B[:3]),
    b=_BOSH3_B,
    b_err=_minus(_BOSH3_B, (7 / 24, 1 / 4, 1 / 3, 1 / 8)),
    order=3, fsal=True, err_order=2)

EULER = Tableau("euler", c=(0.0,), a=((),), b=(1.0,), b_err=None, order=1)
MIDPOINT = Tableau("midpoint", c=(0.0, 1 / 2), a=((), (1 / 2,)), b=(0.0, 1.0), b_err=None,
                   order=2)
HEUN = Tableau("heun", c=(0.0, 1.0), a=((), (1.0,)), b=(1 / 2, 1 / 2), b_err=None, order=2)
RK4 = Tableau("rk4", c=(0.0, 1 / 2, 1 / 2, 1.0),
              a=((), (1 / 2,), (0.0, 1 / 2), (0.0, 0.0, 1.0)),
              b=(1 / 6, 1 / 3, 1 / 3, 1 / 6), b_err=None, order=4)

TABLEAUX: dict[str, Tableau] = {
    "dopri5": DOPRI5, "tsit5": TSIT5, "bosh3": BOSH3,
    "rk45": DOPRI5,   # SciPy's RK45 is Dormand-Prince 5(4)
    "rk23": BOSH3,    # SciPy's RK23 is Bogacki-Shampine 3(2)
    "euler": EULER, "midpoint": MIDPOINT, "heun": HEUN, "rk4": RK4,
}
