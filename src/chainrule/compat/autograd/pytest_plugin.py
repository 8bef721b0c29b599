"""A pytest plugin that makes ``import autograd`` load ``chainrule.compat.autograd``:
``python -m pytest -p chainrule.compat.autograd.pytest_plugin path/to/autograd/tests``.

The alias is installed when the plugin loads, before any test module is collected.
"""

from ._alias import install

install()
