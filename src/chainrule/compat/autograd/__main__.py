"""``python -m chainrule.compat.autograd script.py [args]``: run a program written for HIPS
autograd on chainrule, unchanged.

While the program runs, ``import autograd`` (and ``autograd.numpy``, ``autograd.scipy.stats``,
...) loads ``chainrule.compat.autograd``. Also ``-m module [args]`` (e.g. ``-m pytest``) and
``-c code [args]``, as with ``python`` itself.
"""

from __future__ import annotations

import os
import runpy
import sys

from ._alias import install

USAGE = ("usage: python -m chainrule.compat.autograd script.py [args ...]\n"
         "       python -m chainrule.compat.autograd -m module [args ...]\n"
         "       python -m chainrule.compat.autograd -c code [args ...]")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[1]] + argv[2:]
        if not sys.path or sys.path[0] not in ("", os.getcwd()):
            sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    if argv[0] == "-c":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = ["-c"] + argv[2:]
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        return 0
    script = argv[0]
    sys.argv = argv
    # as ``python script.py`` does: the script's directory (not the current one) comes first
    script_dir = os.path.dirname(os.path.abspath(script))
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    code = main()
    sys.exit(code)
