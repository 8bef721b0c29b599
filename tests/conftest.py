"""Test-suite setup: the repository root on sys.path, so that ``from tests.helpers import ...``
works however pytest is started (``python -m pytest tests``, ``pytest``, one file)."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
