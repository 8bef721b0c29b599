"""Shared by the optimize tests."""

import pytest


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrices: on a busy 2-core machine a second BLAS thread spin-waits between the
    solver's calls (SciPy's L-BFGS-B then runs ~10x slower)."""
    import threadpoolctl

    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
