"""``import chainrule.numpy as np``: NumPy's API, differentiable. (Being built: issue 4.)"""

from . import fft, linalg  # noqa: F401
