"""Tests of the PyTorch face (issue 12): functions, methods, linalg/fft/special, op_db."""
