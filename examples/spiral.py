"""The two-layer network on the spiral data set from the CS231n notes, written with chainrule.

Three interleaved spirals of 100 points each in the plane; a network with one hidden layer of 100
ReLU units, a softmax cross-entropy loss with L2 regularisation, and full-batch gradient descent
(https://cs231n.github.io/neural-networks-case-study/). It reaches about 99% training accuracy.

    python examples/spiral.py
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F


def make_spiral(n: int = 100, k: int = 3, seed: int = 0):
    """``n`` points for each of ``k`` classes on noisy spiral arms: X (n*k, 2), y (n*k,)."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n * k, 2))
    y = np.zeros(n * k, dtype=np.int64)
    for j in range(k):
        ix = slice(n * j, n * (j + 1))
        r = np.linspace(0.0, 1.0, n)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, n) + rng.standard_normal(n) * 0.2  # angle
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train(steps: int = 10000, hidden: int = 100, step_size: float = 1.0, reg: float = 1e-3,
          seed: int = 0, log_every: int = 1000):
    """Train the two-layer network; returns the parameters and the final training accuracy."""
    X_np, y_np = make_spiral(seed=seed)
    X, y = cr.tensor(X_np), cr.tensor(y_np)
    D, K = X.shape[1], int(y_np.max()) + 1

    gen = cr.Generator(seed)
    W = (0.01 * cr.randn(D, hidden, generator=gen, dtype=cr.float64)).requires_grad_()
    b = cr.zeros(1, hidden, dtype=cr.float64, requires_grad=True)
    W2 = (0.01 * cr.randn(hidden, K, generator=gen, dtype=cr.float64)).requires_grad_()
    b2 = cr.zeros(1, K, dtype=cr.float64, requires_grad=True)
    params = [W, b, W2, b2]

    def forward(X):
        hidden_layer = cr.relu(X @ W + b)
        return hidden_layer @ W2 + b2

    for step in range(steps):
        scores = forward(X)
        data_loss = F.cross_entropy(scores, y)
        reg_loss = 0.5 * reg * (W * W).sum() + 0.5 * reg * (W2 * W2).sum()
        loss = data_loss + reg_loss
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= step_size * p.grad
        if log_every and step % log_every == 0:
            print(f"iteration {step:5d}: loss {loss.item():.4f}")

    with cr.no_grad():
        predicted = forward(X).argmax(dim=1).numpy()
    accuracy = float((predicted == y_np).mean())
    return params, accuracy


def main(steps: int = 10000) -> float:
    _, accuracy = train(steps=steps)
    print(f"training accuracy: {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    main()
