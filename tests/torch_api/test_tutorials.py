"""The tutorial-style programs of examples/tutorials/ (written with ``import chainrule as
torch``) run and reach their bars, at small sizes."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

TUTORIALS = Path(__file__).resolve().parents[2] / "examples" / "tutorials"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"chainrule_tutorial_{name}",
                                                  TUTORIALS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrices: one BLAS thread is as fast, and a second spin-waits on a busy machine."""
    import threadpoolctl

    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def test_every_tutorial_is_tested():
    tested = {"autograd_basics", "polynomial_fit", "custom_function", "cifar_cnn",
              "lstm_tagger", "dataloader_training", "save_load"}
    assert {p.stem for p in TUTORIALS.glob("*.py")} == tested


def test_autograd_basics():
    out = load("autograd_basics").main()
    assert out["b_ok"] and out["w_ok"]
    expected = np.full((4, 5), 2.0) + 2 * np.eye(4, 5)  # d/dx sum((x + 1)^2) = 2 (x + 1)
    np.testing.assert_array_equal(out["vjp"].numpy(), expected)
    np.testing.assert_array_equal(out["repeat"].numpy(), expected)
    assert out["tracking"] == (True, False, False)


def test_polynomial_fit():
    mod = load("polynomial_fit")
    # the loss of the best cubic on this grid is about 8.8 (summed over 2000 points)
    assert mod.with_autograd(steps=800) < 60
    assert mod.with_nn(steps=800) < 60
    assert mod.with_optim(steps=600) < 200


def test_custom_function():
    out = load("custom_function").main(steps=600)
    assert out["gradcheck"] and out["last"] < out["first"] / 5 and math.isfinite(out["last"])


def test_cifar_cnn():
    out = load("cifar_cnn").main(n_train=32, epochs=2, batch_size=16)
    assert out["losses"][1] < out["losses"][0] and out["loss_dtype"] == cr.float32
    assert 0 <= out["accuracy"] <= 1


def test_lstm_tagger():
    out = load("lstm_tagger").main(epochs=60)
    assert out["after"] < out["before"] / 1.4
    assert out["predicted"] == out["expected"]


def test_dataloader_training():
    out = load("dataloader_training").main(epochs=4)
    hist = out["history"]
    assert hist[-1] < hist[0] / 1.5 and out["batches"] == 13
    assert out["lrs"] == [0.005] and out["max_norm"] > 0


def test_save_load():
    out = load("save_load").main()
    assert out["same_eval"] and out["epoch"] == 20
    assert out["resumed"][0] == out["resumed"][1]
