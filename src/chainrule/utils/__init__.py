"""``chainrule.utils``: ``checkpoint`` (as ``torch.utils.checkpoint``) and ``data`` (as
``torch.utils.data``)."""

from . import checkpoint, data  # noqa: F401 - the modules, as torch.utils.checkpoint / .data

__all__ = ["checkpoint", "data"]
