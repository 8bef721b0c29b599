"""Compatibility layers that let programs written for other automatic-differentiation libraries
run on chainrule unchanged. ``chainrule.compat.autograd`` stands in for HIPS autograd."""
