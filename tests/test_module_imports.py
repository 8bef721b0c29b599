"""The module spellings HIPS autograd programs use have chainrule counterparts:
``import chainrule.numpy.random as npr``, ``import chainrule.numpy.linalg``,
``import chainrule.numpy.fft``, ``import chainrule.scipy.stats.norm as norm`` (each distribution),
and ``chainrule.viz`` reachable after ``import chainrule``. Each runs in a fresh interpreter, so
that the import statement itself is what is tested."""

from __future__ import annotations

import subprocess
import sys

import pytest

DISTRIBUTIONS = ["norm", "t", "gamma", "beta", "chi2", "poisson", "binom", "expon", "uniform",
                 "laplace", "cauchy", "lognorm", "dirichlet", "multivariate_normal"]


def _run(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_numpy_submodules_import():
    out = _run(
        "import numpy\n"
        "import chainrule.numpy.random as npr\n"
        "import chainrule.numpy.linalg as la\n"
        "import chainrule.numpy.fft as fft\n"
        "import chainrule.numpy as np\n"
        "assert npr is numpy.random and np.random is npr\n"
        "assert la is np.linalg and fft is np.fft\n"
        "from chainrule.numpy.random import randn\n"
        "npr.seed(0); print(npr.randn(2).shape, la.det(np.eye(2)))\n")
    assert out == "(2,) 1.0"


def test_numpy_random_before_chainrule_numpy():
    assert _run("import chainrule.numpy.random as npr; print(npr.__name__)") == "numpy.random"


def test_stats_distributions_import_as_modules():
    code = "import types, numpy\n"
    for name in DISTRIBUTIONS:
        code += (f"import chainrule.scipy.stats.{name} as d\n"
                 f"import chainrule.scipy.stats as st\n"
                 f"assert d is st.{name} and isinstance(d, types.ModuleType), '{name}'\n"
                 f"assert d.__name__ == 'chainrule.scipy.stats.{name}'\n")
    code += ("import chainrule.scipy.stats.norm as norm\n"
             "from chainrule.scipy.stats.t import logpdf\n"
             "import scipy.stats as ss\n"
             "assert abs(norm.logpdf(1.0, 0.5, 2.0) - ss.norm.logpdf(1.0, 0.5, 2.0)) < 1e-15\n"
             "assert abs(logpdf(0.3, 3.0) - ss.t.logpdf(0.3, 3.0)) < 1e-15\n"
             "assert abs(norm(0.5, 2.0).cdf(1.0) - ss.norm.cdf(1.0, 0.5, 2.0)) < 1e-15\n"
             "import chainrule as cr\n"
             "x = cr.tensor(1.0, requires_grad=True)\n"
             "print(float(cr.grad(norm.logpdf(x, 0.0, 1.0), [x])[0]))\n")
    assert _run(code) == "-1.0"


@pytest.mark.parametrize("name", ["norm", "multivariate_normal"])
def test_distribution_modules_pickle_by_reference(name):
    import pickle

    import chainrule.scipy.stats as st

    obj = getattr(st, name)
    assert pickle.loads(pickle.dumps(obj)) is obj
    assert "logpdf" in dir(obj) and not any(n.startswith("_") for n in dir(obj))


def test_viz_is_an_attribute():
    assert _run("import chainrule\nprint(chainrule.viz.draw_graph.__name__)") == "draw_graph"
