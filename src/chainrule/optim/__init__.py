"""``chainrule.optim``: optimizers with PyTorch's update formulas, learning-rate schedulers
(``chainrule.optim.lr_scheduler``), and optimizers as functions over nested parameters
(``chainrule.optim.functional``). See docs/nn.md."""

from . import functional, lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS",
           "lr_scheduler", "functional"]
