"""The chainrule demo: ``python -m chainrule.demo [--out DIR]``.

1. A short tour: a gradient, a third derivative against its closed form, a gradcheck, a fit.
2. The two-layer network on the CS231n spiral data, trained by gradient descent, with a
   progress bar showing loss and accuracy, and its gradients checked against finite
   differences before and during training.
3. An MLP on scikit-learn's bundled handwritten digits, trained with Adam, test accuracy shown.
4. Pictures: the spiral's decision boundary (spiral.png), the loss curves (loss.png), and the
   computational graph of one training step (graph.dot; graph.svg and graph.png where Graphviz
   is installed).

Needs the ``demo`` extra (matplotlib, tqdm, scikit-learn): ``pip install "chainrule[demo]"``.
Without one of them the demo still runs and says which part it skipped and what to install.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim, viz

DEFAULT_OUT = "chainrule-demo-output"
INSTALL_HINT = 'pip install "chainrule[demo]"  (or: pip install matplotlib tqdm scikit-learn)'


# ----------------------------------------------------------------------------- helpers


def _progress(iterable, desc: str, enabled: bool):
    """A tqdm progress bar, or a plain stand-in with the same ``set_postfix_str``."""
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(iterable, desc=desc, leave=True, dynamic_ncols=True,
                        mininterval=0.1, file=sys.stderr)
        except ImportError:
            pass

    class _Plain:
        def __init__(self, it):
            self.it, self.postfix = it, ""

        def __iter__(self):
            yield from self.it
            print(f"   {desc}: {self.postfix}")

        def set_postfix_str(self, s, refresh=True):
            self.postfix = s

    return _Plain(iterable)


def _verdict(name: str, func, inputs) -> bool:
    """Run gradcheck and print its verdict (never raises)."""
    try:
        ok = cr.autograd.gradcheck(func, inputs, raise_exception=True)
        detail = ""
    except Exception as exc:  # the demo reports a failure instead of stopping
        ok, detail = False, f"\n      {str(exc).splitlines()[0]}"
    n = sum(int(np.prod(x.shape)) for x in inputs if cr.is_tensor(x) and x.requires_grad)
    print(f"   gradcheck {name} ({n} inputs): {'passed' if ok else 'FAILED'}{detail}")
    return ok


# ----------------------------------------------------------------------------- 1. tour


def tour() -> None:
    print("1. A short tour")
    x = cr.tensor([0.5, 1.0, 2.0], requires_grad=True)
    (cr.sin(x) * x**2).sum().backward()
    xv = x.detach().numpy()
    by_hand = np.cos(xv) * xv**2 + 2 * xv * np.sin(xv)
    print(f"   d/dx sum(sin(x) x^2) at x = {xv}: {x.grad.numpy()} "
          f"(by hand {by_hand}, max difference {np.abs(x.grad.numpy() - by_hand).max():.1e})")

    t = cr.tensor(0.3, requires_grad=True)
    (d1,) = cr.grad(cr.tanh(t), t, create_graph=True)
    (d2,) = cr.grad(d1, t, create_graph=True)
    (d3,) = cr.grad(d2, t)
    th = np.tanh(0.3)
    closed = -2 * (1 - th**2) * (1 - 3 * th**2)
    print(f"   third derivative of tanh at 0.3: {d3.item():.12f} (closed form {closed:.12f})")

    a = cr.randn(3, 4, generator=cr.Generator(0), requires_grad=True)
    b = cr.randn(4, 2, generator=cr.Generator(1), requires_grad=True)
    f = lambda a, b: cr.logsumexp(cr.tanh(a @ b), dim=1)
    ok = (cr.autograd.gradcheck(f, (a, b), raise_exception=False)
          and cr.autograd.gradgradcheck(f, (a, b), raise_exception=False))
    print(f"   gradcheck and gradgradcheck of logsumexp(tanh(a @ b)): "
          f"{'passed' if ok else 'FAILED'}")

    gen = cr.Generator(42)
    xs = cr.linspace(-1, 1, 50)
    ys = 3.0 * xs - 0.5 + 0.1 * cr.randn(50, generator=gen)
    w = cr.zeros(1, requires_grad=True)
    c = cr.zeros(1, requires_grad=True)
    for _ in range(200):
        loss = ((w * xs + c - ys) ** 2).mean()
        gw, gc = cr.grad(loss, [w, c])
        with cr.no_grad():
            w -= 0.5 * gw
            c -= 0.5 * gc
    print(f"   fit y = w x + c by gradient descent: w {w.item():+.4f}, c {c.item():+.4f} "
          f"(true +3.0000, -0.5000), loss {loss.item():.5f}")


# ----------------------------------------------------------------------------- 2. spiral


def make_spiral(n: int = 100, k: int = 3, seed: int = 0):
    """The CS231n spiral: ``n`` points per class on ``k`` noisy arms."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n * k, 2))
    y = np.zeros(n * k, dtype=np.int64)
    for j in range(k):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(j * 4, (j + 1) * 4, n) + rng.standard_normal(n) * 0.2
        X[n * j:n * (j + 1)] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[n * j:n * (j + 1)] = j
    return X, y


def spiral_model(hidden: int = 100, seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 3)).double()
    with cr.no_grad():  # the CS231n initialisation: small weights, zero biases
        for name, p in model.named_parameters():
            p.copy_(0.01 * cr.randn(*p.shape, dtype=cr.float64) if "weight" in name
                    else cr.zeros(*p.shape, dtype=cr.float64))
    return model


def spiral_loss(model: nn.Module, X, y, reg: float = 1e-3):
    """Softmax cross-entropy plus L2 regularisation of the weights, as in the CS231n notes."""
    scores = model(X)
    reg_loss = sum((p * p).sum() for name, p in model.named_parameters() if "weight" in name)
    return F.cross_entropy(scores, y) + 0.5 * reg * reg_loss, scores


def train_spiral(steps: int, progress: bool):
    print("\n2. The spiral data set (CS231n): 3 classes x 100 points, 2 -> 100 -> 3 ReLU network,"
          " softmax cross-entropy + L2, gradient descent")
    X_np, y_np = make_spiral()
    X, y = cr.tensor(X_np), cr.tensor(y_np)
    model = spiral_model()
    opt = optim.SGD(model.parameters(), lr=1.0)
    params = list(model.parameters())
    # 20 of the 300 points keep the finite differences quick; the first point of each arm lies
    # exactly at the origin, where every ReLU sits on its kink at the start, so start at 7
    few = slice(7, None, 15)

    def check(when):
        def f(*ps):
            h = cr.relu(X[few] @ ps[0].T + ps[1])
            scores = h @ ps[2].T + ps[3]
            reg = 0.5e-3 * ((ps[0] * ps[0]).sum() + (ps[2] * ps[2]).sum())
            return F.cross_entropy(scores, y[few]) + reg
        # the same loss written out by hand, checked at the model's current parameters
        inputs = tuple(p.detach().clone().requires_grad_() for p in params)
        return _verdict(f"of the spiral loss {when}", f, inputs)

    check("before training")
    losses, accs = [], []
    bar = _progress(range(steps), "spiral", progress)
    for step in bar:
        opt.zero_grad()
        loss, scores = spiral_loss(model, X, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == steps - 1:
            acc = float((scores.detach().numpy().argmax(1) == y_np).mean())
            accs.append((step, acc))
            bar.set_postfix_str(f"loss {losses[-1]:.4f} acc {acc:.1%}", refresh=False)
        if step == steps // 2:
            check(f"at step {step}")
    with cr.no_grad():
        final_acc = float((model(X).numpy().argmax(1) == y_np).mean())
    print(f"   spiral: final loss {losses[-1]:.4f}, training accuracy {final_acc:.1%}")
    return model, (X_np, y_np), (losses, accs), final_acc


# ----------------------------------------------------------------------------- 3. digits


def train_digits(epochs: int, progress: bool):
    print("\n3. Handwritten digits (scikit-learn's load_digits, 8x8 images): "
          "MLP 64 -> 128 -> 64 -> 10, Adam")
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        print(f"   skipped: scikit-learn is not installed. {INSTALL_HINT}")
        return None
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, digits.target.astype(np.int64), test_size=0.25,
                                          random_state=0, stratify=digits.target)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)

    def test_accuracy():
        with cr.no_grad():
            return float((model(cr.tensor(Xte)).numpy().argmax(1) == yte).mean())

    # gradcheck the last layer and the loss, in float64, on a few training images
    with cr.no_grad():
        feats = model[:4](cr.tensor(Xtr[:8])).double()
    last = model[4]
    _verdict("of the digits loss w.r.t. the last layer",
             lambda W, b: F.cross_entropy(F.linear(feats, W, b), cr.tensor(ytr[:8])),
             (last.weight.detach().double().requires_grad_(),
              last.bias.detach().double().requires_grad_()))

    losses, test_accs = [], []
    batch = 64
    bar = _progress(range(epochs), "digits", progress)
    for _epoch in bar:
        order = rng.permutation(len(Xtr))
        for start in range(0, len(order) - batch + 1, batch):  # whole batches only
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(cr.tensor(Xtr[idx])), cr.tensor(ytr[idx]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        test_accs.append(test_accuracy())
        bar.set_postfix_str(f"loss {np.mean(losses[-(len(order) // batch):]):.4f} "
                            f"test acc {test_accs[-1]:.1%}", refresh=False)
    print(f"   digits: {len(Xtr)} training / {len(Xte)} test images, "
          f"test accuracy {test_accs[-1]:.1%}")
    return losses, test_accs, len(Xtr) // batch


# ----------------------------------------------------------------------------- 4. pictures


def _figure(**kwargs):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)  # the Agg canvas: no display, no global pyplot state
    return fig


def plot_spiral(model, data, path: Path) -> None:
    X, y = data
    h = 0.01
    xx, yy = np.meshgrid(np.arange(X[:, 0].min() - 0.2, X[:, 0].max() + 0.2, h),
                         np.arange(X[:, 1].min() - 0.2, X[:, 1].max() + 0.2, h))
    with cr.no_grad():
        Z = model(cr.tensor(np.c_[xx.ravel(), yy.ravel()])).numpy().argmax(1)
    fig = _figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    ax.contourf(xx, yy, Z.reshape(xx.shape), levels=[-0.5, 0.5, 1.5, 2.5],
                colors=["#fbb4ae", "#b3cde3", "#ccebc5"], alpha=0.8)
    for k, colour in enumerate(["#e41a1c", "#377eb8", "#4daf4a"]):
        ax.scatter(X[y == k, 0], X[y == k, 1], s=14, c=colour, edgecolors="k", linewidths=0.3,
                   label=f"class {k}")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("spiral: decision boundary of the 2-layer network")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_losses(spiral, digits, path: Path) -> None:
    spiral_losses, spiral_accs = spiral
    fig = _figure(figsize=(10, 4))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(spiral_losses, color="#377eb8", label="loss")
    ax.set_yscale("log")
    ax.set_xlabel("gradient descent step")
    ax.set_ylabel("loss (cross-entropy + L2)")
    ax2 = ax.twinx()
    steps, accs = zip(*spiral_accs)
    ax2.plot(steps, accs, color="#4daf4a", label="training accuracy")
    ax2.set_ylabel("training accuracy")
    ax2.set_ylim(0.0, 1.0)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
    ax.set_title("spiral")
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(1, 2, 2)
    if digits is None:
        ax.text(0.5, 0.5, "digits skipped\n(scikit-learn not installed)", ha="center",
                va="center", transform=ax.transAxes)
    else:
        losses, test_accs, per_epoch = digits
        ax.plot(losses, color="#e41a1c", alpha=0.35, lw=0.8, label="train loss (batch)")
        smooth = np.convolve(losses, np.ones(per_epoch) / per_epoch, mode="valid")
        ax.plot(np.arange(per_epoch - 1, len(losses)), smooth, color="#e41a1c",
                label="train loss (epoch mean)")
        ax.set_yscale("log")
        ax.set_xlabel("Adam step")
        ax.set_ylabel("cross-entropy")
        ax2 = ax.twinx()
        ax2.plot(np.arange(1, len(test_accs) + 1) * per_epoch, test_accs, "o-",
                 color="#4daf4a", ms=3, label="test accuracy")
        ax2.set_ylabel("test accuracy")
        ax2.set_ylim(0.0, 1.0)
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
        ax.grid(alpha=0.3)
    ax.set_title("digits MLP")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_graph(model, data, out: Path) -> list[Path]:
    X, y = data
    loss, _ = spiral_loss(model, cr.tensor(X[:8]), cr.tensor(y[:8]))
    source = viz.draw_graph(loss, model.named_parameters())
    dot_path = out / "graph.dot"
    dot_path.write_text(source)
    written = [dot_path]
    try:
        written += viz.render(source, out / "graph")
    except Exception as exc:  # a broken Graphviz install should not end the demo
        print(f"   Graphviz could not render the graph: {exc}")
    return written


# ----------------------------------------------------------------------------- main


def _one_blas_thread():
    """Limit NumPy's BLAS to one thread while the demo runs, where threadpoolctl (a dependency
    of scikit-learn) is installed. The demo's matrices are small: a second BLAS thread buys
    nothing there, and on a busy machine its spin-waiting makes training many times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainrule.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"directory for the pictures (default: ./{DEFAULT_OUT})")
    parser.add_argument("--spiral-steps", type=int, default=4000, help=argparse.SUPPRESS)
    parser.add_argument("--digits-epochs", type=int, default=30, help=argparse.SUPPRESS)
    parser.add_argument("--no-progress", action="store_true", help="plain output, no bars")
    args = parser.parse_args(argv)
    with _one_blas_thread():
        run(args)
    return 0


def run(args) -> None:
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print(f"chainrule {cr.__version__} - exact derivatives of NumPy code\n")
    tour()
    model, data, spiral_curves, _ = train_spiral(args.spiral_steps, not args.no_progress)
    digits = train_digits(args.digits_epochs, not args.no_progress)

    print("\n4. Pictures")
    written = []
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"   skipped spiral.png and loss.png: matplotlib is not installed. {INSTALL_HINT}")
    else:
        plot_spiral(model, data, out / "spiral.png")
        plot_losses(spiral_curves, digits, out / "loss.png")
        written += [out / "spiral.png", out / "loss.png"]
    written += write_graph(model, data, out)
    descriptions = {
        "spiral.png": "the spiral's decision boundary",
        "loss.png": "the loss curves",
        "graph.dot": "the graph of one training step, Graphviz DOT source",
        "graph.svg": "the graph of one training step",
        "graph.png": "the graph of one training step",
    }
    print(f"   wrote to {out.resolve()}:")
    for path in written:
        print(f"     {path.name:<10} {descriptions.get(path.name, '')}")
    if not viz.graphviz_available():
        print("   Graphviz's `dot` is not installed, so graph.dot was not drawn. Get it with\n"
              "     apt-get install graphviz   (Debian/Ubuntu; brew install graphviz on macOS)\n"
              f"   and run: dot -Tsvg {out / 'graph.dot'} -o {out / 'graph.svg'}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
