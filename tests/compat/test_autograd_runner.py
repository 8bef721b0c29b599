"""``python -m chainrule.compat.autograd``: programs written for autograd run unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import sys
    import autograd
    import autograd.numpy as np
    import autograd.numpy.random as npr
    import autograd.scipy.stats.norm as norm
    from autograd import grad
    from autograd.misc.optimizers import adam

    assert autograd.__name__ == "chainrule.compat.autograd", autograd.__name__
    assert np.__name__ == "chainrule.compat.autograd.numpy"
    assert sys.modules["autograd.numpy"] is np
    print("argv", sys.argv[1:])
    print("grad", grad(lambda x: np.sum(np.tanh(x) ** 2))(np.ones(2)).round(6).tolist())
    print("norm", round(float(grad(norm.logpdf)(0.5)), 6))
    print("main", __name__)
""")


def _run(args, cwd):
    return subprocess.run([sys.executable, "-m", "chainrule.compat.autograd", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_runs_a_script_with_its_arguments(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    (tmp_path / "helper_mod.py").write_text("VALUE = 7\n")
    script.write_text(PROGRAM + "import helper_mod\nprint('helper', helper_mod.VALUE)\n")
    p = _run([str(script), "a", "--b=1"], cwd="/")
    assert p.returncode == 0, p.stderr
    assert "argv ['a', '--b=1']" in p.stdout
    assert "grad [0.6397, 0.6397]" in p.stdout
    assert "norm -0.5" in p.stdout and "main __main__" in p.stdout
    assert "helper 7" in p.stdout  # the script's directory is on sys.path


def test_runs_a_module_and_a_command(tmp_path):
    (tmp_path / "progmod.py").write_text(PROGRAM)
    p = _run(["-m", "progmod", "x"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "argv ['x']" in p.stdout and "main __main__" in p.stdout
    p = _run(["-c", "import autograd; print(autograd.__version__)"], cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == "1.9.1", p.stderr


def test_failure_exit_status_and_usage(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("import sys\nsys.exit(3)\n")
    assert _run([str(script)], cwd=tmp_path).returncode == 3
    p = _run([], cwd=tmp_path)
    assert p.returncode == 2 and "usage" in p.stderr


def test_alias_wins_over_an_installed_autograd(tmp_path):
    fake = tmp_path / "site" / "autograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("REAL = True\n")
    (fake / "numpy.py").write_text("REAL = True\n")
    env = {"PYTHONPATH": str(tmp_path / "site")}
    code = ("import autograd, autograd.numpy as np; "
            "print(autograd.__name__, np.__name__, hasattr(autograd, 'REAL'))")
    p = subprocess.run([sys.executable, "-m", "chainrule.compat.autograd", "-c", code],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **env})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["chainrule.compat.autograd", "chainrule.compat.autograd.numpy",
                                "False"]
    p = subprocess.run([sys.executable, "-c", "import autograd; print(autograd.REAL)"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **env})
    assert p.stdout.strip() == "True"  # without the runner, the installed one is imported
