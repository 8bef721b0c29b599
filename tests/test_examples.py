"""The examples reach their quality bars, the demo writes valid pictures, viz draws graphs."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, viz

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"chainrule_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def one_blas_thread():
    """The examples multiply small matrices: one BLAS thread is as fast there, and on a busy
    2-core machine a second one spin-waits and makes them many times slower."""
    import threadpoolctl  # installed with scikit-learn (the test extra)

    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


# ----------------------------------------------------------------------------- examples


def test_spiral_reaches_98_percent_training_accuracy():
    spiral = load_example("spiral")
    _, accuracy = spiral.train(steps=3000, log_every=0)
    assert accuracy >= 0.98


def test_spiral_data_matches_the_cs231n_recipe():
    X, y = load_example("spiral").make_spiral()
    assert X.shape == (300, 2) and y.shape == (300,)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.abs(X).max() <= 1.0


def test_digits_mlp_test_accuracy():
    digits_mlp = load_example("digits_mlp")
    _, accuracy = digits_mlp.train(epochs=30, verbose=False)
    assert accuracy >= 0.95


def test_digits_cnn_reaches_97_percent_test_accuracy():
    digits_cnn = load_example("digits_cnn")
    _, accuracy = digits_cnn.train(verbose=False)
    assert accuracy >= 0.97


def test_linear_regression_loss_falls(capsys):
    regression = load_example("linear_regression")
    losses = regression.main()
    assert len(losses) == 100
    assert losses[-1] < 0.02 * losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # gradient descent on a
    assert "loss" in capsys.readouterr().out                       # convex quadratic


def test_linear_regression_runs_as_a_script():
    result = subprocess.run([sys.executable, str(EXAMPLES / "linear_regression.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "largest weight error" in result.stdout


def test_char_lstm_loss_falls_and_samples_text():
    char_lstm = load_example("char_lstm")
    model, losses, stoi, itos = char_lstm.train(steps=40, seq_len=32, batch_size=16,
                                                log_every=0)
    assert np.log(len(itos)) - 0.2 < losses[0] < np.log(len(itos)) + 0.2  # starts near uniform
    assert np.mean(losses[-5:]) < losses[0] - 0.8
    text = char_lstm.sample(model, "It was ", 40, stoi, itos)
    assert text.startswith("It was ") and len(text) == 47
    assert set(text) <= set(itos)


def test_char_lstm_text_ships_with_the_repo():
    text = (EXAMPLES / "data" / "public_domain.txt").read_text(encoding="ascii")
    assert 2000 < len(text) < 20000


def test_every_example_is_a_program():
    for path in sorted(EXAMPLES.glob("*.py")):
        source = path.read_text()
        assert source.startswith('"""'), path.name
        assert "def main(" in source and 'if __name__ == "__main__":' in source, path.name


# ----------------------------------------------------------------------------- the demo


def test_demo_writes_valid_pictures(tmp_path, capsys, monkeypatch):
    from chainrule import demo

    monkeypatch.setenv("PATH", str(tmp_path / "no-graphviz"))  # no `dot`: it says how to get it
    out = tmp_path / "out"
    assert demo.main(["--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("spiral.png", "loss.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000, name
    dot = (out / "graph.dot").read_text()
    assert dot.lstrip().startswith("digraph") and "MatmulBackward0" in dot
    assert "0.weight" in dot and "ReluBackward0" in dot
    assert str(out.resolve()) in printed
    assert "apt-get install graphviz" in printed
    assert "FAILED" not in printed and printed.count("passed") >= 4
    accuracy = float(printed.split("training accuracy ")[1].split("%")[0])
    assert accuracy >= 98.0


def test_demo_without_its_optional_packages_says_what_to_install(tmp_path, capsys,
                                                                  monkeypatch):
    from chainrule import demo

    for name in ("matplotlib", "tqdm", "tqdm.auto", "sklearn", "sklearn.datasets",
                 "sklearn.model_selection", "threadpoolctl"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    out = tmp_path / "out"
    assert demo.main(["--out", str(out), "--spiral-steps", "200"]) == 0
    printed = capsys.readouterr().out
    assert "scikit-learn is not installed" in printed
    assert "matplotlib is not installed" in printed
    assert 'pip install "chainrule[demo]"' in printed
    assert "spiral: loss" in printed  # the plain stand-in for the progress bar
    assert (out / "graph.dot").read_text().startswith("digraph")
    assert not (out / "spiral.png").exists()


def test_demo_renders_with_graphviz_when_dot_is_on_path(tmp_path, monkeypatch):
    # a stand-in for Graphviz's `dot`: writes its stdin to the -o file
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(f'#!{sys.executable}\nimport sys\n'
                    'out = sys.argv[sys.argv.index("-o") + 1]\n'
                    'data = sys.argv[1].encode() + b"\\n" + sys.stdin.buffer.read()\n'
                    'open(out, "wb").write(data)\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    assert viz.graphviz_available()
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    source = viz.draw_graph((x * x).sum(), {"x": x}, path=tmp_path / "g" / "graph")
    assert (tmp_path / "g" / "graph.dot").read_text() == source
    assert (tmp_path / "g" / "graph.svg").read_text().startswith("-Tsvg\ndigraph")
    assert (tmp_path / "g" / "graph.png").exists()


# ----------------------------------------------------------------------------- viz


def test_draw_graph_walks_grad_fn_to_the_leaves():
    w = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = cr.tensor([0.5, -0.5], requires_grad=True)
    x = cr.tensor([[1.0, -1.0]])  # does not require grad: not in the graph
    loss = cr.relu(x @ w + b).sum()
    dot = viz.draw_graph(loss, {"w": w, "b": b})
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    for name in ("SumBackward0", "ReluBackward0", "AddBackward0", "MatmulBackward0"):
        assert f'label="{name}' in dot
    assert 'label="w\\n(2, 2) float64"' in dot and 'label="b\\n(2,) float64"' in dot
    assert dot.count("#bbdefb") == 2  # the two leaves are marked
    # w -> matmul -> add -> relu -> sum -> out, b -> add; x requires no grad: not drawn
    assert dot.count(" -> ") == 6


def test_draw_graph_shares_a_node_used_twice_and_names_unnamed_leaves():
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x + x
    dot = viz.draw_graph(y)
    assert dot.count("#bbdefb") == 1 and 'label="leaf\\n() float64"' in dot
    assert dot.count(" -> ") == 5  # x->mul twice, x->add, mul->add, add->out


def test_draw_graph_of_a_leaf_and_of_a_constant():
    x = cr.tensor([1.0], requires_grad=True)
    assert "leaf -> out;" in viz.draw_graph(x, {"x": x})
    c = cr.tensor([1.0])
    dot = viz.draw_graph(c)
    assert "->" not in dot and "output (1,)" in dot


def test_draw_graph_accepts_named_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(cr.ones(2, 3)).sum()
    dot = viz.draw_graph(loss, model.named_parameters())
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f'label="{name}\\n' in dot
    assert "TanhBackward0" in dot


def test_draw_graph_marks_saved_arrays_and_dtypes():
    import chainrule as cr
    from chainrule.viz import draw_graph

    x = cr.ones(2, 3, requires_grad=True)
    w = cr.ones(3, dtype="float32", requires_grad=True)
    y = (cr.sin(x) @ w).sum()
    dot = draw_graph(y, {"x": x, "w": w})
    assert 'label="SinBackward0\\nsaved (2, 3) float64"' in dot
    assert 'label="w\\n(3,) float32"' in dot
    y.backward()
    assert "(saved values freed)" in draw_graph(y)
