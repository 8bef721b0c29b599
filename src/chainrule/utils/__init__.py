"""``chainrule.utils``: ``checkpoint`` (as ``torch.utils.checkpoint``)."""

from . import checkpoint  # noqa: F401 - the module, as torch.utils.checkpoint

__all__ = ["checkpoint"]
