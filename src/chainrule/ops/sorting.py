"""PyTorch-spelled sorting operations (see chainrule/ops/__init__.py)."""

__all__: list[str] = []
