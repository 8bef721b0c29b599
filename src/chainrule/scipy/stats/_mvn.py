"""Placeholder: filled in by the issue-4 work."""

multivariate_normal = None
