"""Placeholder: filled in by the issue-4 work (see docs/architecture.md)."""

__all__: list[str] = []
